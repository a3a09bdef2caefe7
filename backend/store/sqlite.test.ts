import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { isAdxError } from '../../shared/errors.ts'
import { openSqliteStore, type SqliteStore } from './sqlite.ts'
import type { IngestRecord, LeaseRow } from './types.ts'

let dir: string
let path: string
let store: SqliteStore

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'adx-store-'))
  path = join(dir, 'backend.sqlite')
  store = await openSqliteStore(path)
})
afterEach(async () => {
  await store.close()
  rmSync(dir, { recursive: true, force: true })
})

function rec(vehicleId: string, recordId: string, members: [string, string, string][], sums: [string, string, number][] = []): IngestRecord {
  return { vehicleId, recordId, year: 2026, exportedMs: 1_770_000_000_000, recipient: 'oem-eu', leaseId: '', body: null, members, sums }
}

const totalsMap = async (s: SqliteStore, year = 2026) =>
  Object.fromEntries((await s.totals(year)).map((t) => [`${t.counter}/${t.category}`, t.value]))

describe('SqliteStore ingest', () => {
  it('counts a member once, however often it arrives', async () => {
    const out = await store.ingest(
      [
        rec('v1', 'r1', [['persons.pi', '', 'p1'], ['vehicles', 'location', 'v1']]),
        rec('v1', 'r2', [['persons.pi', '', 'p1'], ['persons.pi', '', 'p2']]),
        rec('v2', 'r3', [['persons.pi', '', 'p2'], ['vehicles', 'location', 'v2']]),
      ],
      1,
    )
    expect(out).toEqual(['inserted', 'inserted', 'inserted'])
    expect(await totalsMap(store)).toEqual({ 'persons.pi/': 2, 'vehicles/location': 2 })
  })

  it('ignores a redelivered record, in the same batch or later, sums included', async () => {
    const r = rec('v1', 'r1', [['persons.pi', '', 'p1']], [['camera.km', '', 1500]])
    expect(await store.ingest([r, r], 1)).toEqual(['inserted', 'duplicate'])
    expect(await store.ingest([r], 2)).toEqual(['duplicate'])
    expect(await totalsMap(store)).toEqual({ 'persons.pi/': 1, 'camera.km/': 1500 })
  })

  it('keys records by vehicle, so one vehicle cannot shadow another', async () => {
    expect(await store.ingest([rec('v1', 'r1', []), rec('v2', 'r1', [])], 1)).toEqual(['inserted', 'inserted'])
  })

  it('keeps years apart', async () => {
    await store.ingest([rec('v1', 'r1', [['persons.pi', '', 'p1']]), { ...rec('v1', 'r2', [['persons.pi', '', 'p1']]), year: 2027 }], 1)
    expect(await totalsMap(store, 2026)).toEqual({ 'persons.pi/': 1 })
    expect(await totalsMap(store, 2027)).toEqual({ 'persons.pi/': 1 })
  })

  it('is all or nothing: a failing batch leaves no trace', async () => {
    const bad = { ...rec('v1', 'r2', [['persons.pi', '', 'p9']]), year: 'x' as unknown as number }
    // A NOT NULL violation in the middle of the batch.
    const worse = { ...rec('v1', 'r3', []), recipient: null as unknown as string }
    await expect(store.ingest([rec('v1', 'r1', [['persons.pi', '', 'p1']]), bad, worse], 1)).rejects.toSatisfy((e) =>
      isAdxError(e, 'ADX_ERR_STORE'),
    )
    expect(await totalsMap(store)).toEqual({})
    expect(await store.ingest([rec('v1', 'r1', [['persons.pi', '', 'p1']])], 1)).toEqual(['inserted'])
  })

  it('survives a restart with exact counts', async () => {
    const batch = Array.from({ length: 500 }, (_, i) => rec(`v${i % 7}`, `r${i}`, [['persons.pi', '', `p${i % 123}`]], [['camera.hours', '', 3]]))
    await store.ingest(batch, 1)
    await store.close()
    store = await openSqliteStore(path)
    expect(await totalsMap(store)).toEqual({ 'persons.pi/': 123, 'camera.hours/': 1500 })
    expect(await store.ingest(batch, 2)).toEqual(batch.map(() => 'duplicate'))
    expect(await totalsMap(store)).toEqual({ 'persons.pi/': 123, 'camera.hours/': 1500 })
  })
})

