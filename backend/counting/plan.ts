/**
 * The counting plan: the rule pack's counters joined with their definitions, and which
 * exemptions keep a record's persons out of the totals. Built once per pack.
 */
import { AdxError } from '../../shared/errors.ts'
import type { RulePack } from '../../shared/rulepack/schema.ts'
import { type CounterDefinition, counterDefinitions } from './counters.ts'

/** Everything countRecord needs, derived from the pack. */
export interface CountingPlan {
  utcOffsetMinutes: number
  counters: ReadonlyArray<{ id: string; perCategory: boolean; def: CounterDefinition }>
  /** Exemption enum numbers (1..9) whose records are recorded but not counted toward the PI totals. */
  excludedExemptions: ReadonlySet<number>
  /** Counters a threshold measures (the "totals" that excluded exemptions stay out of). */
  totalsCounters: ReadonlySet<string>
}

/**
 * Builds the counting plan of a pack.
 * @throws AdxError ADX_ERR_COUNTER_UNKNOWN naming every counter the backend cannot count.
 * @example const plan = countingPlan(loadRulePack())
 */
export function countingPlan(pack: RulePack): CountingPlan {
  const unknown = pack.counters.filter((c) => !Object.hasOwn(counterDefinitions, c.id)).map((c) => c.id)
  if (unknown.length) throw new AdxError('ADX_ERR_COUNTER_UNKNOWN', unknown.join(', '), unknown)
  return {
    utcOffsetMinutes: pack.counting.utcOffsetMinutes,
    counters: pack.counters.map((c) => ({ id: c.id, perCategory: c.perCategory ?? false, def: counterDefinitions[c.id]! })),
    excludedExemptions: new Set(pack.exemptions.filter((e) => e.excludedFromTotals).map((e) => Number(e.id.slice(1)))),
    totalsCounters: new Set(pack.thresholds.map((t) => t.counter)),
  }
}
