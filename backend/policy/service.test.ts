import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { loadRulePack } from '../../shared/rulepack/load.ts'
import { generateSigningKey } from '../../shared/signature.ts'
import { FilingKind } from '../../shared/wire/index.ts'
import { countingPlan } from '../counting/plan.ts'
import { silentLogger } from '../log.ts'
import { openSqliteStore, type SqliteStore } from '../store/sqlite.ts'
import { heldCategories } from './hold.ts'
import { requiredMeasure } from '../measure/engine.ts'
import { PolicyService } from './service.ts'
import { openSignedPolicy } from './sign.ts'

const pack = loadRulePack()
const plan = countingPlan(pack)
const signer = generateSigningKey()
const NOW = Date.UTC(2026, 5, 1)
const SENSITIVE = ['location', 'sensitive-personal']
const PI = pack.categories.filter((c) => c.personal !== 'none').map((c) => c.id).sort()

let store: SqliteStore
let published: { topic: string; payload: Uint8Array; retain: boolean }[]
let now: number

function service(ciio = false, connectedVehicles?: () => string[]) {
  return new PolicyService({
    ...(connectedVehicles ? { connectedVehicles } : {}),
    store,
    pack,
    plan,
    signer,
    ciio,
    options: {
      lease: { persons: 100, sensitivePersons: 10, ttlMs: 3_600_000, reportGraceMs: 3_600_000, renewBeforeMs: 600_000 },
      sumHoldFraction: 0.95,
    },
    publish: async (topic, payload, opts) => {
      published.push({ topic, payload, retain: opts.retain })
    },
    log: silentLogger(),
    clock: () => now,
  })
}

async function setPersons(n: number) {
  const members = Array.from({ length: n }, (_, i) => ['persons.pi', '', `p${i}`] as const)
  await store.ingest([{ vehicleId: 'v', recordId: `bulk-${n}`, year: 2026, exportedMs: NOW, recipient: 'r', leaseId: '', body: null, members, sums: [] }], NOW)
}

beforeEach(async () => {
  store = await openSqliteStore(':memory:')
  published = []
  now = NOW
})
afterEach(async () => {
  await store.close()
})

describe('heldCategories', () => {
  const held = (values: Record<string, number>, filings = [] as Parameters<typeof requiredMeasure>[0]['filings']) =>
    heldCategories(requiredMeasure({ counts: { 'persons.pi': { '': values.pi ?? 0 }, 'camera.km': { '': values.km ?? 0 } }, ciio: false, filings, pack, nowMs: NOW }), 0.95).map((h) => h.category)

  it('holds sensitive PI from the start without a contract', () => {
    expect(held({})).toEqual(SENSITIVE)
  })
  it('holds every PI category once the 99,999th person is counted, not before', () => {
    expect(held({ pi: 99_998 })).toEqual(SENSITIVE)
    expect(held({ pi: 99_999 })).toEqual(PI)
  })
  it('holds original camera data at 95 % of the km limit', () => {
    expect(held({ km: 47_499_999 })).not.toContain('media-original')
    expect(held({ km: 47_500_000 })).toContain('media-original')
  })
  it('holds nothing a filing in force covers', () => {
    const sa = { filingId: 'sa', kind: FilingKind.SECURITY_ASSESSMENT, categories: ['*'], recipients: ['*'], purposes: ['*'], validFromMs: 0, validUntilMs: NOW + 1 }
    expect(held({ pi: 5_000_000, km: 60_000_000 }, [sa])).toEqual([])
  })
})

