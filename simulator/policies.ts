/** Ready-made inspect policies for tests, benchmarks and the demo. */
import type { InspectPolicy } from '../agent/inspect/policy.ts'

/**
 * A security assessment and an MNR approval in force for everything, so that nothing is held for
 * lack of a filing and every payload goes through the whole pipeline, re-encoding included.
 */
export const everythingOnFile: InspectPolicy = Object.freeze({
  version: 1,
  filings: (['security-assessment', 'mnr-approval'] as const).map((kind) => ({
    id: kind,
    kind,
    reference: 'all-on-file',
    categories: ['*'],
    recipients: ['*'],
    purposes: ['*'],
    validFromMs: 0,
    validUntilMs: Number.MAX_SAFE_INTEGER,
  })),
  heldCategories: [],
  ciio: false,
})
