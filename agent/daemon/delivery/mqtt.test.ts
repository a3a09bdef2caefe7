/**
 * MQTT delivery over TLS on 127.0.0.1 to an aedes broker with an openssl self-signed
 * certificate: the pin is checked before CONNECT is written; payloads arrive at QoS 1 in order.
 */
import type { AddressInfo } from 'node:net'
import tls from 'node:tls'
import { Aedes } from 'aedes'
import { pino } from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { openOutbox } from '../../outbox/index.ts'
import { AuditLog } from '../audit-log.ts'
import type { DestinationConfig } from '../config.ts'
import { EventBus } from '../event-bus.ts'
import { haveOpenssl, selfSignedCert, tempDir } from '../test-fixtures.ts'
import { MqttTransport } from './mqtt.ts'
import { DeliveryWorker } from './worker.ts'

const log = pino({ level: 'silent' })
let cleanup: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => undefined)
  cleanup = []
})

async function tlsBroker(dir: string) {
  const cert = selfSignedCert(dir, 'broker.test')
  const aedes = await Aedes.createBroker()
  let connects = 0
  const got: { id: string; body: Buffer }[] = []
  aedes.on('client', () => void connects++)
  aedes.subscribe('oem/in', (packet, cb) => {
    got.push({ id: Buffer.from(packet.payload as Buffer).toString('latin1'), body: packet.payload as Buffer })
    cb()
  }, () => undefined)
  const server = tls.createServer({ cert: cert.cert, key: cert.key }, (s) => aedes.handle(s))
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  cleanup.push(async () => {
    await new Promise<void>((r) => aedes.close(() => r()))
    await new Promise<void>((r) => server.close(() => r()))
  })
  return { cert, got, connects: () => connects, url: `mqtts://127.0.0.1:${(server.address() as AddressInfo).port}` }
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (cond()) return
    await new Promise((r) => setTimeout(r, 20))
  }
  throw new Error(`timed out waiting for ${what}`)
}

async function start(dir: string, dest: DestinationConfig) {
  const outbox = await openOutbox({ path: `${dir}/outbox.db`, backoff: { baseMs: 20, capMs: 100 } })
  const w = new DeliveryWorker(dest, new MqttTransport(dest, 'veh-1'), { outbox, bus: new EventBus(log), audit: new AuditLog(`${dir}/audit`, 1 << 20), log, vehicleId: 'veh-1', now: Date.now })
  cleanup.push(async () => {
    await w.stop()
    await outbox.close()
  })
  return { outbox, w }
}

const dest = (url: string, pinSha256: string): DestinationConfig => ({ name: 'eu-mqtt', region: 'abroad', recipient: 'CN=broker.test', transport: 'mqtt', url, topic: 'oem/in', pinSha256, purposes: [], timeoutMs: 3000, mqttVersion: 4, maxInFlight: 1 })

describe.skipIf(!haveOpenssl())('MQTT delivery (TLS, pinned)', () => {
  it('delivers in order at QoS 1 (MQTT 3.1.1; the id travels in the payload)', async () => {
    const dir = tempDir()
    const b = await tlsBroker(dir)
    const { outbox, w } = await start(dir, dest(b.url, b.cert.fingerprint))
    for (let i = 0; i < 20; i++) await outbox.enqueue({ id: `m${i}`, destination: 'eu-mqtt', priority: 1, body: new Uint8Array(Buffer.from(`m${i}`)) })
    await w.start()
    await until(() => b.got.length === 20, 'twenty messages')
    expect(b.got.map((g) => g.id)).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`))
    await until(() => outbox.stats().items === 0, 'acks')
  })

  it('a wrong pin: the broker never sees a CONNECT', async () => {
    const dir = tempDir()
    const b = await tlsBroker(dir)
    const { outbox, w } = await start(dir, dest(b.url, 'CD'.repeat(32)))
    await outbox.enqueue({ id: 'x', destination: 'eu-mqtt', priority: 1, body: new Uint8Array([1]) })
    await w.start()
    await until(() => (outbox.get('eu-mqtt', 'x')?.attempts ?? 0) >= 2, 'failed attempts')
    expect(b.connects()).toBe(0)
    expect(b.got).toEqual([])
  })
})
