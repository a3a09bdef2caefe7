import { connect as netConnect } from 'node:net'
import { connectAsync, type MqttClient } from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { silentLogger } from '../log.ts'
import { openSqliteStore, type SqliteStore } from '../store/sqlite.ts'
import { hashSecret } from '../vehicles/credentials.ts'
import { VehicleAuthenticator } from './auth.ts'
import { type EmbeddedBroker, startEmbeddedBroker } from './embedded.ts'
import type { SecurityEvent } from './types.ts'

let store: SqliteStore
let broker: EmbeddedBroker
let auth: VehicleAuthenticator
const events: SecurityEvent[] = []
const cheap = { N: 1024, r: 8, p: 1 }
const url = () => `mqtt://127.0.0.1:${broker.port}`
const clients: MqttClient[] = []

async function vehicle(id: string, password = `secret-${id}`, clientId = id): Promise<MqttClient> {
  const c = await connectAsync(url(), { username: id, password, clientId, reconnectPeriod: 0, connectTimeout: 5000 })
  clients.push(c)
  return c
}

async function refusedConnect(id: string, password: string, clientId = id): Promise<number | undefined> {
  try {
    const c = await connectAsync(url(), { username: id, password, clientId, reconnectPeriod: 0, connectTimeout: 5000 })
    await c.endAsync()
    return 0
  } catch (e) {
    return (e as { code?: number }).code
  }
}

const closed = (c: MqttClient) => new Promise<void>((resolve) => (c.connected ? c.once('close', () => resolve()) : resolve()))

beforeAll(async () => {
  store = await openSqliteStore(':memory:')
  for (const id of ['veh-a', 'veh-b', 'veh-r', 'veh-g1', 'veh-g2', 'veh-gr']) await store.addVehicle({ vehicleId: id, secretHash: await hashSecret(`secret-${id}`, cheap), label: '', createdMs: 1 })
  await store.revokeVehicle('veh-r', 2)
  await store.addVehicle({ vehicleId: 'gw-1', kind: 'gateway', secretHash: await hashSecret('secret-gw-1', cheap), label: '', createdMs: 1 })
  await store.enrolVehicles('gw-1', ['veh-g1', 'veh-g2', 'veh-gr'])
  auth = new VehicleAuthenticator(store)
  broker = await startEmbeddedBroker({ host: '127.0.0.1', port: 0, maxPacketBytes: 4096, auth, log: silentLogger(), onSecurityEvent: (e) => events.push(e) })
})
afterAll(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true)))
  await broker.close()
  await store.close()
})

describe('embedded broker: authentication', () => {
  it('accepts a provisioned vehicle with its secret', async () => {
    const c = await vehicle('veh-a')
    expect(c.connected).toBe(true)
    await c.endAsync()
  })

  it('refuses a wrong secret, an unknown vehicle, a revoked one and a foreign client id', async () => {
    expect(await refusedConnect('veh-a', 'nope')).toBe(4)
    expect(await refusedConnect('veh-x', 'secret-veh-x')).toBe(4)
    expect(await refusedConnect('veh-r', 'secret-veh-r')).toBe(5)
    expect(await refusedConnect('veh-a', 'secret-veh-a', 'veh-b')).toBe(2)
    expect(events.map((e) => [e.kind, e.vehicleId, e.reason])).toEqual(
      expect.arrayContaining([
        ['auth', 'veh-a', 'bad-secret'],
        ['auth', 'veh-x', 'unknown'],
        ['auth', 'veh-r', 'revoked'],
        ['clientid', 'veh-a', 'client id "veh-b" is not the vehicle id'],
      ]),
    )
  })
})

