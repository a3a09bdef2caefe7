/**
 * `inspect(payload, destination, policy) → verdict`: decode → detect → tag → strip →
 * pseudonymise → decide. Pure: no I/O, no clock, no randomness; the same input gives the
 * same verdict. Never throws: anything unexpected holds the payload (ADX_HOLD_INTERNAL).
 */
import { createPseudonymiser } from '../../shared/pseudonym.ts'
import { normaliseIdentifier } from './detect/identifiers/identifiers.ts'
import type { RulePack, SensitiveZone } from '../../shared/rulepack/schema.ts'
import type { VssClassifier } from '../../shared/rulepack/vss-overlay.ts'
import { wire } from '../../shared/wire/index.ts'
import type { OutboundPayload } from '../../shared/wire/types.ts'
import { countItems, handleBody } from './bodies/index.ts'
import { decide } from './decide.ts'
import { decodePayload, type PayloadInput } from './decode.ts'
import { Findings } from './findings.ts'
import type { InspectLimits } from './limits.ts'
import { emptyPolicy, type InspectPolicy } from './policy.ts'
import { holdReasons } from './reasons.ts'
import { evaluateRules } from './rules.ts'
import { Scrubber } from './scrub.ts'
import type { Destination, Verdict } from './verdict.ts'

/** Static configuration, compiled once per agent. */
export interface InspectorConfig {
  pack: RulePack
  vss: VssClassifier
  /** Key of the keyed-HMAC pseudonyms (≥ 16 bytes). Configuration; never in a payload or verdict. */
  pseudonymKey: Uint8Array
  /** Decimal places coordinates keep abroad (default: the pack's agent.locationDecimals). */
  locationDecimals?: number
  /** Sensitive zones in addition to the pack's. */
  sensitiveZones?: readonly SensitiveZone[]
  limits?: Partial<InspectLimits>
}

export interface Inspector {
  /**
   * Inspect one payload for one destination under a policy.
   * @example
   * const v = inspector.inspect(bytes, { name: 'oem-eu', region: 'abroad', recipient: 'CN=oem-eu' }, policy)
   * if (v.decision === 'send') deliver(v.output)
   */
  inspect(input: PayloadInput, destination: Destination, policy?: InspectPolicy): Verdict
  readonly config: Readonly<{ pack: RulePack; limits: InspectLimits; locationDecimals: number }>
}

const bodyKinds = { telemetry: 1, diagnostic: 2, ota: 3, media: 4, opaque: 5 } as const

/** Scrub envelope strings an app may fill freely (abroad: replaced in place). */
function envelope(scrub: Scrubber, f: Findings, p: OutboundPayload): void {
  // Apps build ids from VINs and phone numbers; the pseudonym is deterministic, so the id
  // stays a stable dedupe key for the receiver.
  if (p.id) {
    const t = scrub.text(f, p.id, 'id')
    if (f.abroad) p.id = t
  }
  if (p.purpose) {
    const t = scrub.text(f, p.purpose, 'purpose')
    if (f.abroad) p.purpose = t
  }
  const tags = p.tags ?? []
  for (let i = 0; i < tags.length; i++) {
    const t = scrub.text(f, tags[i]!, `tags[${i}]`)
    if (f.abroad) tags[i] = t
  }
  if (p.exemption) {
    for (const k of ['reference', 'purpose'] as const) {
      const v = p.exemption[k]
      if (v) {
        const t = scrub.text(f, v, `exemption.${k}`)
        if (f.abroad) p.exemption[k] = t
      }
    }
  }
}

/**
 * Build an inspector from the rule pack, the VSS overlay and the pseudonym key.
 * @throws AdxError ADX_ERR_PSEUDONYM_KEY when the key is too short (configuration error).
 */
