/**
 * PURE: how far each count may still grow. For every count (counter and category) the binding
 * limit is the lowest limit on it that lacks a filing in force for one of its categories; the
 * headroom is what stays below it. Limits a filing covers are stepped over, but only while that
 * filing is in force: `validUntilMs` says until when the headroom holds.
 */
import type { MeasureReport } from '../measure/engine.ts'
import type { FilingScope } from '../measure/filings.ts'

/** The limit a count must stay below, and how much room is left. */
export interface Binding {
  limitId: string
  counter: string
  category: string
  count: number
  /** Largest count allowed without a filing. */
  maxAllowed: number
  /** maxAllowed − count (negative when already crossed). */
  headroom: number
  /** Earliest end of validity of the filings that lift lower limits (Infinity when none). */
  validUntilMs: number
  distinct: boolean
}

/** Key of a count: counter and category. */
export const countKey = (counter: string, category = '') => `${counter}\u0000${category}`

/**
 * Binding limit per count; counts with no uncovered limit are absent (unbounded).
 * @example bindings(report, filings).get(countKey('persons.pi'))?.headroom
 */
export function bindings(report: MeasureReport, filings: readonly FilingScope[]): Map<string, Binding> {
  const validUntil = new Map(filings.map((f) => [f.filingId, f.validUntilMs]))
  const out = new Map<string, Binding>()
  for (const l of report.limits) {
    if (l.covered) continue
    const key = countKey(l.counter, l.category)
    const prev = out.get(key)
    if (prev && prev.maxAllowed <= l.maxAllowed) continue
    out.set(key, {
      limitId: l.id,
      counter: l.counter,
      category: l.category,
      count: l.count,
      maxAllowed: l.maxAllowed,
      headroom: l.maxAllowed - l.count,
      validUntilMs: Infinity,
      distinct: l.distinct,
    })
  }
  // Covered limits below the binding one hold only while their filings are in force.
  for (const l of report.limits) {
    if (!l.covered) continue
    const b = out.get(countKey(l.counter, l.category))
    const liftedBelow = b ? l.maxAllowed < b.maxAllowed : true
    if (!liftedBelow) continue
    let until = Infinity
    for (const ids of Object.values(l.coveredBy)) until = Math.min(until, Math.max(...ids.map((id) => validUntil.get(id) ?? 0)))
    if (b) b.validUntilMs = Math.min(b.validUntilMs, until)
    else
      out.set(countKey(l.counter, l.category), {
        limitId: l.id,
        counter: l.counter,
        category: l.category,
        count: l.count,
        maxAllowed: Infinity,
        headroom: Infinity,
        validUntilMs: until,
        distinct: l.distinct,
      })
  }
  return out
}
