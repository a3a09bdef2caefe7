import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { loadRulePack } from '../../shared/rulepack/load.ts'
import { FilingKind } from '../../shared/wire/index.ts'
import type { Counts } from '../counting/counts.ts'
import { requiredMeasure } from '../measure/engine.ts'
import type { FilingScope } from '../measure/filings.ts'
import type { LeaseSnapshot } from '../store/types.ts'
import { bindings, countKey } from './headroom.ts'
import { decideLease, type LeaseOptions, leaseWeights } from './leases.ts'

const pack = loadRulePack()
const NOW = Date.UTC(2026, 5, 1)
const YEAR_END = Date.UTC(2026, 11, 31, 16)
const weights = leaseWeights(pack)
const options: LeaseOptions = { persons: 50, sensitivePersons: 10, ttlMs: 3_600_000, reportGraceMs: 3_600_000, renewBeforeMs: 600_000 }
const contract = (p: Partial<FilingScope> = {}): FilingScope => ({
  filingId: 'sc',
  kind: FilingKind.STANDARD_CONTRACT,
  categories: ['*'],
  recipients: ['*'],
  purposes: ['*'],
  validFromMs: 0,
  validUntilMs: Date.UTC(2030, 0, 1),
  ...p,
})

function snapshotOf(c: Record<string, number>, extra: Partial<LeaseSnapshot> = {}): LeaseSnapshot {
  return {
    totals: Object.entries(c).map(([k, value]) => {
      const [counter, category = ''] = k.split('/') as [string, string?]
      return { counter, category, value }
    }),
    remaining: {},
    vehicleLeases: [],
    vehicleCategories: [],
    otherSlots: {},
    ...extra,
  }
}

function countsOf(s: LeaseSnapshot): Counts {
  const out: Record<string, Record<string, number>> = {}
  for (const t of s.totals) (out[t.counter] ??= {})[t.category] = t.value
  return out
}

function decide(s: LeaseSnapshot, filings: FilingScope[] = [], nowMs = NOW, opts = options, ciio = false) {
  const report = requiredMeasure({ counts: countsOf(s), ciio, filings, pack, nowMs })
  return decideLease({ vehicleId: 'v1', leaseId: 'l1', year: 2026, nowMs, yearEndMs: YEAR_END, snapshot: s, bindings: bindings(report, filings), weights, options: opts })
}

describe('decideLease', () => {
  it('gives a full lease far from every limit, but no sensitive persons without a contract', () => {
    const g = decide(snapshotOf({ 'persons.pi': 10 }))
    expect(g.lease).toMatchObject({ newPersons: 50, newSensitivePersons: 0, expiresMs: NOW + 3_600_000, outstandingUntilMs: NOW + 7_200_000 })
  })

  it('gives sensitive persons once a standard contract is in force', () => {
    expect(decide(snapshotOf({}), [contract()]).lease.newSensitivePersons).toBe(10)
  })

  it('never leases past the last allowed count (99,999 under the 100,000 gte threshold)', () => {
    expect(decide(snapshotOf({ 'persons.pi': 99_979 })).lease.newPersons).toBe(20)
    expect(decide(snapshotOf({ 'persons.pi': 99_998 })).lease.newPersons).toBe(1)
    expect(decide(snapshotOf({ 'persons.pi': 99_999 })).lease.newPersons).toBe(0)
    expect(decide(snapshotOf({ 'persons.pi': 120_000 })).lease.newPersons).toBe(0)
  })

  it('subtracts outstanding leases of every vehicle', () => {
    expect(decide(snapshotOf({ 'persons.pi': 99_900 }, { remaining: { 'persons.pi': 80 } })).lease.newPersons).toBe(19)
    expect(decide(snapshotOf({ 'persons.pi': 99_900 }, { remaining: { 'persons.pi': 99 } })).lease.newPersons).toBe(0)
    expect(decide(snapshotOf({ 'persons.vin-iccid': 999_900 }, { remaining: { 'persons.vin-iccid': 95 } })).lease.newPersons).toBe(5)
  })

  it('steps over a covered threshold up to the next one without a filing', () => {
    expect(decide(snapshotOf({ 'persons.pi': 500_000 }), [contract()]).lease.newPersons).toBe(50)
    expect(decide(snapshotOf({ 'persons.pi': 999_990 }), [contract()]).lease.newPersons).toBe(9)
  })

  it('respects the VIN/ICCID and charging limits (gt 1,000,000) for both pools', () => {
    const g = decide(snapshotOf({ 'persons.charging': 999_995 }), [contract()])
    expect(g.lease.newPersons + g.lease.newSensitivePersons).toBe(5)
    const h = decide(snapshotOf({ 'persons.vin-iccid': 1_000_000 }), [contract()])
    expect([h.lease.newPersons, h.lease.newSensitivePersons]).toEqual([0, 0])
  })

  it('ends no later than the year, nor than the filing that lifts a limit', () => {
    expect(decide(snapshotOf({}), [], YEAR_END - 1000).lease.expiresMs).toBe(YEAR_END)
    const g = decide(snapshotOf({ 'persons.pi': 200_000 }), [contract({ validUntilMs: NOW + 60_000 })])
    expect(g.lease.expiresMs).toBe(NOW + 60_000)
  })

  it('a CIIO without an assessment gets no persons at all', () => {
    const g = decide(snapshotOf({}), [contract()], NOW, options, true)
    expect([g.lease.newPersons, g.lease.newSensitivePersons]).toEqual([0, 0])
  })

  it('reserves vehicle slots only for categories the vehicle is not counted in, while room remains', () => {
    const s = snapshotOf({ 'vehicles/location': 99_999, 'vehicles/charging': 100_000 }, { vehicleCategories: ['diagnostic'], otherSlots: {} })
    const g = decide(s)
    expect(g.slotCategories).toEqual(['driving-automation', 'location', 'media-original', 'vehicle-operating'])
    const crowded = decide({ ...s, otherSlots: { location: 1 } })
    expect(crowded.slotCategories).not.toContain('location')
  })
})

