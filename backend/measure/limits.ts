/**
 * PURE: every limit the fleet must not cross silently, enumerated from the rule pack: the PI
 * thresholds (§2), the CIIO rule (any PI needs an assessment) and each condition of the fleet
 * rules (scope: fleet), one per category for counters kept per category. Comparison "gte" is
 * 以上 (the number itself fires), "gt" is 超过 (only above it fires).
 */
import type { MeasureId, Requirement, RulePack } from '../../shared/rulepack/schema.ts'
import { counterDefinitions } from '../counting/counters.ts'

/** One limit on one yearly count. */
export interface Limit {
  /** Threshold id, `CIIO:<counter>`, or `<rule id>:<counter>[:<category>]`. */
  id: string
  source: 'threshold' | 'ciio' | 'fleet-rule'
  /** Threshold id, "CIIO", or the fleet rule's id. */
  ruleId: string
  counter: string
  /** Category of the count ('' unless the counter is kept per category). */
  category: string
  value: number
  comparison: 'gte' | 'gt'
  /** Measure (or filing kind) needed once it fires. */
  requires: Requirement | MeasureId
  /** Export categories this limit governs: held while it would be crossed without a filing. */
  categories: string[]
  /** True for distinct-set counters (integers), false for sums. */
  distinct: boolean
}

/** Export categories whose exports feed a persons counter. */
export function categoriesOfCounter(pack: RulePack, counter: string): string[] {
  const personal = (p: string[]) => pack.categories.filter((c) => p.includes(c.personal)).map((c) => c.id)
  return counter === 'persons.sensitive' ? personal(['sensitive']) : personal(['pi', 'sensitive'])
}

/**
 * Every limit of the pack (and the CIIO rule when the processor is a CIIO).
 * @example limitsOf(pack, { ciio: false }).map((l) => l.id) // ['T-PI-CONTRACT', …, 'IDR-VEHICLE-QUANTITY:vehicles:location', …]
 */
export function limitsOf(pack: RulePack, opts: { ciio: boolean }): Limit[] {
  const distinct = (counter: string) => counterDefinitions[counter]?.kind !== 'sum'
  const perCategory = new Set(pack.counters.filter((c) => c.perCategory).map((c) => c.id))
  const limits: Limit[] = pack.thresholds.map((t) => ({
    id: t.id,
    source: 'threshold',
    ruleId: t.id,
    counter: t.counter,
    category: '',
    value: t.value,
    comparison: t.comparison,
    requires: t.measure,
    categories: categoriesOfCounter(pack, t.counter),
    distinct: distinct(t.counter),
  }))
  if (opts.ciio) {
    for (const counter of new Set(pack.thresholds.map((t) => t.counter))) {
      limits.push({
        id: `CIIO:${counter}`,
        source: 'ciio',
        ruleId: 'CIIO',
        counter,
        category: '',
        value: 1,
        comparison: 'gte',
        requires: pack.ciio.anyPersonalInformation,
        categories: categoriesOfCounter(pack, counter),
        distinct: true,
      })
    }
  }
  for (const rule of pack.rules) {
    if (rule.scope !== 'fleet' || rule.trigger.kind !== 'fleet-count') continue
    for (const cond of rule.trigger.any) {
      const base = { source: 'fleet-rule' as const, ruleId: rule.id, counter: cond.counter, value: cond.value, comparison: cond.comparison, requires: rule.requires, distinct: distinct(cond.counter) }
      if (perCategory.has(cond.counter)) {
        for (const c of rule.categories ?? []) limits.push({ ...base, id: `${rule.id}:${cond.counter}:${c}`, category: c, categories: [c] })
      } else {
        limits.push({ ...base, id: `${rule.id}:${cond.counter}`, category: '', categories: [...(rule.categories ?? [])] })
      }
    }
  }
  return limits
}

/** True when the count fires the limit (gte: count ≥ value; gt: count > value). */
export function fires(limit: Pick<Limit, 'value' | 'comparison'>, count: number): boolean {
  return limit.comparison === 'gte' ? count >= limit.value : count > limit.value
}

/**
 * Largest count that does not fire the limit. Distinct counters are integers: gte → value − 1,
 * gt → ⌊value⌋. Sums are continuous: the limit value itself (for gte, any amount below it).
 */
export function maxAllowed(limit: Pick<Limit, 'value' | 'comparison' | 'distinct'>): number {
  if (!limit.distinct) return limit.value
  return limit.comparison === 'gte' ? Math.ceil(limit.value) - 1 : Math.floor(limit.value)
}
