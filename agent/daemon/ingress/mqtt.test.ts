/**
 * Loopback MQTT ingress with a real mqtt.js client: a PUBACK means the payload is durable; a
 * refused payload (outbox full) gets no PUBACK and the connection is closed; other topics and
 * subscriptions are refused.
 */
import mqtt from 'mqtt'
import { pino } from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { openCore } from '../core.ts'
import { INGRESS_QUEUE } from '../queues.ts'
import { dirtyPayload, tempDir, testConfig, testSigner } from '../test-fixtures.ts'
import { LOCAL_PAYLOAD_TOPIC, MqttIngress } from './mqtt.ts'

const log = pino({ level: 'silent' })
let cleanup: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => undefined)
  cleanup = []
})

async function setup(over: Record<string, unknown> = {}) {
  const core = await openCore(testConfig(tempDir(), testSigner(), over), log)
  const ingress = new MqttIngress(core.acceptor, { host: '127.0.0.1', port: 0 }, log)
  await ingress.start()
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${ingress.port}`, { reconnectPeriod: 0, protocolVersion: 4 })
  cleanup.push(async () => {
    await client.endAsync(true)
    await ingress.stop()
    await core.close()
  })
  return { core, client }
}

describe('MQTT ingress', () => {
  it('PUBACK after the durable enqueue', async () => {
    const { core, client } = await setup()
    await client.publishAsync(LOCAL_PAYLOAD_TOPIC, JSON.stringify(dirtyPayload('q1', 'oem-eu')), { qos: 1 })
    expect(core.outbox.get(INGRESS_QUEUE, 'oem-eu|q1')).not.toBeNull()
  })

  it('outbox full: no PUBACK, the connection closes, nothing is stored', async () => {
    const { core, client } = await setup({ outbox: { maxItems: 10, maxBytes: 1 << 20, whenFull: 'refuse' } })
    for (let i = 0; i < 10; i++) await client.publishAsync(LOCAL_PAYLOAD_TOPIC, JSON.stringify(dirtyPayload(`f${i}`, 'oem-eu')), { qos: 1 })
    let acked = false
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()))
    client.publish(LOCAL_PAYLOAD_TOPIC, JSON.stringify(dirtyPayload('over', 'oem-eu')), { qos: 1 }, (err) => {
      if (!err) acked = true
    })
    await closed
    expect(acked).toBe(false)
    expect(core.outbox.get(INGRESS_QUEUE, 'oem-eu|over')).toBeNull()
  })

  it('refuses other topics and subscriptions', async () => {
    const { client } = await setup()
    // SUBACK 0x80 (mqtt.js turns the refusal into an error).
    await expect(client.subscribeAsync('adx/#', { qos: 1 })).rejects.toThrow(/Subscribe error/)
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()))
    client.publish('other/topic', '{}', { qos: 1 })
    await closed
  })
})