// ------------------------------------------------------------------ the lease invariant

interface ModelLease {
  vehicle: number
  p: number
  s: number
  spentP: number
  spentS: number
  /** Units used per counter: new set members from reported records naming this lease. */
  used: Record<string, number>
  slots: string[]
  expiresMs: number
  outstandingUntilMs: number
}
interface Pending {
  atMs: number
  lease: ModelLease
  counters: string[]
  vehicle: number
  category?: string
}

const arbOp = fc.oneof(
  fc.record({ op: fc.constant('lease' as const), vehicle: fc.nat(4) }),
  fc.record({
    op: fc.constant('export' as const),
    vehicle: fc.nat(4),
    sensitive: fc.boolean(),
    vin: fc.boolean(),
    charging: fc.boolean(),
    /** Already counted fleet-wide (another vehicle exported this person): adds nothing. */
    known: fc.boolean(),
    delay: fc.double({ min: 0, max: 1, noNaN: true }),
    category: fc.constantFrom('location', undefined),
  }),
  fc.record({ op: fc.constant('tick' as const), ms: fc.integer({ min: 1, max: 3_000_000 }) }),
)

describe('lease invariant (property)', () => {
  it('counted + what outstanding leases may still add never exceeds the room below the next limit without a filing', () => {
    fc.assert(
      fc.property(
        fc.record({
          pi: fc.integer({ min: 99_800, max: 99_999 }),
          sensitive: fc.integer({ min: 9_950, max: 9_999 }),
          vin: fc.integer({ min: 999_900, max: 1_000_000 }),
          charging: fc.integer({ min: 999_900, max: 1_000_000 }),
          location: fc.integer({ min: 99_990, max: 100_000 }),
          withContract: fc.boolean(),
          persons: fc.integer({ min: 1, max: 60 }),
          sensitivePersons: fc.integer({ min: 0, max: 20 }),
        }),
        fc.array(arbOp, { minLength: 1, maxLength: 150 }),
        (start, ops) => {
          const filings = start.withContract ? [contract()] : []
          const opts = { ...options, persons: start.persons, sensitivePersons: start.sensitivePersons }
          const counts: Record<string, number> = {
            'persons.pi': start.withContract ? start.pi + 900_000 : start.pi,
            'persons.sensitive': start.withContract ? start.sensitive : 0,
            'persons.vin-iccid': start.vin,
            'persons.charging': start.charging,
            'vehicles/location': start.location,
          }
          const countedIn = new Map<number, Set<string>>()
          const leases: ModelLease[] = []
          const pending: Pending[] = []
          let now = NOW

          const outstanding = () => leases.filter((l) => l.outstandingUntilMs > now)
          const remaining = (): Record<string, number> => {
            const out: Record<string, number> = {}
            for (const [c, w] of Object.entries(weights))
              out[c] = outstanding().reduce((a, l) => a + Math.max(0, w.persons * l.p + w.sensitive * l.s - (l.used[c] ?? 0)), 0)
            return out
          }
          const bindingsNow = () =>
            bindings(requiredMeasure({ counts: countsOf(snapshotOf(counts)), ciio: false, filings, pack, nowMs: now }), filings)
          const snapshot = (vehicle: number): LeaseSnapshot => {
            const reserved = new Set<string>()
            for (const l of outstanding())
              for (const c of l.slots) if (l.vehicle !== vehicle && !countedIn.get(l.vehicle)?.has(c)) reserved.add(`${c}/${l.vehicle}`)
            const otherSlots: Record<string, number> = {}
            for (const k of reserved) otherSlots[k.split('/')[0]!] = (otherSlots[k.split('/')[0]!] ?? 0) + 1
            return snapshotOf(counts, { remaining: remaining(), vehicleCategories: [...(countedIn.get(vehicle) ?? [])], otherSlots })
          }
          const deliver = () => {
            for (let i = pending.length - 1; i >= 0; i--) {
              const r = pending[i]!
              if (r.atMs > now) continue
              for (const c of r.counters) {
                counts[c] = (counts[c] ?? 0) + 1
                r.lease.used[c] = (r.lease.used[c] ?? 0) + 1
              }
              if (r.category && !countedIn.get(r.vehicle)?.has(r.category)) {
                counts[`vehicles/${r.category}`] = (counts[`vehicles/${r.category}`] ?? 0) + 1
                ;(countedIn.get(r.vehicle) ?? countedIn.set(r.vehicle, new Set()).get(r.vehicle)!).add(r.category)
              }
              pending.splice(i, 1)
            }
          }
          const initial = bindingsNow()
          const check = () => {
            const b = bindingsNow()
            const rem = remaining()
            for (const counter of Object.keys(weights)) {
              const bind = b.get(countKey(counter))
              // A count that started above its limit is not the leases' doing (nothing is leased for it).
              if (!bind || !Number.isFinite(bind.maxAllowed) || initial.get(countKey(counter))!.headroom < 0) continue
              expect(bind.count + rem[counter]!, `${counter} at ${now}`).toBeLessThanOrEqual(bind.maxAllowed)
            }
            const loc = b.get(countKey('vehicles', 'location'))!
            const reserved = new Set(
              outstanding().flatMap((l) => (l.slots.includes('location') && !countedIn.get(l.vehicle)?.has('location') ? [l.vehicle] : [])),
            )
            expect(loc.count + reserved.size, 'vehicles[location]').toBeLessThanOrEqual(loc.maxAllowed)
          }

          for (const o of ops) {
            if (o.op === 'tick') now += o.ms
            else if (o.op === 'lease') {
              const mine = outstanding().filter((l) => l.vehicle === o.vehicle && l.expiresMs > now + opts.renewBeforeMs)
              if (mine.length === 0) {
                const g = decideLease({
                  vehicleId: `v${o.vehicle}`,
                  leaseId: 'x',
                  year: 2026,
                  nowMs: now,
                  yearEndMs: YEAR_END,
                  snapshot: snapshot(o.vehicle),
                  bindings: bindingsNow(),
                  weights,
                  options: opts,
                })
                leases.push({
                  vehicle: o.vehicle,
                  p: g.lease.newPersons,
                  s: g.lease.newSensitivePersons,
                  spentP: 0,
                  spentS: 0,
                  used: {},
                  slots: g.slotCategories,
                  expiresMs: g.lease.expiresMs,
                  outstandingUntilMs: g.lease.outstandingUntilMs,
                })
              }
            } else {
              // The agent: a subject new to it costs a unit of a live lease; a category counted per
              // vehicle needs the vehicle counted in it already or a live slot for it.
              const l = leases.find((x) => x.vehicle === o.vehicle && x.expiresMs > now && (o.sensitive ? x.spentS < x.s : x.spentP < x.p))
              if (!l) continue
              const category = o.category
              const mayCategory =
                !category ||
                countedIn.get(o.vehicle)?.has(category) ||
                leases.some((x) => x.vehicle === o.vehicle && x.expiresMs > now && x.slots.includes(category))
              if (!mayCategory) continue
              if (o.sensitive) l.spentS++
              else l.spentP++
              const counters = o.known ? [] : [o.sensitive ? 'persons.sensitive' : 'persons.pi']
              if (!o.known && o.vin) counters.push('persons.vin-iccid')
              if (!o.known && o.charging) counters.push('persons.charging')
              // Reported some time before the lease stops counting (late, but within the grace).
              pending.push({ atMs: now + Math.floor(o.delay * (l.outstandingUntilMs - now - 1)), lease: l, counters, vehicle: o.vehicle, category })
            }
            deliver()
            check()
          }
        },
      ),
      { numRuns: 400 },
    )
  })
})
