/**
 * From findings and fired rules to a decision, against the policy: filings in force (scope,
 * recipient, purpose, validity), exemption claims, fleet holds, CIIO, the quota lease.
 * Key material and control instructions are stripped, never "covered": no filing lets them go.
 */
import { exemptionCode } from '../../shared/wire/enums.ts'
import type { RulePack } from '../../shared/rulepack/schema.ts'
import type { OutboundPayload } from '../../shared/wire/types.ts'
import type { Findings } from './findings.ts'
import { personKinds } from './findings.ts'
import type { InspectFiling, InspectPolicy } from './policy.ts'
import type { FiredRule } from './rules.ts'
import type { Destination, RuleFinding, VerdictSubject } from './verdict.ts'

/** Filing kinds that satisfy each requirement. */
const satisfiedBy: Record<string, ReadonlySet<string>> = {
  'security-assessment': new Set(['security-assessment']),
  'standard-contract': new Set(['standard-contract', 'certification', 'security-assessment']),
  'mnr-approval': new Set(['mnr-approval']),
}

function inScope(list: readonly string[], ...wanted: string[]): boolean {
  return list.includes('*') || wanted.some((w) => list.includes(w))
}

/** A filing covers a requirement for a rule/categories, recipient and purpose at `nowMs`. */
export function filingCovers(
  filing: InspectFiling,
  requirement: string,
  scope: readonly string[],
  recipient: string,
  purpose: string,
  nowMs: number,
): boolean {
  return (
    (satisfiedBy[requirement]?.has(filing.kind) ?? false) &&
    filing.validFromMs <= nowMs &&
    nowMs < filing.validUntilMs &&
    inScope(filing.categories, ...scope) &&
    inScope(filing.recipients, recipient) &&
    inScope(filing.purposes, purpose)
  )
}

export interface DecideInput {
  pack: RulePack
  payload: OutboundPayload
  destination: Destination
  policy: InspectPolicy
  f: Findings
  fired: FiredRule[]
  vehiclePseudonym: string
}

export interface Decided {
  rules: RuleFinding[]
  subjects: VerdictSubject[]
  exemption?: { id: string; reference: string; purpose: string }
}

