/**
 * PURE: what a filing on record covers. A filing covers a requirement when it is in force
 * (valid_from ≤ now < valid_until), its kind satisfies the requirement (the pack's
 * `measures[].satisfiedBy`; MNR approval for surveying data) and its scope names the category,
 * the limit or rule id, or "*". Recipient and purpose scopes are checked per payload by the agent,
 * which receives the filings in its policy.
 */
import type { MeasureId, Requirement, RulePack } from '../../shared/rulepack/schema.ts'
import { filingKindNames as sharedFilingKindNames } from '../../shared/wire/enums.ts'

/** The filing fields coverage depends on (FilingRow and the proto Filing both fit). */
export interface FilingScope {
  filingId: string
  kind: number
  categories: readonly string[]
  recipients: readonly string[]
  purposes: readonly string[]
  validFromMs: number
  validUntilMs: number
}

/** Name a filing kind has in the pack's `satisfiedBy` lists. */
export const filingKindNames: Readonly<Record<number, string>> = sharedFilingKindNames

/** True when the filing is in force at nowMs: valid_from ≤ now < valid_until. */
export function inForce(f: FilingScope, nowMs: number): boolean {
  return f.validFromMs <= nowMs && nowMs < f.validUntilMs
}

/** True when a filing of this kind satisfies the requirement under the pack. */
export function kindSatisfies(pack: RulePack, kind: number, requirement: Requirement | MeasureId): boolean {
  const name = filingKindNames[kind]
  if (!name || requirement === 'never' || requirement === 'exempt') return false
  if (requirement === 'mnr-approval') return name === 'mnr-approval'
  const measure = pack.measures.find((m) => m.id === requirement)
  return (measure?.satisfiedBy ?? [requirement]).some((s) => s === name)
}

/** True when the filing's category scope names the category, one of the ids, or "*". */
export function scopeCovers(f: FilingScope, category: string, ids: readonly string[] = []): boolean {
  return f.categories.some((c) => c === '*' || c === category || ids.includes(c))
}

/**
 * Filings in force that satisfy `requirement` for `category` (also matched by a limit or rule id
 * in `ids`).
 * @example coveringFilings(pack, filings, 'security-assessment', 'charging', ['IDR-CHARGING-PERSONS'], now)
 */
export function coveringFilings(
  pack: RulePack,
  filings: readonly FilingScope[],
  requirement: Requirement | MeasureId,
  category: string,
  ids: readonly string[],
  nowMs: number,
): FilingScope[] {
  return filings.filter((f) => inForce(f, nowMs) && kindSatisfies(pack, f.kind, requirement) && scopeCovers(f, category, ids))
}
