/**
 * Yearly counts as the measure engine reads them: counter → category → value in the counter's
 * own unit ('' is the category of counters without categories).
 */
import type { CounterTotal } from '../store/types.ts'
import { SUM_SCALE } from './counters.ts'
import type { CountingPlan } from './plan.ts'

export type Counts = Readonly<Record<string, Readonly<Record<string, number>>>>

/**
 * Converts stored totals to counts (sums back to their unit). Every counter of the plan is
 * present, at zero when nothing was counted.
 */
export function countsFromTotals(plan: CountingPlan, totals: readonly CounterTotal[]): Counts {
  const out: Record<string, Record<string, number>> = {}
  const sum = new Set<string>()
  for (const c of plan.counters) {
    out[c.id] = c.perCategory ? {} : { '': 0 }
    if (c.def.kind === 'sum') sum.add(c.id)
  }
  for (const t of totals) {
    const bucket = (out[t.counter] ??= {})
    bucket[t.category] = sum.has(t.counter) ? t.value / SUM_SCALE : t.value
  }
  return out
}

/** One count, zero when absent. */
export function countOf(counts: Counts, counter: string, category = ''): number {
  return counts[counter]?.[category] ?? 0
}