describe('PolicyService', () => {
  it('issues a signed, retained fleet policy and reissues only on change', async () => {
    const svc = service()
    const ev = await svc.evaluate()
    expect(ev.issued).toBe(true)
    expect(ev.report.measure).toBe('exempt')
    expect(published).toHaveLength(1)
    expect(published[0]).toMatchObject({ topic: 'adx/v1/fleet/policy', retain: true })
    const policy = openSignedPolicy(signer.publicKeyPem, signer.keyId, published[0]!.payload)!
    expect(policy).toMatchObject({ version: ev.fleetPolicy.version, vehiclePseudonym: '', heldCategories: SENSITIVE, ciio: false, rulePackVersion: pack.version })
    expect(openSignedPolicy(generateSigningKey().publicKeyPem, signer.keyId, published[0]!.payload)).toBeUndefined()

    const again = await svc.evaluate()
    expect(again.issued).toBe(false)
    expect(published).toHaveLength(1)

    await store.addFiling({ filingId: 'sc', kind: FilingKind.STANDARD_CONTRACT, reference: 'SC-1', categories: ['*'], recipients: ['*'], purposes: ['*'], validFromMs: 0, validUntilMs: NOW + 86_400_000, exemption: 0, createdMs: NOW })
    const third = await svc.evaluate()
    expect(third.issued).toBe(true)
    expect(third.fleetPolicy.version).toBeGreaterThan(ev.fleetPolicy.version)
    const p3 = openSignedPolicy(signer.publicKeyPem, signer.keyId, published[1]!.payload)!
    expect(p3.heldCategories).toEqual([])
    expect(p3.filings.map((f) => f.filingId)).toEqual(['sc'])
  })

  it('holds all PI and raises incidents when persons reach the last allowed count', async () => {
    const svc = service()
    await svc.evaluate()
    await setPersons(80_000)
    let ev = await svc.evaluate()
    expect(ev.issued).toBe(false)
    expect((await store.listIncidents()).map((i) => i.incidentId)).toContain('limit-alert:2026:T-PI-CONTRACT:0.8')
    await setPersons(99_999)
    ev = await svc.evaluate()
    expect(ev.issued).toBe(true)
    expect(ev.holds.map((h) => h.category)).toEqual(PI)
    const incidents = await store.listIncidents()
    const hold = incidents.find((i) => i.type === 'ADX_INC_FLEET_HOLD' && i.categories.includes('personal'))!
    expect(hold.detail).toContain('T-PI-CONTRACT')
    expect(incidents.some((i) => i.type === 'ADX_INC_LIMIT_CROSSED')).toBe(false)
    await setPersons(100_000)
    await svc.evaluate()
    expect((await store.listIncidents()).some((i) => i.incidentId === 'limit-crossed:2026:T-PI-CONTRACT')).toBe(true)
  })

  it('gives each vehicle a lease in its own signed policy and reuses it until renewal', async () => {
    const svc = service()
    const row = await svc.vehiclePolicy('veh-1')
    const pub = published.find((p) => p.topic === 'adx/v1/vehicles/veh-1/policy')!
    const policy = openSignedPolicy(signer.publicKeyPem, signer.keyId, pub.payload)!
    expect(policy.version).toBe(row.version)
    expect(policy.vehiclePseudonym).toBe('veh-1')
    expect(policy.lease).toMatchObject({ newPersons: 100, newSensitivePersons: 0, newVehicleAllowed: true, expiresMs: NOW + 3_600_000 })
    expect(policy.heldCategories).toEqual(SENSITIVE)

    const count = published.length
    expect((await svc.vehiclePolicy('veh-1')).version).toBe(row.version)
    expect(published).toHaveLength(count)

    now = NOW + 3_000_001
    const renewed = await svc.vehiclePolicy('veh-1')
    expect(renewed.version).toBeGreaterThan(row.version)
    expect(await store.outstandingLeases(now, 'veh-1')).toHaveLength(2)
  })

  it('leases shrink as the fleet approaches the limit, and never exceed the room', async () => {
    const svc = service()
    await setPersons(99_850)
    await svc.evaluate()
    const leases = []
    for (const v of ['a', 'b', 'c']) {
      await svc.vehiclePolicy(v)
      leases.push((await store.outstandingLeases(now, v))[0]!.newPersons)
    }
    expect(leases).toEqual([100, 49, 0])
  })

  it('a batch of vehicles gets the same leases as one vehicle at a time, in one go', async () => {
    const svc = service()
    await setPersons(99_850)
    await svc.evaluate()
    const rows = await svc.vehiclePolicies(['a', 'b', 'c', 'a'])
    expect(rows.map((r) => r.vehicleId)).toEqual(['a', 'b', 'c'])
    const leases = []
    for (const v of ['a', 'b', 'c']) leases.push((await store.outstandingLeases(now, v))[0]!.newPersons)
    expect(leases).toEqual([100, 49, 0])
    expect(new Set(rows.map((r) => r.version)).size).toBe(3)
    expect(published.filter((p) => p.topic.endsWith('/policy') && p.topic.includes('/vehicles/'))).toHaveLength(3)
    // unchanged: nothing new stored or published; with republish, the last ones again
    const count = published.length
    expect((await svc.vehiclePolicies(['a', 'b', 'c'])).map((r) => r.version)).toEqual(rows.map((r) => r.version))
    expect(published).toHaveLength(count)
    await svc.vehiclePolicies(['a', 'b', 'c'], { republish: true })
    expect(published).toHaveLength(count + 3)
  })

  it('a vehicle whose lease predates the latest filing gets a fresh one', async () => {
    const svc = service()
    await svc.vehiclePolicy('veh-1')
    expect((await store.outstandingLeases(now, 'veh-1'))[0]!.newSensitivePersons).toBe(0)
    now = NOW + 1000
    await store.addFiling({ filingId: 'sc', kind: FilingKind.STANDARD_CONTRACT, reference: 'SC', categories: ['*'], recipients: ['*'], purposes: ['*'], validFromMs: NOW, validUntilMs: NOW + 1e10, exemption: 0, createdMs: now })
    await svc.evaluate()
    now = NOW + 2000
    await svc.vehiclePolicy('veh-1')
    const leases = (await store.outstandingLeases(now, 'veh-1')).sort((a, b) => b.issuedMs - a.issuedMs)
    expect(leases).toHaveLength(2)
    expect(leases[0]!.newSensitivePersons).toBe(10)
  })

  it('re-issues the policies of connected vehicles as soon as a filing changes the fleet policy', async () => {
    const svc = service(false, () => ['veh-1', 'veh-2'])
    await svc.evaluate()
    await svc.vehiclePolicies(['veh-1', 'veh-2'])
    const before = published.filter((p) => p.topic.startsWith('adx/v1/vehicles/')).length
    now = NOW + 1000
    await store.addFiling({ filingId: 'sc', kind: FilingKind.STANDARD_CONTRACT, reference: 'SC', categories: ['*'], recipients: ['*'], purposes: ['*'], validFromMs: NOW, validUntilMs: NOW + 1e10, exemption: 0, createdMs: now })
    expect((await svc.evaluate()).issued).toBe(true)
    await svc.vehiclePolicies([]) // queued after the re-issue
    const after = published.filter((p) => p.topic.startsWith('adx/v1/vehicles/'))
    expect(after.length - before).toBe(2)
    const p = openSignedPolicy(signer.publicKeyPem, signer.keyId, after[after.length - 1]!.payload)!
    expect(p.lease?.newSensitivePersons).toBe(10)
    expect((await svc.evaluate()).issued).toBe(false) // nothing changed: nothing re-issued
    await svc.vehiclePolicies([])
    expect(published.filter((x) => x.topic.startsWith('adx/v1/vehicles/'))).toHaveLength(after.length)
  })

  it('names the slot categories in fleet and vehicle policies, and the vehicle\'s slots in its lease', async () => {
    const svc = service()
    const ev = await svc.evaluate()
    const fleet = openSignedPolicy(signer.publicKeyPem, signer.keyId, ev.fleetPolicy.signed)!
    const bound = [...ev.bindings.values()].filter((b) => b.counter === 'vehicles' && Number.isFinite(b.maxAllowed)).map((b) => b.category).sort()
    expect(bound.length).toBeGreaterThan(0)
    expect(fleet.slotCategories).toEqual(bound)
    await svc.vehiclePolicy('veh-1')
    const own = openSignedPolicy(signer.publicKeyPem, signer.keyId, published.find((p) => p.topic === 'adx/v1/vehicles/veh-1/policy')!.payload)!
    expect(own.slotCategories).toEqual(bound)
    expect(own.lease?.vehicleCategories).toEqual(bound) // a fresh fleet: room for a slot everywhere
    // negative: a filing covering everything binds no vehicle limit, so no slots are needed
    now = NOW + 1000
    for (const kind of [FilingKind.SECURITY_ASSESSMENT, FilingKind.MNR_APPROVAL])
      await store.addFiling({ filingId: `f${kind}`, kind, reference: 'X', categories: ['*'], recipients: ['*'], purposes: ['*'], validFromMs: NOW, validUntilMs: NOW + 1e10, exemption: 0, createdMs: now })
    const after = await svc.evaluate()
    const fleet2 = openSignedPolicy(signer.publicKeyPem, signer.keyId, after.fleetPolicy.signed)!
    expect(fleet2.slotCategories).toEqual([])
  })

  it('a CIIO holds every PI category without a security assessment', async () => {
    const ev = await service(true).evaluate()
    expect(ev.holds.map((h) => h.category)).toEqual(PI)
  })
})