describe('SqliteStore vehicles, filings, incidents, policies', () => {
  it('provisions, lists and revokes vehicles', async () => {
    await store.addVehicle({ vehicleId: 'v1', secretHash: 'scrypt$x', label: 'test', createdMs: 1 })
    await expect(store.addVehicle({ vehicleId: 'v1', secretHash: 'y', label: '', createdMs: 2 })).rejects.toSatisfy((e) =>
      isAdxError(e, 'ADX_ERR_VEHICLE_EXISTS'),
    )
    expect((await store.getVehicle('v1'))?.status).toBe('active')
    await store.touchVehicles(['v1', 'v1', 'ghost'], 50)
    expect((await store.getVehicle('v1'))?.lastSeenMs).toBe(50)
    expect(await store.revokeVehicle('v1', 100)).toBe(true)
    expect(await store.revokeVehicle('nope', 100)).toBe(false)
    const v = await store.getVehicle('v1')
    expect(v).toMatchObject({ status: 'revoked', revokedMs: 100, secretHash: 'scrypt$x', label: 'test' })
    expect((await store.listVehicles()).map((x) => x.vehicleId)).toEqual(['v1'])
    await store.addVehicle({ vehicleId: 'v"2', secretHash: 'z', label: '', createdMs: 3 })
    const many = await store.getVehicles(['v1', 'ghost', 'v"2', 'v1'])
    expect([...many.keys()].sort()).toEqual(['v"2', 'v1'])
    expect(many.get('v1')).toMatchObject({ status: 'revoked' })
    expect(await store.getVehicles([])).toEqual(new Map())
  })

  it('provisions gateways and enrols vehicles to them (a vehicle belongs to one gateway)', async () => {
    for (const id of ['v1', 'v2', 'v3']) await store.addVehicle({ vehicleId: id, secretHash: 'h', label: '', createdMs: 1 })
    await store.addVehicle({ vehicleId: 'gw-1', kind: 'gateway', secretHash: 'h', label: '', createdMs: 1 })
    await store.addVehicle({ vehicleId: 'gw-2', kind: 'gateway', secretHash: 'h', label: '', createdMs: 1 })
    expect(await store.enrolVehicles('gw-1', ['v1', 'v2', 'v1'])).toBe(2)
    expect(await store.gatewayMembers('gw-1')).toEqual(['v1', 'v2'])
    await store.enrolVehicles('gw-2', ['v2'])
    expect(await store.gatewayMembers('gw-1')).toEqual(['v1'])
    await store.revokeVehicle('v1', 5)
    expect(await store.gatewayMembers('gw-1')).toEqual([])
    await expect(store.enrolVehicles('v3', ['v2'])).rejects.toSatisfy((e) => isAdxError(e, 'ADX_ERR_GATEWAY_UNKNOWN'))
    await expect(store.enrolVehicles('gw-1', ['v3', 'ghost'])).rejects.toSatisfy((e) => isAdxError(e, 'ADX_ERR_VEHICLE_UNKNOWN'))
    expect((await store.getVehicle('v3'))?.gatewayId).toBeNull() // all or nothing
    await expect(store.enrolVehicles('gw-1', ['gw-2'])).rejects.toSatisfy((e) => isAdxError(e, 'ADX_ERR_VEHICLE_UNKNOWN'))
    expect((await store.listVehicles({ kind: 'gateway' })).map((v) => v.vehicleId)).toEqual(['gw-1', 'gw-2'])
    expect((await store.listVehicles({ kind: 'vehicle', status: 'active' })).map((v) => v.vehicleId)).toEqual(['v2', 'v3'])
  })

  it('stores filings and expires them without ever extending', async () => {
    const f = {
      filingId: 'f1',
      kind: 2,
      reference: 'SC-1',
      categories: ['*'],
      recipients: ['oem-eu'],
      purposes: ['*'],
      validFromMs: 10,
      validUntilMs: 1000,
      exemption: 0,
      createdMs: 5,
    }
    await store.addFiling(f)
    await expect(store.addFiling(f)).rejects.toSatisfy((e) => isAdxError(e, 'ADX_ERR_FILING_EXISTS'))
    expect(await store.listFilings()).toEqual([f])
    expect(await store.expireFiling('f1', 500)).toBe(true)
    expect(await store.expireFiling('f1', 900)).toBe(true)
    expect((await store.getFiling('f1'))?.validUntilMs).toBe(500)
    expect(await store.expireFiling('f2', 1)).toBe(false)
  })

  it('stores an incident once', async () => {
    const i = {
      vehicleId: 'v1',
      incidentId: 'i1',
      type: 'ADX_INC_X',
      detectedMs: 1,
      receivedMs: 2,
      payloadId: '',
      reasonCode: 'R',
      detail: 'd',
      categories: ['location'],
      count: 1,
      recipients: ['CN=oem-eu'],
      subjects: ['psn:driver-id:00'],
    }
    expect(await store.addIncident(i)).toBe(true)
    expect(await store.addIncident(i)).toBe(false)
    expect(await store.addIncident({ ...i, vehicleId: 'v2' })).toBe(true)
    expect(await store.listIncidents({ vehicleId: 'v1' })).toEqual([i])
    expect(await store.listIncidents({ limit: 1 })).toHaveLength(1)
  })

  it('gives policies one monotonic version sequence that survives restart', async () => {
    const p1 = await store.savePolicy(() => ({ vehicleId: '', issuedMs: 1, heldCategories: ['location'], signed: new Uint8Array([1]) }))
    const p2 = await store.savePolicy(() => ({ vehicleId: 'v1', issuedMs: 2, heldCategories: [], signed: new Uint8Array([2]) }))
    expect([p1.version, p2.version]).toEqual([1, 2])
    await store.close()
    store = await openSqliteStore(path)
    const p3 = await store.savePolicy((v) => ({ vehicleId: '', issuedMs: v, heldCategories: [], signed: new Uint8Array([3]) }))
    expect(p3).toMatchObject({ version: 3, issuedMs: 3 })
    expect(await store.latestPolicy('')).toMatchObject({ version: 3 })
    expect(await store.latestPolicy('v1')).toMatchObject({ version: 2, signed: new Uint8Array([2]) })
  })
})

