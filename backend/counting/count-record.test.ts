import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isAdxError } from '../../shared/errors.ts'
import { loadRulePack } from '../../shared/rulepack/load.ts'
import type { ExportRecord, Subject } from '../../shared/wire/index.ts'
import { openSqliteStore } from '../store/sqlite.ts'
import type { IngestRecord } from '../store/types.ts'
import { countRecord } from './count-record.ts'
import { SUM_SCALE } from './counters.ts'
import { countsFromTotals } from './counts.ts'
import { countingPlan } from './plan.ts'

const pack = loadRulePack()
const plan = countingPlan(pack)
const JAN_2026 = Date.UTC(2026, 0, 10)

function record(p: Partial<ExportRecord> = {}): ExportRecord {
  return {
    recordId: 'r1',
    payloadId: 'p1',
    vehiclePseudonym: 'veh-1',
    exportedMs: JAN_2026,
    destination: 'eu',
    recipient: 'oem-eu',
    purpose: 'diagnostics',
    kind: 1,
    categories: [],
    ruleIds: [],
    subjects: [],
    originalBytes: 0,
    exportedBytes: 0,
    exemption: null,
    strippedItems: 0,
    cameraKm: 0,
    cameraHours: 0,
    rulePackVersion: pack.version,
    policyVersion: 1,
    leaseId: '',
    ...p,
  }
}
const subject = (pseudonym: string, kind = 'phone', sensitive = false, charging = false): Subject => ({ pseudonym, kind, sensitive, charging })

describe('countRecord', () => {
  it('counts vehicles per category and persons by kind of PI', () => {
    const c = countRecord(
      plan,
      record({
        categories: ['location', 'charging', 'location'],
        subjects: [subject('p-phone'), subject('p-face', 'driver-id', true), subject('p-vin', 'vin'), subject('p-chg', 'phone', false, true)],
      }),
    )
    expect(c.year).toBe(2026)
    expect(c.members).toEqual([
      ['persons.pi', '', 'p-phone'],
      ['persons.pi', '', 'p-vin'],
      ['persons.pi', '', 'p-chg'],
      ['persons.sensitive', '', 'p-face'],
      ['persons.vin-iccid', '', 'p-vin'],
      ['persons.charging', '', 'p-chg'],
      ['vehicles', 'location', 'veh-1'],
      ['vehicles', 'charging', 'veh-1'],
    ])
    expect(c.sums).toEqual([])
  })

  it('counts ICCID and IMSI subjects toward persons.vin-iccid, not IMEI or plates', () => {
    const c = countRecord(plan, record({ subjects: ['vin', 'iccid', 'imsi', 'imei', 'plate'].map((k) => subject(`p-${k}`, k)) }))
    expect(c.members.filter((m) => m[0] === 'persons.vin-iccid').map((m) => m[2])).toEqual(['p-vin', 'p-iccid', 'p-imsi'])
  })

  it('sums camera kilometres and hours as integers of millionths', () => {
    const c = countRecord(plan, record({ cameraKm: 12.5, cameraHours: 0.1 }))
    expect(c.sums).toEqual([
      ['camera.km', '', 12.5 * SUM_SCALE],
      ['camera.hours', '', 0.1 * SUM_SCALE],
    ])
  })

  it('takes the year from exported_ms in CST', () => {
    const turn = Date.UTC(2025, 11, 31, 16)
    expect(countRecord(plan, record({ exportedMs: turn - 1 })).year).toBe(2025)
    expect(countRecord(plan, record({ exportedMs: turn })).year).toBe(2026)
  })

  it.each([2, 3, 4])('records under E%i stay out of the PI totals but count for important data', (e) => {
    const c = countRecord(
      plan,
      record({
        categories: ['charging'],
        exemption: { exemption: e, reference: '', purpose: 'contract' },
        subjects: [subject('a', 'vin'), subject('b', 'phone', true, true)],
      }),
    )
    const counters = new Set(c.members.map((m) => m[0]))
    expect(counters.has('persons.pi')).toBe(false)
    expect(counters.has('persons.sensitive')).toBe(false)
    expect(c.members).toContainEqual(['persons.vin-iccid', '', 'a'])
    expect(c.members).toContainEqual(['persons.charging', '', 'b'])
    expect(c.members).toContainEqual(['vehicles', 'charging', 'veh-1'])
  })

  it.each([1, 5, 6, 7, 8, 9])('records under E%i count toward the PI totals', (e) => {
    const c = countRecord(plan, record({ exemption: { exemption: e, reference: 'x', purpose: 'y' }, subjects: [subject('a')] }))
    expect(c.members).toContainEqual(['persons.pi', '', 'a'])
  })

  it('refuses a pack that names a counter it cannot count', () => {
    const bad = { ...pack, counters: [...pack.counters, { id: 'persons.mystery', title: 'x' }] }
    try {
      countingPlan(bad)
      expect.unreachable()
    } catch (e) {
      expect(isAdxError(e, 'ADX_ERR_COUNTER_UNKNOWN')).toBe(true)
    }
  })
})

// ------------------------------------------------------------ property: order and duplicates

