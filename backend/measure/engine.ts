/**
 * PURE measure engine: from the yearly counts, the CIIO flag and the filings on record, which
 * management measure the processor needs (exempt / standard contract / security assessment),
 * which limits fired, how close every limit is (alert levels), and what a filing in force covers.
 * Same inputs, same answer: no clock, no I/O.
 */
import type { MeasureId, Requirement, RulePack } from '../../shared/rulepack/schema.ts'
import { countOf, type Counts } from '../counting/counts.ts'
import { coveringFilings, type FilingScope, inForce, kindSatisfies } from './filings.ts'
import { fires, type Limit, limitsOf, maxAllowed } from './limits.ts'

/** Inputs of the engine. */
export interface MeasureInput {
  counts: Counts
  /** Processor is a critical information infrastructure operator. */
  ciio: boolean
  filings: readonly FilingScope[]
  pack: RulePack
  nowMs: number
}

/** Where one limit stands. */
export interface LimitStatus extends Limit {
  count: number
  /** The count meets the comparison: the limit has fired. */
  fired: boolean
  /** Largest count that does not fire it. */
  maxAllowed: number
  /** count / value. */
  fraction: number
  /** Highest pack alert level (fraction of the limit) reached, or null. */
  alertLevel: number | null
  /** Filings in force that cover its requirement, per governed category. */
  coveredBy: Record<string, string[]>
  /** Governed categories no filing in force covers. */
  uncoveredCategories: string[]
  /** Every governed category is covered by a filing in force. */
  covered: boolean
}

/** Where one fleet rule (scope: fleet) stands. */
export interface FleetRuleStatus {
  ruleId: string
  requires: Requirement
  /** Some condition fired. */
  fired: boolean
  /** Every condition's governed categories are covered by filings in force. */
  covered: boolean
  limits: string[]
}

/** Why a measure is required. */
export interface MeasureReason {
  kind: 'threshold' | 'ciio' | 'fleet-rule'
  /** Threshold id, "CIIO" or fleet rule id. */
  id: string
  limitId: string
  measure: MeasureId
}

/** The engine's answer. */
export interface MeasureReport {
  /** The overall measure the processor needs this year. */
  measure: MeasureId
  reasons: MeasureReason[]
  /** Filings in force whose kind satisfies the overall measure (any scope). */
  measureFilings: string[]
  /** The overall measure is satisfied by at least one filing in force (exempt needs none). */
  measureSatisfied: boolean
  limits: LimitStatus[]
  rules: FleetRuleStatus[]
  filingsInForce: string[]
}

const isMeasure = (pack: RulePack, r: string): r is MeasureId => pack.measures.some((m) => m.id === r)
const rank = (pack: RulePack, m: MeasureId) => pack.measures.find((x) => x.id === m)?.rank ?? 0

/** Status of one limit at the given counts and filings. */
export function limitStatus(limit: Limit, input: MeasureInput, alertLevels: readonly number[]): LimitStatus {
  const count = countOf(input.counts, limit.counter, limit.category)
  const fraction = limit.value > 0 ? count / limit.value : 0
  let alertLevel: number | null = null
  for (const a of alertLevels) if (fraction >= a) alertLevel = a
  const coveredBy: Record<string, string[]> = {}
  const uncoveredCategories: string[] = []
  for (const c of limit.categories) {
    const ids = coveringFilings(input.pack, input.filings, limit.requires, c, [limit.id, limit.ruleId], input.nowMs).map((f) => f.filingId)
    coveredBy[c] = ids
    if (ids.length === 0) uncoveredCategories.push(c)
  }
  return {
    ...limit,
    count,
    fired: fires(limit, count),
    maxAllowed: maxAllowed(limit),
    fraction,
    alertLevel,
    coveredBy,
    uncoveredCategories,
    covered: uncoveredCategories.length === 0,
  }
}

/**
 * The measure the processor needs, with every limit's status.
 * @example
 * const report = requiredMeasure({ counts, ciio: false, filings, pack, nowMs: Date.now() })
 * report.measure // 'standard-contract'
 */
export function requiredMeasure(input: MeasureInput): MeasureReport {
  const { pack } = input
  const alertLevels = [...pack.alertLevels].sort((a, b) => a - b)
  const limits = limitsOf(pack, { ciio: input.ciio }).map((l) => limitStatus(l, input, alertLevels))

  const reasons: MeasureReason[] = []
  for (const l of limits) {
    if (!l.fired || !isMeasure(pack, l.requires)) continue
    reasons.push({ kind: l.source, id: l.ruleId, limitId: l.id, measure: l.requires })
  }
  let measure: MeasureId = pack.measures.find((m) => m.rank === 0)?.id ?? 'exempt'
  for (const r of reasons) if (rank(pack, r.measure) > rank(pack, measure)) measure = r.measure

  const rules: FleetRuleStatus[] = []
  for (const rule of pack.rules) {
    if (rule.scope !== 'fleet') continue
    const mine = limits.filter((l) => l.source === 'fleet-rule' && l.ruleId === rule.id)
    rules.push({
      ruleId: rule.id,
      requires: rule.requires,
      fired: mine.some((l) => l.fired),
      covered: mine.every((l) => l.covered),
      limits: mine.map((l) => l.id),
    })
  }

  const filingsInForce = input.filings.filter((f) => inForce(f, input.nowMs))
  const measureFilings = rank(pack, measure) === 0 ? [] : filingsInForce.filter((f) => kindSatisfies(pack, f.kind, measure)).map((f) => f.filingId)
  return {
    measure,
    reasons,
    measureFilings,
    measureSatisfied: rank(pack, measure) === 0 || measureFilings.length > 0,
    limits,
    rules,
    filingsInForce: filingsInForce.map((f) => f.filingId),
  }
}