describe('SqliteStore leases', () => {
  const weights = { 'persons.pi': { persons: 1, sensitive: 0 }, 'persons.sensitive': { persons: 0, sensitive: 1 } }
  const lease = (id: string, vehicleId: string, persons: number, until: number, cats: string[] = []): LeaseRow => ({
    leaseId: id,
    vehicleId,
    year: 2026,
    newPersons: persons,
    newSensitivePersons: 0,
    vehicleCategories: cats,
    issuedMs: 0,
    expiresMs: until,
    outstandingUntilMs: until,
  })

  it('decides on a snapshot and stores the grant in one transaction', async () => {
    await store.ingest([rec('v1', 'r1', [['persons.pi', '', 'p1'], ['vehicles', 'location', 'v1']])], 1)
    await store.issueLease({ vehicleId: 'v2', year: 2026, nowMs: 10, slotCounter: 'vehicles', weights }, () => ({
      lease: lease('l1', 'v2', 5, 100, ['location']),
      slotCategories: ['location'],
    }))
    let seen: unknown
    await store.issueLease({ vehicleId: 'v1', year: 2026, nowMs: 20, slotCounter: 'vehicles', weights }, (s) => {
      seen = s
      return null
    })
    expect(seen).toEqual({
      totals: [
        { counter: 'persons.pi', category: '', value: 1 },
        { counter: 'vehicles', category: 'location', value: 1 },
      ],
      remaining: { 'persons.pi': 5, 'persons.sensitive': 0 },
      vehicleLeases: [],
      vehicleCategories: ['location'],
      otherSlots: { location: 1 },
    })
    expect(await store.outstandingLeases(99)).toHaveLength(1)
    expect(await store.outstandingLeases(100)).toHaveLength(0)
  })

  it('measures lease use from records naming the lease, only for its own vehicle', async () => {
    await store.issueLease({ vehicleId: 'v1', year: 2026, nowMs: 10, slotCounter: 'vehicles', weights }, () => ({
      lease: lease('l1', 'v1', 5, 100),
      slotCategories: [],
    }))
    await store.ingest(
      [
        { ...rec('v1', 'r1', [['persons.pi', '', 'p1'], ['persons.pi', '', 'p2']]), leaseId: 'l1' },
        // Already counted: uses nothing.
        { ...rec('v1', 'r2', [['persons.pi', '', 'p1']]), leaseId: 'l1' },
        // Another vehicle cannot use v1's lease.
        { ...rec('v2', 'r3', [['persons.pi', '', 'p3']]), leaseId: 'l1' },
      ],
      11,
    )
    let remaining: Record<string, number> = {}
    await store.issueLease({ vehicleId: 'v9', year: 2026, nowMs: 12, slotCounter: 'vehicles', weights }, (s) => {
      remaining = s.remaining
      return null
    })
    expect(remaining).toEqual({ 'persons.pi': 3, 'persons.sensitive': 0 })
  })

  it('releases a vehicle slot when the vehicle joins the set', async () => {
    await store.issueLease({ vehicleId: 'v2', year: 2026, nowMs: 10, slotCounter: 'vehicles', weights }, () => ({
      lease: lease('l1', 'v2', 0, 100, ['location', 'charging']),
      slotCategories: ['location', 'charging'],
    }))
    expect(await store.outstandingSlots(2026, 'vehicles', 10)).toEqual({ location: 1, charging: 1 })
    await store.ingest([rec('v2', 'r1', [['vehicles', 'location', 'v2']])], 11)
    expect(await store.outstandingSlots(2026, 'vehicles', 11)).toEqual({ charging: 1 })
    expect(await store.outstandingSlots(2026, 'vehicles', 100)).toEqual({})
  })
})