describe('embedded broker: ACL', () => {
  it('lets a vehicle use its own topics and delivers to the backend in-process', async () => {
    const got: string[] = []
    await broker.bus.subscribe('adx/v1/vehicles/+/records', (topic, payload) => {
      got.push(`${topic}=${payload.toString()}`)
    })
    const a = await vehicle('veh-a')
    await a.publishAsync('adx/v1/vehicles/veh-a/records', 'hello', { qos: 1 })
    expect(got).toEqual(['adx/v1/vehicles/veh-a/records=hello'])
    const granted = await a.subscribeAsync(['adx/v1/vehicles/veh-a/policy', 'adx/v1/vehicles/veh-a/ack', 'adx/v1/fleet/policy'], { qos: 1 })
    expect(granted.map((g) => g.qos)).toEqual([1, 1, 1])
    await a.endAsync()
  })

  it('refuses subscribing to another vehicle\'s policy or to wildcards (SUBACK 128)', async () => {
    const a = await vehicle('veh-a')
    for (const filter of ['adx/v1/vehicles/veh-b/policy', 'adx/v1/vehicles/+/policy', '#']) {
      const err = await a.subscribeAsync(filter, { qos: 1 }).then(
        () => undefined,
        (e: { packet?: { granted?: number[] } }) => e,
      )
      expect(err?.packet?.granted, filter).toEqual([128])
    }
    expect(a.connected).toBe(true)
    expect(events.filter((e) => e.kind === 'subscribe' && e.vehicleId === 'veh-a').map((e) => e.topic)).toEqual([
      'adx/v1/vehicles/veh-b/policy',
      'adx/v1/vehicles/+/policy',
      '#',
    ])
    await a.endAsync()
  })

  it('disconnects a vehicle publishing as another and never delivers it', async () => {
    const got: string[] = []
    await broker.bus.subscribe('adx/v1/vehicles/veh-b/records', (topic) => {
      got.push(topic)
    })
    const a = await vehicle('veh-a')
    const gone = closed(a)
    a.publish('adx/v1/vehicles/veh-b/records', 'forged', { qos: 1 })
    await gone
    expect(got).toEqual([])
    expect(events.some((e) => e.kind === 'publish' && e.vehicleId === 'veh-a' && e.topic === 'adx/v1/vehicles/veh-b/records')).toBe(true)
  })

  it('refuses a vehicle publishing on its own policy topic (retained forgery)', async () => {
    const a = await vehicle('veh-a')
    const gone = closed(a)
    a.publish('adx/v1/vehicles/veh-a/policy', 'forged', { qos: 1, retain: true })
    await gone
    expect(events.some((e) => e.kind === 'publish' && e.topic === 'adx/v1/vehicles/veh-a/policy')).toBe(true)
  })

  it('drops a connection announcing a packet over the size limit', async () => {
    const socket = netConnect(broker.port, '127.0.0.1')
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()))
    const done = new Promise<void>((resolve) => socket.once('close', () => resolve()))
    // PUBLISH with a remaining length of 1 MiB, header only.
    socket.write(Buffer.from([0x30, 0x80, 0x80, 0x40]))
    await done
    expect(events.some((e) => e.kind === 'frame')).toBe(true)
  })

  it('lists connected vehicles and disconnects one on demand', async () => {
    const b = await vehicle('veh-b')
    await new Promise((r) => setTimeout(r, 20))
    expect(broker.connectedVehicles()).toContain('veh-b')
    const gone = closed(b)
    broker.disconnect('veh-b')
    await gone
  })
})

describe('embedded broker: gateways (one connection, an enrolled set of vehicles)', () => {
  it('publishes for its enrolled vehicles, not for others, not for a revoked member', async () => {
    const got: string[] = []
    await broker.bus.subscribe('adx/v1/vehicles/+/heartbeats', (topic) => {
      got.push(topic)
    })
    const gw = await vehicle('gw-1')
    await gw.publishAsync('adx/v1/vehicles/veh-g1/heartbeats', 'x', { qos: 1 })
    await gw.publishAsync('adx/v1/vehicles/veh-g2/heartbeats', 'x', { qos: 1 })
    expect(got).toEqual(['adx/v1/vehicles/veh-g1/heartbeats', 'adx/v1/vehicles/veh-g2/heartbeats'])
    const gone = closed(gw)
    gw.publish('adx/v1/vehicles/veh-a/heartbeats', 'forged', { qos: 1 })
    await gone
    expect(got).toHaveLength(2)
    expect(events.some((e) => e.kind === 'publish' && e.vehicleId === 'gw-1' && e.topic === 'adx/v1/vehicles/veh-a/heartbeats')).toBe(true)

    await store.revokeVehicle('veh-gr', 3)
    auth.markRevoked('veh-gr')
    const gw2 = await vehicle('gw-1')
    const gone2 = closed(gw2)
    gw2.publish('adx/v1/vehicles/veh-gr/heartbeats', 'x', { qos: 1 })
    await gone2
    expect(got).toHaveLength(2)
  })

  it('receives, through its wildcard subscriptions, only its vehicles\' messages (retained ones too)', async () => {
    await broker.bus.publish('adx/v1/vehicles/veh-g1/policy', Buffer.from('p-g1'), { qos: 1, retain: true })
    await broker.bus.publish('adx/v1/vehicles/veh-a/policy', Buffer.from('p-a'), { qos: 1, retain: true })
    const gw = await vehicle('gw-1')
    const got: string[] = []
    gw.on('message', (topic, payload) => got.push(`${topic}=${payload.toString()}`))
    const granted = await gw.subscribeAsync(['adx/v1/vehicles/+/policy', 'adx/v1/vehicles/+/ack', 'adx/v1/fleet/policy'], { qos: 1 })
    expect(granted.map((g) => g.qos)).toEqual([1, 1, 1])
    await broker.bus.publish('adx/v1/vehicles/veh-b/ack', Buffer.from('a-b'), { qos: 1, retain: false })
    await broker.bus.publish('adx/v1/vehicles/veh-g2/ack', Buffer.from('a-g2'), { qos: 1, retain: false })
    await new Promise((r) => setTimeout(r, 100))
    expect(got.sort()).toEqual(['adx/v1/vehicles/veh-g1/policy=p-g1', 'adx/v1/vehicles/veh-g2/ack=a-g2'])
    const err = await gw.subscribeAsync('adx/v1/vehicles/+/records', { qos: 1 }).then(
      () => undefined,
      (e: { packet?: { granted?: number[] } }) => e,
    )
    expect(err?.packet?.granted).toEqual([128])
    await gw.endAsync()
  })
})
