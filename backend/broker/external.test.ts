import { createServer, type Server } from 'node:net'
import { Aedes } from 'aedes'
import { connectAsync } from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { silentLogger } from '../log.ts'
import { connectExternalBroker, topicMatches } from './external.ts'
import type { Bus } from './types.ts'

let aedes: Aedes
let server: Server
let port: number
let bus: Bus

beforeAll(async () => {
  aedes = await Aedes.createBroker()
  server = createServer(aedes.handle)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  port = (server.address() as { port: number }).port
  bus = await connectExternalBroker({ url: `mqtt://127.0.0.1:${port}`, clientId: 'adx-backend-test', log: silentLogger() })
})
afterAll(async () => {
  await bus.close()
  await new Promise<void>((r) => aedes.close(() => r()))
  await new Promise<void>((r) => server.close(() => r()))
})

describe('topicMatches', () => {
  it.each([
    ['a/+/c', 'a/b/c', true],
    ['a/+/c', 'a/b/d', false],
    ['a/#', 'a/b/c', true],
    ['a/+', 'a/b/c', false],
    ['a/b', 'a/b', true],
  ])('%s ~ %s → %s', (f, t, ok) => expect(topicMatches(f, t)).toBe(ok))
})

describe('external broker bus', () => {
  it('receives matching messages and holds the PUBACK while the handler asks for backpressure', async () => {
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    const got: string[] = []
    await bus.subscribe('adx/v1/vehicles/+/records', (topic, payload) => {
      got.push(`${topic}:${payload.toString()}`)
      return gate
    })
    let acked = false
    aedes.on('ack', (_packet, client) => {
      if (client?.id === 'adx-backend-test') acked = true
    })
    const pub = await connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: 'pub', reconnectPeriod: 0 })
    try {
      await pub.publishAsync('adx/v1/vehicles/v1/records', 'x', { qos: 1 })
      while (got.length === 0) await new Promise((r) => setTimeout(r, 10))
      expect(got).toEqual(['adx/v1/vehicles/v1/records:x'])
      // The backend has not acknowledged the delivery while its handler holds it.
      expect(acked).toBe(false)
    } finally {
      release()
    }
    while (!acked) await new Promise((r) => setTimeout(r, 10))
    await pub.endAsync()
  })

  it('publishes retained messages', async () => {
    await bus.publish('adx/v1/fleet/policy', new Uint8Array([1, 2, 3]), { qos: 1, retain: true })
    const sub = await connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: 'sub', reconnectPeriod: 0 })
    const msg = new Promise<Buffer>((r) => sub.once('message', (_t, p) => r(p)))
    await sub.subscribeAsync('adx/v1/fleet/policy', { qos: 1 })
    expect([...(await msg)]).toEqual([1, 2, 3])
    await sub.endAsync()
  })
})
