import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { loadRulePack } from '../../shared/rulepack/load.ts'
import { type ExportRecord, wire } from '../../shared/wire/index.ts'
import type { Bus, MessageHandler } from '../broker/types.ts'
import { countingPlan } from '../counting/plan.ts'
import { silentLogger } from '../log.ts'
import { createMetrics } from '../metrics.ts'
import { openSqliteStore, type SqliteStore } from '../store/sqlite.ts'
import { IngestService } from './service.ts'
import { defaultIngestLimits } from './validate.ts'

const plan = countingPlan(loadRulePack())
const NOW = Date.UTC(2026, 5, 1)

/** An in-memory bus: delivers published uplinks to subscribers, records everything published. */
class FakeBus implements Bus {
  handlers: Array<[string, MessageHandler]> = []
  published: Array<{ topic: string; payload: Uint8Array }> = []
  async subscribe(filter: string, handler: MessageHandler) {
    this.handlers.push([filter, handler])
  }
  async publish(topic: string, payload: Uint8Array) {
    this.published.push({ topic, payload })
  }
  isConnected() {
    return true
  }
  async close() {}
  deliver(topic: string, payload: Uint8Array) {
    const leaf = topic.split('/').pop()
    for (const [f, h] of this.handlers) if (f.endsWith(`/${leaf}`)) void h(topic, Buffer.from(payload))
  }
  acks(vehicle: string): string[] {
    return this.published.filter((p) => p.topic === `adx/v1/vehicles/${vehicle}/ack`).flatMap((p) => (wire.Ack.decode(p.payload) as unknown as { ids: string[] }).ids)
  }
}

let store: SqliteStore
let bus: FakeBus
let svc: IngestService
let counted: number
let heartbeats: string[]

const rec = (id: string, vehicle = 'veh-1', p: Partial<ExportRecord> = {}) =>
  ({ recordId: id, vehiclePseudonym: vehicle, exportedMs: NOW - 1000, recipient: 'r', subjects: [{ pseudonym: `p-${id}`, kind: 'phone' }], ...p }) as Partial<ExportRecord>
const batch = (...records: Partial<ExportRecord>[]) => wire.ExportRecordBatch.encode(wire.ExportRecordBatch.fromObject({ records })).finish()

beforeEach(async () => {
  store = await openSqliteStore(':memory:')
  await store.addVehicle({ vehicleId: 'veh-1', secretHash: 'x', label: '', createdMs: 0 })
  bus = new FakeBus()
  counted = 0
  heartbeats = []
  svc = new IngestService({
    bus,
    store,
    plan,
    limits: { ...defaultIngestLimits, maxMessageBytes: 2000 },
    batching: { maxRecords: 1000, maxDelayMs: 0, highWaterRecords: 10_000 },
    log: silentLogger(),
    metrics: createMetrics(),
    onCounted: () => counted++,
    onHeartbeat: (id) => heartbeats.push(id),
    clock: () => NOW,
  })
  await svc.start()
})
afterEach(async () => {
  await svc.stop()
  await store.close()
})

describe('IngestService', () => {
  it('counts valid records, acks them, and refuses invalid ones alone', async () => {
    bus.deliver('adx/v1/vehicles/veh-1/records', batch(rec('a'), rec('b', 'veh-2'), rec('c', 'veh-1', { cameraKm: -1 }), rec('')))
    await svc.stop()
    expect(bus.acks('veh-1')).toEqual(['a'])
    expect(counted).toBe(1)
    expect((await store.totals(2026)).find((t) => t.counter === 'persons.pi')?.value).toBe(1)
    const reasons = (await store.listIncidents()).map((i) => i.reasonCode).sort()
    expect(reasons).toEqual(['ADX_ERR_INGEST_INVALID', 'ADX_ERR_INGEST_INVALID', 'ADX_ERR_INGEST_VEHICLE_MISMATCH'])
  })

  it('rejects oversized and undecodable messages with their codes', async () => {
    bus.deliver('adx/v1/vehicles/veh-1/records', new Uint8Array(2001))
    bus.deliver('adx/v1/vehicles/veh-1/records', new Uint8Array([0x0a, 0xff, 0xff, 0xff]))
    await svc.stop()
    expect((await store.listIncidents()).map((i) => i.reasonCode).sort()).toEqual(['ADX_ERR_INGEST_MALFORMED', 'ADX_ERR_INGEST_OVERSIZED'])
    expect(bus.acks('veh-1')).toEqual([])
  })

  it('drops messages of unknown or revoked vehicles', async () => {
    bus.deliver('adx/v1/vehicles/veh-9/records', batch(rec('a', 'veh-9')))
    await svc.stop()
    expect(bus.published).toEqual([])
    expect(await store.totals(2026)).toEqual([])
  })

  it('looks up the vehicles of one turn\'s messages in one store read', async () => {
    for (let i = 2; i <= 40; i++) await store.addVehicle({ vehicleId: `veh-${i}`, secretHash: 'x', label: '', createdMs: 0 })
    await store.revokeVehicle('veh-40', 1)
    let reads = 0
    const getVehicles = store.getVehicles.bind(store)
    store.getVehicles = (ids) => {
      reads++
      return getVehicles(ids)
    }
    store.getVehicle = () => Promise.reject(new Error('one read per vehicle'))
    for (let i = 1; i <= 40; i++) bus.deliver(`adx/v1/vehicles/veh-${i}/records`, batch(rec(`r${i}`, `veh-${i}`)))
    bus.deliver('adx/v1/vehicles/veh-99/records', batch(rec('r99', 'veh-99')))
    await svc.stop()
    expect(reads).toBe(1)
    for (let i = 1; i < 40; i++) expect(bus.acks(`veh-${i}`)).toEqual([`r${i}`])
    expect(bus.acks('veh-40')).toEqual([]) // revoked
    expect(bus.acks('veh-99')).toEqual([]) // unknown
  })

  it('stores vehicle incidents once and acks them', async () => {
    const inc = wire.Incident.encode(wire.Incident.fromObject({ incidentId: 'i-1', type: 'ADX_INC_KEY_MATERIAL_AT_EGRESS', vehiclePseudonym: 'veh-1', detectedMs: NOW, reasonCode: 'R', count: 2 })).finish()
    bus.deliver('adx/v1/vehicles/veh-1/incidents', inc)
    bus.deliver('adx/v1/vehicles/veh-1/incidents', inc)
    await svc.stop()
    expect(bus.acks('veh-1')).toEqual(['i-1', 'i-1'])
    expect(await store.listIncidents({ vehicleId: 'veh-1' })).toEqual([expect.objectContaining({ incidentId: 'i-1', type: 'ADX_INC_KEY_MATERIAL_AT_EGRESS', count: 2 })])
  })

  it('passes heartbeats on and records when the vehicle was last seen', async () => {
    bus.deliver('adx/v1/vehicles/veh-1/heartbeats', wire.Heartbeat.encode(wire.Heartbeat.fromObject({ vehiclePseudonym: 'veh-1', sentMs: NOW })).finish())
    await svc.stop()
    expect(heartbeats).toEqual(['veh-1'])
    expect((await store.getVehicle('veh-1'))?.lastSeenMs).toBe(NOW)
  })
})