/** Decide; holds are added to `f.holds`. */
export function decide(input: DecideInput): Decided {
  const { pack, payload, destination, policy, f, fired } = input
  const nowMs = policy.nowMs ?? payload.createdMs ?? 0
  const purpose = payload.purpose ?? ''
  const claim = payload.exemption
  const exemptionId = exemptionCode(claim?.exemption)
  const exemptionRule = exemptionId ? pack.exemptions.find((e) => e.id === exemptionId) : undefined
  const exemption = exemptionId
    ? { id: exemptionId, reference: claim?.reference ?? '', purpose: claim?.purpose || purpose }
    : undefined
  const abroad = destination.region === 'abroad'

  // Exemption claims need a recorded purpose, and E6–E9 a reference with a filing in force.
  let exemptionValid = false
  let exemptionFiling: InspectFiling | undefined
  if (exemption && exemptionRule) {
    exemptionFiling = policy.filings.find(
      (fl) =>
        fl.kind === 'exemption-reference' &&
        fl.exemption === exemption.id &&
        fl.reference === exemption.reference &&
        fl.validFromMs <= nowMs &&
        nowMs < fl.validUntilMs &&
        inScope(fl.recipients, destination.recipient) &&
        inScope(fl.purposes, purpose),
    )
    exemptionValid =
      exemption.purpose !== '' && (!exemptionRule.needsReference || (exemption.reference !== '' && exemptionFiling !== undefined))
    if (abroad && !exemptionValid)
      f.hold('ADX_HOLD_EXEMPTION_UNSUPPORTED', {
        ruleIds: [exemption.id],
        message: exemption.purpose === ''
          ? `exemption ${exemption.id} is claimed without a recorded purpose`
          : `exemption ${exemption.id} needs a reference and an exemption-reference filing in force for it`,
      })
  }

  const rules: RuleFinding[] = []
  const uncovered: string[] = []
  for (const { rule, evidence } of fired) {
    const finding: RuleFinding = { id: rule.id, requires: rule.requires, evidence }
    rules.push(finding)
    if (rule.requires === 'never' || !abroad) continue
    const scope = [rule.id, ...(rule.trigger.kind === 'category' ? rule.trigger.categories : []), ...(rule.categories ?? [])]
    const filing = policy.filings.find((fl) => filingCovers(fl, rule.requires, scope, destination.recipient, purpose, nowMs))
    if (filing) finding.coveredBy = filing.id
    else if (exemptionValid && exemptionRule?.coversRules.includes(rule.id))
      finding.coveredBy = `exemption:${exemption!.id}:${exemption!.reference}`
    else uncovered.push(rule.id)
  }
  if (uncovered.length) f.hold('ADX_HOLD_NEEDS_FILING', { ruleIds: uncovered })

  // Subjects: persons found, else the vehicle's user when the payload carries PI.
  const personal = new Map(pack.categories.map((c) => [c.id, c.personal]))
  let sensitive = false
  let pi = false
  for (const c of f.categories.keys()) {
    const p = personal.get(c)
    if (p === 'sensitive') sensitive = pi = true
    else if (p === 'pi') pi = true
  }
  const charging = f.categories.has('charging')
  const found = [...f.subjects.values()]
  const hasPerson = found.some((s) => personKinds.has(s.kind))
  const subjects: VerdictSubject[] = found.map((s) => {
    const data = hasPerson ? personKinds.has(s.kind) : s.pseudonym === input.vehiclePseudonym
    return { pseudonym: s.pseudonym, kind: s.kind, sensitive: data && sensitive, charging: data && charging }
  })
  if (pi && !hasPerson && input.vehiclePseudonym && !f.subjects.has(input.vehiclePseudonym))
    subjects.push({ pseudonym: input.vehiclePseudonym, kind: 'vin', sensitive, charging })

  if (!abroad) return exemption ? { rules, subjects, exemption } : { rules, subjects }

  // Purpose accepted by the destination.
  if (destination.purposes && destination.purposes.length > 0 && !destination.purposes.includes(purpose))
    f.hold('ADX_HOLD_PURPOSE_NOT_ALLOWED', { message: `destination "${destination.name}" does not accept purpose "${purpose}"` })

  // Fleet holds: categories or rule ids the backend holds.
  if (policy.heldCategories.length) {
    const held = policy.heldCategories.filter((h) => f.categories.has(h) || rules.some((r) => r.id === h))
    if (held.length) f.hold('ADX_HOLD_POLICY_HELD', { ruleIds: held })
  }

  // CIIO: any PI needs a security assessment in force.
  if (policy.ciio && subjects.length > 0) {
    const ok = policy.filings.some((fl) =>
      filingCovers(fl, 'security-assessment', ['personal', 'person-identifier', 'vehicle-identifier', 'sensitive-personal', 'location'], destination.recipient, purpose, nowMs),
    )
    if (!ok) f.hold('ADX_HOLD_CIIO_PI')
  }

  // Quota lease: new persons beyond the lease wait (exempt flows under E2–E4 do not count).
  const excluded = exemptionValid && exemptionRule?.excludedFromTotals === true
  if (policy.lease && !excluded) {
    let fresh = 0
    let freshSensitive = 0
    for (const s of subjects) {
      if (policy.knownSubjects?.has(s.pseudonym)) continue
      s.new = true
      if (s.sensitive) freshSensitive++
      else fresh++
    }
    if (fresh > policy.lease.newPersons || freshSensitive > policy.lease.newSensitivePersons)
      f.hold('ADX_HOLD_LEASE_EXHAUSTED', {
        message: `payload adds ${fresh} new persons and ${freshSensitive} new sensitive persons; lease ${policy.lease.id || '(unnamed)'} allows ${policy.lease.newPersons} and ${policy.lease.newSensitivePersons}`,
      })
  }
  return exemption ? { rules, subjects, exemption } : { rules, subjects }
}
