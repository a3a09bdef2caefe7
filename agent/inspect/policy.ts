/**
 * The policy `inspect` decides against: what the fleet policy says (filings in force, held
 * categories, the quota lease, CIIO) plus the instant to judge validity at. Built by the
 * daemon from the last good signed FleetPolicy; the CLI reads it from a JSON file.
 */
import { z } from 'zod'

const filingKind = z.enum([
  'security-assessment',
  'standard-contract',
  'certification',
  'exemption-reference',
  'mnr-approval',
  'important-data-filing',
])

/** A filing as the inspector sees it. Scope lists accept "*" for any. */
export const inspectFilingSchema = z.strictObject({
  id: z.string().min(1),
  kind: filingKind,
  reference: z.string().default(''),
  categories: z.array(z.string()).default(['*']),
  recipients: z.array(z.string()).default(['*']),
  purposes: z.array(z.string()).default(['*']),
  validFromMs: z.number().int().default(0),
  validUntilMs: z.number().int().default(Number.MAX_SAFE_INTEGER),
  /** For exemption-reference filings: "E6".."E9". */
  exemption: z.enum(['E1', 'E2', 'E3', 'E4', 'E5', 'E6', 'E7', 'E8', 'E9']).optional(),
})

export const inspectPolicySchema = z.strictObject({
  version: z.number().int().min(0).default(0),
  /** Judge validity at this instant (epoch ms). Default: the payload's created time. */
  nowMs: z.number().int().optional(),
  filings: z.array(inspectFilingSchema).default([]),
  /** Categories or rule ids held fleet-wide. */
  heldCategories: z.array(z.string()).default([]),
  /** Processor is a critical information infrastructure operator. */
  ciio: z.boolean().default(false),
  /**
   * Quota lease: how many persons not yet known to this agent this year it may still export.
   * Absent = no lease enforcement (local use of `adx inspect`; the daemon always sets one).
   */
  lease: z
    .strictObject({
      id: z.string().default(''),
      newPersons: z.number().int().min(0),
      newSensitivePersons: z.number().int().min(0),
    })
    .optional(),
})

export type InspectFiling = z.infer<typeof inspectFilingSchema>
/** The effective policy; `knownSubjects` is the agent's set of pseudonyms already exported this year. */
export type InspectPolicy = z.infer<typeof inspectPolicySchema> & { knownSubjects?: ReadonlySet<string> }

/** The policy of a fleet with nothing on file: no filings, nothing held, no lease. */
export const emptyPolicy: InspectPolicy = Object.freeze({ version: 0, filings: [], heldCategories: [], ciio: false })

/**
 * Validate a policy object (e.g. from `adx inspect --policy FILE`).
 * @returns the policy, or the zod error naming the bad field.
 */
export function parseInspectPolicy(input: unknown): z.ZodSafeParseResult<z.infer<typeof inspectPolicySchema>> {
  return inspectPolicySchema.safeParse(input)
}
