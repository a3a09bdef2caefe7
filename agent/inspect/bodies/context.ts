import type { VssClassifier } from '../../../shared/rulepack/vss-overlay.ts'
import type { Findings } from '../findings.ts'
import type { Scrubber } from '../scrub.ts'

/** What a body handler works with: the findings to write into and the shared tools. */
export interface BodyContext {
  f: Findings
  scrub: Scrubber
  vss: VssClassifier
  locationDecimals: number
}
