/**
 * What each counter of the rule pack counts, as code: the pack names counters and their limits
 * (data); how a record feeds a counter is decided here, once per counter id. A pack that names a
 * counter this table does not know is refused at start (ADX_ERR_COUNTER_UNKNOWN) rather than
 * silently never counted.
 */
import type { ExportRecord, Subject } from '../../shared/wire/index.ts'

/** Sums are kept as integers in millionths of their unit, so any order of addition gives the same total. */
export const SUM_SCALE = 1_000_000

/** Identifier kinds that count toward persons.vin-iccid (VIN and connected-vehicle SIM identifiers). */
export const VIN_SIM_KINDS: ReadonlySet<string> = new Set(['vin', 'iccid', 'imsi'])

/** A distinct-set counter: each member joins the yearly set of (counter, category) at most once. */
export interface DistinctCounter {
  kind: 'distinct'
  /** True when the counter counts persons (subject to the exemptions excluded from totals). */
  persons: boolean
  /** Members of the record for this counter, as [category, member] ('' = no category). */
  members(record: ExportRecord): Iterable<readonly [string, string]>
}

/** A sum counter: the record adds an amount (in the counter's unit). */
export interface SumCounter {
  kind: 'sum'
  amount(record: ExportRecord): number
}

export type CounterDefinition = DistinctCounter | SumCounter

function subjectsWhere(pred: (s: Subject) => boolean): DistinctCounter['members'] {
  return function* (record) {
    for (const s of record.subjects ?? []) if (s.pseudonym && pred(s)) yield ['', s.pseudonym] as const
  }
}

/** Every counter the backend knows how to count, by the id the rule pack uses. */
export const counterDefinitions: Readonly<Record<string, CounterDefinition>> = {
  /** Distinct persons whose non-sensitive PI went abroad. */
  'persons.pi': { kind: 'distinct', persons: true, members: subjectsWhere((s) => !s.sensitive) },
  /** Distinct persons whose sensitive PI went abroad. */
  'persons.sensitive': { kind: 'distinct', persons: true, members: subjectsWhere((s) => s.sensitive) },
  /** Distinct persons identifiable through exported VINs and SIM identifiers. */
  'persons.vin-iccid': { kind: 'distinct', persons: true, members: subjectsWhere((s) => VIN_SIM_KINDS.has(s.kind)) },
  /** Distinct persons whose charging consumption data went abroad. */
  'persons.charging': { kind: 'distinct', persons: true, members: subjectsWhere((s) => s.charging) },
  /** Distinct vehicles per data category. */
  vehicles: {
    kind: 'distinct',
    persons: false,
    *members(record) {
      if (!record.vehiclePseudonym) return
      for (const c of new Set(record.categories ?? [])) yield [c, record.vehiclePseudonym] as const
    },
  },
  /** Kilometres of original real-environment camera data. */
  'camera.km': { kind: 'sum', amount: (r) => r.cameraKm ?? 0 },
  /** Hours of original real-environment camera data. */
  'camera.hours': { kind: 'sum', amount: (r) => r.cameraHours ?? 0 },
}
