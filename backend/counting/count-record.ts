/**
 * PURE: what one export record counts toward. The year is the CST counting year of exported_ms;
 * distinct sets get members, sums get integer amounts (millionths, see SUM_SCALE). Sums are
 * idempotent only through the store's record-id dedupe, which is why a record is counted as a
 * whole or not at all.
 *
 * Exemptions the pack marks `excludedFromTotals` (E2–E4) keep the record's persons out of the
 * counters that thresholds measure (persons.pi, persons.sensitive): the PI totals of §2. The
 * important-data counters (persons.vin-iccid, persons.charging), vehicles and camera sums still
 * count, because those exemptions do not cover important data.
 */
import { countingYear } from '../../shared/calendar.ts'
import type { ExportRecord } from '../../shared/wire/index.ts'
import type { MemberUpdate, SumUpdate } from '../store/types.ts'
import { SUM_SCALE } from './counters.ts'
import type { CountingPlan } from './plan.ts'

/** Counter updates of one record. */
export interface RecordCounts {
  year: number
  members: MemberUpdate[]
  sums: SumUpdate[]
}

/**
 * Counter updates of one record.
 * @example const { year, members, sums } = countRecord(plan, record)
 */
export function countRecord(plan: CountingPlan, record: ExportRecord): RecordCounts {
  const year = countingYear(record.exportedMs, plan.utcOffsetMinutes)
  const excluded = plan.excludedExemptions.has(record.exemption?.exemption ?? 0)
  const members: MemberUpdate[] = []
  const sums: SumUpdate[] = []
  for (const { id, def } of plan.counters) {
    if (def.kind === 'sum') {
      const amount = Math.round(def.amount(record) * SUM_SCALE)
      if (amount > 0) sums.push([id, '', amount])
      continue
    }
    if (excluded && def.persons && plan.totalsCounters.has(id)) continue
    const seen = new Set<string>()
    for (const [category, member] of def.members(record)) {
      const key = `${category}\u0000${member}`
      if (seen.has(key)) continue
      seen.add(key)
      members.push([id, category, member])
    }
  }
  return { year, members, sums }
}
