/**
 * A filing as an officer enters it (API body, CLI flags), validated against the rule pack: its
 * scope may name categories, rule ids, threshold ids or limit ids of the pack, or "*".
 */
import { randomUUID } from 'node:crypto'
import { z } from 'zod'
import type { RulePack } from '../../shared/rulepack/schema.ts'
import { FilingKind } from '../../shared/wire/index.ts'
import { filingKindNames } from '../measure/filings.ts'
import { limitsOf } from '../measure/limits.ts'
import type { FilingRow } from '../store/types.ts'

const kindByName = Object.fromEntries(Object.entries(filingKindNames).map(([n, name]) => [name, Number(n)])) as Record<string, number>
const kindNames = Object.values(filingKindNames) as [string, ...string[]]

/** Filing ids: letters, digits and `._:-`, 1–128. */
const filingId = z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, 'must be 1–128 letters, digits or ._:-')
const scopeList = z.array(z.string().min(1).max(128)).min(1, 'must name at least one entry (or "*")').max(256)

/** The body of a new filing. */
export const filingInput = z
  .strictObject({
    filingId: filingId.optional(),
    kind: z.enum(kindNames),
    reference: z.string().min(1).max(256),
    categories: scopeList,
    recipients: scopeList,
    purposes: scopeList,
    validFromMs: z.number().int().min(0),
    validUntilMs: z.number().int().min(0),
    exemption: z.enum(['E1', 'E2', 'E3', 'E4', 'E5', 'E6', 'E7', 'E8', 'E9']).optional(),
  })
  .superRefine((f, ctx) => {
    if (f.validUntilMs <= f.validFromMs) ctx.addIssue({ code: 'custom', path: ['validUntilMs'], message: 'must be after validFromMs' })
    if (f.kind === 'exemption-reference' && !f.exemption) ctx.addIssue({ code: 'custom', path: ['exemption'], message: 'required for an exemption reference' })
    if (f.kind !== 'exemption-reference' && f.exemption) ctx.addIssue({ code: 'custom', path: ['exemption'], message: 'only for an exemption reference' })
  })

export type FilingInput = z.infer<typeof filingInput>

/** Scope names a filing may use under this pack. */
export function scopeNames(pack: RulePack): Set<string> {
  return new Set([
    '*',
    ...pack.categories.map((c) => c.id),
    ...pack.rules.map((r) => r.id),
    ...pack.thresholds.map((t) => t.id),
    ...limitsOf(pack, { ciio: true }).map((l) => l.id),
    'CIIO',
  ])
}

/** Problems of a filing's category scope under the pack, each naming its field. */
export function scopeProblems(pack: RulePack, f: FilingInput): string[] {
  const known = scopeNames(pack)
  return f.categories.flatMap((c, i) => (known.has(c) ? [] : [`categories.${i}: "${c}" is not a category, rule, threshold or limit of rule pack ${pack.version}`]))
}

/**
 * The stored row of a validated filing.
 * @example const row = toFilingRow(filingInput.parse(body), Date.now())
 */
export function toFilingRow(f: FilingInput, nowMs: number): FilingRow {
  return {
    filingId: f.filingId ?? `filing-${randomUUID()}`,
    kind: kindByName[f.kind] ?? FilingKind.UNSPECIFIED,
    reference: f.reference,
    categories: f.categories,
    recipients: f.recipients,
    purposes: f.purposes,
    validFromMs: f.validFromMs,
    validUntilMs: f.validUntilMs,
    // Exemption enum numbers are the exemption's number (E1 = 1 … E9 = 9).
    exemption: f.exemption ? Number(f.exemption.slice(1)) : 0,
    createdMs: nowMs,
  }
}

/** A filing as the API and CLI show it (kind and exemption by name, in force or not). */
export function describeFiling(f: FilingRow, nowMs: number) {
  return {
    filingId: f.filingId,
    kind: filingKindNames[f.kind] ?? 'unspecified',
    reference: f.reference,
    categories: f.categories,
    recipients: f.recipients,
    purposes: f.purposes,
    validFromMs: f.validFromMs,
    validUntilMs: f.validUntilMs,
    exemption: f.exemption ? `E${f.exemption}` : null,
    inForce: f.validFromMs <= nowMs && nowMs < f.validUntilMs,
    createdMs: f.createdMs,
  }
}