const arbSubject = fc.record({
  pseudonym: fc.constantFrom(...Array.from({ length: 12 }, (_, i) => `psn:${i}`)),
  kind: fc.constantFrom('vin', 'iccid', 'imsi', 'phone', 'driver-id', 'plate'),
  sensitive: fc.boolean(),
  charging: fc.boolean(),
})
const arbRecordBody = fc.record({
  vehiclePseudonym: fc.constantFrom('veh-a', 'veh-b', 'veh-c', 'veh-d'),
  exportedMs: fc.integer({ min: Date.UTC(2025, 11, 31, 12), max: Date.UTC(2025, 11, 31, 20) }),
  categories: fc.array(fc.constantFrom('location', 'charging', 'diagnostic', 'media-original'), { maxLength: 3 }),
  subjects: fc.array(arbSubject, { maxLength: 4 }),
  exemption: fc.constantFrom(0, 0, 0, 2, 3, 4, 5, 7),
  cameraKm: fc.constantFrom(0, 0.5, 1.1, 12.345678, 1000),
  cameraHours: fc.constantFrom(0, 0.25, 1 / 3, 2),
})
const arbRecords = fc
  .array(arbRecordBody, { minLength: 1, maxLength: 25 })
  .map((bodies) =>
    bodies.map((b, i) =>
      record({ ...b, recordId: `r${i}`, exemption: b.exemption ? { exemption: b.exemption, reference: '', purpose: '' } : null }),
    ),
  )

/** Reference: the regulation's definition written directly with sets over unique records. */
function reference(records: ExportRecord[]): Record<string, Record<string, number>> {
  const sets = new Map<string, Set<string>>()
  const sums = new Map<string, number>()
  const add = (key: string, m: string) => (sets.get(key) ?? sets.set(key, new Set()).get(key)!).add(m)
  for (const r of records) {
    const year = new Date(r.exportedMs + 8 * 3600_000).getUTCFullYear()
    const exempt = [2, 3, 4].includes(r.exemption?.exemption ?? 0)
    for (const s of r.subjects) {
      if (!exempt && !s.sensitive) add(`${year}|persons.pi|`, s.pseudonym)
      if (!exempt && s.sensitive) add(`${year}|persons.sensitive|`, s.pseudonym)
      if (['vin', 'iccid', 'imsi'].includes(s.kind)) add(`${year}|persons.vin-iccid|`, s.pseudonym)
      if (s.charging) add(`${year}|persons.charging|`, s.pseudonym)
    }
    for (const c of r.categories) add(`${year}|vehicles|${c}`, r.vehiclePseudonym)
    for (const [k, v] of [['camera.km', r.cameraKm], ['camera.hours', r.cameraHours]] as const)
      if (v > 0) sums.set(`${year}|${k}|`, (sums.get(`${year}|${k}|`) ?? 0) + Math.round(v * SUM_SCALE))
  }
  const out: Record<string, Record<string, number>> = {}
  const put = (key: string, v: number) => {
    const [year, counter, category] = key.split('|') as [string, string, string]
    ;(out[`${year}|${counter}`] ??= {})[category] = v
  }
  for (const [k, s] of sets) put(k, s.size)
  for (const [k, v] of sums) put(k, v / SUM_SCALE)
  return out
}

describe('counting is order- and duplicate-independent (property, real store)', () => {
  it('any permutation with random duplicates and batch splits gives the set-based reference', async () => {
    await fc.assert(
      fc.asyncProperty(
        arbRecords.chain((records) =>
          fc.tuple(
            fc.constant(records),
            // Deliveries: every record at least once, some several times, in any order.
            fc.shuffledSubarray(records.concat(records, records), { minLength: 0 }).chain((extra) =>
              fc.shuffledSubarray(records.concat(extra), { minLength: records.length + extra.length }),
            ),
            fc.array(fc.integer({ min: 1, max: 10 }), { minLength: 1, maxLength: 10 }),
          ),
        ),
        async ([records, deliveries, splits]) => {
          const store = await openSqliteStore(':memory:')
          try {
            const items: IngestRecord[] = deliveries.map((r) => {
              const c = countRecord(plan, r)
              return { vehicleId: r.vehiclePseudonym, recordId: r.recordId, year: c.year, exportedMs: r.exportedMs, recipient: r.recipient, leaseId: '', body: null, members: c.members, sums: c.sums }
            })
            for (let i = 0, k = 0; i < items.length; k++) {
              const n = splits[k % splits.length]!
              await store.ingest(items.slice(i, i + n), 0)
              i += n
            }
            const got: Record<string, Record<string, number>> = {}
            for (const year of [2025, 2026]) {
              const counts = countsFromTotals(plan, await store.totals(year))
              for (const [counter, cats] of Object.entries(counts))
                for (const [cat, v] of Object.entries(cats)) if (v !== 0) (got[`${year}|${counter}`] ??= {})[cat] = v
            }
            expect(got).toEqual(reference(records))
          } finally {
            await store.close()
          }
        },
      ),
      { numRuns: 150 },
    )
  })
})
