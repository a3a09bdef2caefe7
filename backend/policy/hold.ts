/**
 * PURE: which export categories the whole fleet must hold. A category is held when a limit that
 * governs it lacks a filing in force for it and the count can no longer grow without crossing:
 * a distinct count at its last allowed value (the next new person or vehicle would cross), or a
 * sum at `sumHoldFraction` of its limit (sums have no leases, so they stop with a margin).
 * Sensitive PI (limit: 1 person) is therefore held from the start until a contract is on file.
 */
import type { LimitStatus, MeasureReport } from '../measure/engine.ts'

/** A held category and the limits that hold it. */
export interface Hold {
  category: string
  limitIds: string[]
}

/** True when the limit leaves no room for its count to grow without a filing. */
export function exhausted(l: LimitStatus, sumHoldFraction: number): boolean {
  if (l.covered) return false
  return l.distinct ? l.count >= l.maxAllowed : l.fired || l.count >= l.value * sumHoldFraction
}

/**
 * Categories held fleet-wide, sorted, each with the limits that hold it.
 * @example heldCategories(report, 0.95).map((h) => h.category) // ['location', 'sensitive-personal']
 */
export function heldCategories(report: MeasureReport, sumHoldFraction: number): Hold[] {
  const held = new Map<string, string[]>()
  for (const l of report.limits) {
    if (!exhausted(l, sumHoldFraction)) continue
    for (const c of l.uncoveredCategories) (held.get(c) ?? held.set(c, []).get(c)!).push(l.id)
  }
  return [...held.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([category, limitIds]) => ({ category, limitIds }))
}
