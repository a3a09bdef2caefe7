/**
 * The verdict: what `inspect` decided and why. Its JSON form (`verdictToJson`) is documented
 * in docs/verdict.md and stable: fields are only ever added. It never contains a secret or a
 * raw identifier: items are described by path and kind.
 */
import type { HoldReason } from './reasons.ts'

export type Region = 'domestic' | 'abroad'

/** Where a payload is going, as the agent's configuration names it. */
export interface Destination {
  name: string
  region: Region
  /** Authenticated identity of the (overseas) recipient, e.g. the pinned certificate's subject. */
  recipient: string
  /** Purposes this destination accepts; empty or absent = any. */
  purposes?: readonly string[]
}

export type Decision = 'send' | 'hold'

export interface Reason {
  code: HoldReason
  message: string
  /** Rule ids or categories the reason is about. */
  ruleIds?: string[]
  /** Where in the payload (field path), when it is about one place. */
  path?: string
}

export interface CategoryFinding {
  id: string
  /** Field paths that carried it (first 16). */
  evidence: string[]
}

export interface RuleFinding {
  id: string
  /** What an export needs once it fired. */
  requires: string
  /** Filing id (or "exemption:E9:<ref>") that covers it, if any. */
  coveredBy?: string
  evidence: string[]
}

export type StripReason = 'control-instruction' | 'key-material'

export interface StrippedItem {
  path: string
  /** e.g. "actuator-write", "remote-command", "uds-ecu-reset", "private-key", "certificate", "jwt". */
  kind: string
  reason: StripReason
  /** How it was encoded when found: pem, der, base64, hex, jwt, jwk, field, uds ... */
  encoding?: string
}

export interface PseudonymisedItem {
  path: string
  /** Identifier kind: vin, iccid, imsi, imei, resident-id, phone, email, plate, name, driver-id ... */
  kind: string
}

export interface CoarsenedItem {
  path: string
  decimals: number
}

export interface VerdictSubject {
  pseudonym: string
  kind: string
  sensitive: boolean
  charging: boolean
  /** Not yet known to this agent this year (counts against the quota lease). */
  new?: boolean
}

/** The result of `inspect`. `output` is the bytes that may be sent (absent when held). */
export interface Verdict {
  payloadId: string
  vehiclePseudonym: string
  destination: { name: string; region: Region; recipient: string }
  decision: Decision
  reasons: Reason[]
  categories: CategoryFinding[]
  rules: RuleFinding[]
  stripped: StrippedItem[]
  pseudonymised: PseudonymisedItem[]
  coarsened: CoarsenedItem[]
  subjects: VerdictSubject[]
  exemption?: { id: string; reference: string; purpose: string }
  /** Body kind: telemetry, diagnostic, ota, media, opaque (absent when undecodable). */
  kind?: string
  purpose: string
  rulePackVersion: string
  policyVersion: number
  sizes: { originalBytes: number; exportedBytes: number }
  /** Original real-environment camera data carried: km and hours. */
  camera: { km: number; hours: number }
  /** Sanitised payload (protobuf), present when decision is "send". */
  output?: Uint8Array
}

/** Process exit codes of `adx inspect`, documented in the CLI help and docs/verdict.md. */
export const exitCodes = {
  send: 0,
  error: 1,
  usage: 2,
  heldByPolicy: 3,
  heldFailClosed: 4,
} as const

/** The stable JSON form of a verdict (without the output bytes). */
export function verdictToJson(v: Verdict): Omit<Verdict, 'output'> & { verdict: 1 } {
  const { output: _output, ...rest } = v
  return { verdict: 1, ...rest }
}