describe('SqliteStore locking', () => {
  it('waits for another connection and then proceeds', async () => {
    const other = await openSqliteStore(path, { busyTimeoutMs: 2000 })
    // Hold the lock in `other` for a while.
    ;(other as unknown as { db: { exec(s: string): void } }).db.exec('BEGIN IMMEDIATE')
    setTimeout(() => (other as unknown as { db: { exec(s: string): void } }).db.exec('COMMIT'), 100)
    expect(await store.ingest([rec('v1', 'r1', [])], 1)).toEqual(['inserted'])
    await other.close()
  })

  it('gives up with ADX_ERR_STORE_BUSY after the busy timeout', async () => {
    const other = await openSqliteStore(path)
    const db = (other as unknown as { db: { exec(s: string): void } }).db
    db.exec('BEGIN IMMEDIATE')
    const impatient = await openSqliteStore(path, { busyTimeoutMs: 50, staleLockMs: 60_000 }).catch((e) => e)
    expect(isAdxError(impatient, 'ADX_ERR_STORE_BUSY')).toBe(true)
    db.exec('COMMIT')
    await other.close()
  })

  it('removes a lock left behind by a killed process', async () => {
    await store.close()
    mkdirSync(`${path}.lock`)
    // Let the leftover age past staleLockMs.
    await new Promise((r) => setTimeout(r, 80))
    let cleared = ''
    store = await openSqliteStore(path, { staleLockMs: 50, onStaleLock: (p) => (cleared = p) })
    expect(cleared).toBe(path)
    expect(await store.ingest([rec('v1', 'r1', [])], 1)).toEqual(['inserted'])
  })
})