export function createInspector(config: InspectorConfig): Inspector {
  const { pack, vss } = config
  const limits: InspectLimits = { ...pack.agent.limits, ...config.limits }
  const locationDecimals = config.locationDecimals ?? pack.agent.locationDecimals
  const zones = [...pack.agent.sensitiveZones, ...(config.sensitiveZones ?? [])]
  const pseudonymise = createPseudonymiser(config.pseudonymKey)
  const scrub = new Scrubber({ pseudonymise, limits, locationDecimals })

  function held(base: Verdict, code: keyof typeof holdReasons, message: string): Verdict {
    return { ...base, decision: 'hold', reasons: [{ code, message }] }
  }

  function inspect(input: PayloadInput, destination: Destination, policy: InspectPolicy = emptyPolicy): Verdict {
    const abroad = destination.region === 'abroad'
    const base: Verdict = {
      payloadId: '',
      vehiclePseudonym: '',
      destination: { name: destination.name, region: destination.region, recipient: destination.recipient },
      decision: 'hold',
      reasons: [],
      categories: [],
      rules: [],
      stripped: [],
      pseudonymised: [],
      coarsened: [],
      subjects: [],
      purpose: '',
      rulePackVersion: pack.version,
      policyVersion: policy.version,
      sizes: { originalBytes: 0, exportedBytes: 0 },
      camera: { km: 0, hours: 0 },
    }
    try {
      const decoded = decodePayload(input, limits)
      if (!decoded.ok) {
        base.sizes.originalBytes = decoded.bytes
        return held(base, decoded.reason, decoded.message)
      }
      const payload = decoded.payload
      base.payloadId = payload.id ?? ''
      base.purpose = payload.purpose ?? ''
      base.sizes.originalBytes = decoded.bytes.length
      if (payload.body) base.kind = payload.body
      if (countItems(payload) > limits.maxItems)
        return held(base, 'ADX_HOLD_TOO_MANY_ITEMS', `payload has more than ${limits.maxItems} items`)

      const f = new Findings(abroad)
      const vehicleId = normaliseIdentifier('vin', payload.vehicleId ?? '')
      const vehiclePseudonym = vehicleId ? pseudonymise('vin', vehicleId) : ''
      base.vehiclePseudonym = vehiclePseudonym
      if (abroad && vehicleId) payload.vehicleId = vehiclePseudonym

      envelope(scrub, f, payload)
      base.payloadId = payload.id ?? ''
      base.purpose = payload.purpose ?? ''
      if (!handleBody({ f, scrub, vss, locationDecimals }, payload)) f.hold('ADX_HOLD_UNKNOWN_KIND')

      const fired = evaluateRules(pack, payload, f, zones)
      const decided = decide({ pack, payload, destination, policy, f, fired, vehiclePseudonym })

      const verdict: Verdict = {
        ...base,
        decision: f.failed ? 'hold' : 'send',
        reasons: f.holds,
        categories: [...f.categories].map(([id, evidence]) => ({ id, evidence })),
        rules: decided.rules,
        stripped: f.stripped,
        pseudonymised: f.pseudonymised,
        coarsened: f.coarsened,
        subjects: decided.subjects,
        camera: { km: f.cameraKm, hours: f.cameraHours },
      }
      if (decided.exemption) verdict.exemption = decided.exemption
      if (verdict.decision === 'send') {
        const output = abroad ? wire.OutboundPayload.encode(payload as never).finish() : decoded.bytes
        verdict.output = output
        verdict.sizes = { originalBytes: decoded.bytes.length, exportedBytes: output.length }
      }
      return verdict
    } catch (e) {
      return held(base, 'ADX_HOLD_INTERNAL', `internal error: ${(e as Error)?.message ?? String(e)}`)
    }
  }

  return { inspect, config: { pack, limits, locationDecimals } }
}

/** Numeric PayloadKind of a verdict's body kind (for export records). */
export function payloadKindOf(kind: string | undefined): number {
  return kind && kind in bodyKinds ? bodyKinds[kind as keyof typeof bodyKinds] : 0
}
