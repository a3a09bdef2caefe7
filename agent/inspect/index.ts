/**
 * `inspect`: the pure heart of the agent. See docs/verdict.md for the verdict's JSON form.
 * @module
 */
export { createInspector, payloadKindOf, type Inspector, type InspectorConfig } from './inspector.ts'
export { decodePayload, type PayloadInput } from './decode.ts'
export { emptyPolicy, parseInspectPolicy, inspectPolicySchema, type InspectPolicy, type InspectFiling } from './policy.ts'
export { holdReasons, failClosedReasons, type HoldReason } from './reasons.ts'
export { exitCodes, verdictToJson, type Destination, type Verdict, type Decision, type Region } from './verdict.ts'
export type { InspectLimits } from './limits.ts'
