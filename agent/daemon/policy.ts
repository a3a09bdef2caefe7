/**
 * Signed fleet policy on the agent: verify a SignedPolicy (Ed25519, configured public key)
 * BEFORE decoding what it says, refuse older versions, and map the wire FleetPolicy to the
 * InspectPolicy `inspect` decides against. Pure: no I/O.
 */
import { countingYear } from '../../shared/calendar.ts'
import { keyIdFromPem, verifyBytes } from '../../shared/signature.ts'
import { exemptionCode, filingKindNames } from '../../shared/wire/enums.ts'
import { wire } from '../../shared/wire/index.ts'
import type { FleetPolicy, SignedPolicy } from '../../shared/wire/index.ts'
import type { InspectFiling, InspectPolicy } from '../inspect/policy.ts'
import type { LeaseUse } from './state.ts'

/** Where a policy came from: the fleet-wide topic or the vehicle's own (with its lease). */
export type PolicySource = 'fleet' | 'vehicle'

/** A policy that passed verification. */
export interface VerifiedPolicy {
  source: PolicySource
  policy: FleetPolicy
  /** The signed bytes as received (persisted; re-verified on load). */
  signed: Uint8Array
}

/** Why a signed policy was refused. */
export type PolicyRejection = {
  ok: false
  reason: 'undecodable' | 'bad-signature' | 'wrong-key' | 'older-version' | 'conflicting-version' | 'wrong-vehicle'
  detail: string
}

const filingKinds: Readonly<Record<number, InspectFiling['kind']>> = filingKindNames

/**
 * Verify and decode a SignedPolicy. The signature is checked over the exact policy bytes before
 * they are decoded; a policy whose version is below `previous` is refused, and one with the same
 * version but different bytes too, and one that names another vehicle than `vehicleId` (fleet
 * policies name none). `duplicate: true` = the same bytes again (retained redelivery).
 * @example const r = verifySignedPolicy(pem, bytes, 'fleet', lastGood); if (r.ok) use(r.value)
 */
export function verifySignedPolicy(
  publicKeyPem: string,
  bytes: Uint8Array,
  source: PolicySource,
  previous?: VerifiedPolicy,
  vehicleId?: string,
): { ok: true; value: VerifiedPolicy; duplicate: boolean } | PolicyRejection {
  let signed: SignedPolicy
  try {
    signed = wire.SignedPolicy.decode(bytes) as unknown as SignedPolicy
  } catch (e) {
    return { ok: false, reason: 'undecodable', detail: `SignedPolicy: ${(e as Error).message}` }
  }
  const keyId = keyIdFromPem(publicKeyPem)
  if (signed.keyId && signed.keyId !== keyId) return { ok: false, reason: 'wrong-key', detail: `signed with key ${signed.keyId}, expected ${keyId}` }
  if (!signed.policy || !signed.signature || !verifyBytes(publicKeyPem, signed.policy, signed.signature))
    return { ok: false, reason: 'bad-signature', detail: 'Ed25519 signature does not verify over the policy bytes' }
  let policy: FleetPolicy
  try {
    policy = wire.FleetPolicy.toObject(wire.FleetPolicy.decode(signed.policy), { defaults: true, arrays: true }) as FleetPolicy
  } catch (e) {
    return { ok: false, reason: 'undecodable', detail: `FleetPolicy: ${(e as Error).message}` }
  }
  // A validly signed policy for another vehicle (replayed onto this vehicle's topic) carries
  // that vehicle's lease: refuse it. A fleet policy names no vehicle.
  const named = policy.vehiclePseudonym ?? ''
  if (vehicleId !== undefined && (source === 'vehicle' ? named !== vehicleId : named !== ''))
    return { ok: false, reason: 'wrong-vehicle', detail: `${source} policy names vehicle "${named.slice(0, 64)}"` }
  if (previous) {
    const pv = Number(previous.policy.version)
    const v = Number(policy.version)
    if (v < pv) return { ok: false, reason: 'older-version', detail: `version ${v} is older than the policy in force (${pv})` }
    if (v === pv) {
      if (Buffer.from(previous.signed).equals(Buffer.from(bytes))) return { ok: true, value: previous, duplicate: true }
      return { ok: false, reason: 'conflicting-version', detail: `version ${v} again with different content` }
    }
  }
  return { ok: true, value: { source, policy, signed: bytes }, duplicate: false }
}

function toInspectFiling(f: FleetPolicy['filings'][number]): InspectFiling | undefined {
  const kind = filingKinds[Number(f.kind)]
  if (!kind) return undefined
  const exemption = exemptionCode(Number(f.exemption))
  const filing: InspectFiling = {
    id: f.filingId,
    kind,
    reference: f.reference ?? '',
    categories: f.categories?.length ? [...f.categories] : ['*'],
    recipients: f.recipients?.length ? [...f.recipients] : ['*'],
    purposes: f.purposes?.length ? [...f.purposes] : ['*'],
    validFromMs: Number(f.validFromMs ?? 0),
    validUntilMs: Number(f.validUntilMs) > 0 ? Number(f.validUntilMs) : Number.MAX_SAFE_INTEGER,
  }
  if (exemption) filing.exemption = exemption as InspectFiling['exemption']
  return filing
}

/**
 * The effective InspectPolicy from the last good fleet and vehicle policies.
 * - Holds are the union of both (fail closed: a vehicle's own holds, e.g. no slot in a category
 *   near its vehicle limit, stay when a newer fleet policy arrives; a hold lifted fleet-wide
 *   lifts on this vehicle when its next own policy comes, which the backend issues at once to
 *   connected vehicles). CIIO: either.
 * - Slots: for each category of the newer policy's `slotCategories`, a vehicle may export it only
 *   with a slot from a live lease or when its last own policy (this counting year) showed it
 *   already counted there; otherwise it is held. So an agent that has no own policy yet, or whose
 *   lease expired while offline, never adds itself to a vehicle count near its limit.
 * - Filings come from the more recently issued policy; the lease only from the vehicle policy,
 *   minus what has been used (no vehicle policy, or an expired lease = a lease of zero, so new
 *   persons wait). Without any policy: nothing on file, lease zero, nothing held.
 * @example inspector.inspect(payload, dest, effectivePolicy({ fleet, vehicle, leaseUse, knownSubjects, nowMs }))
 */
export function effectivePolicy(opts: {
  fleet?: VerifiedPolicy
  vehicle?: VerifiedPolicy
  leaseUse: (leaseId: string) => LeaseUse
  knownSubjects: ReadonlySet<string>
  nowMs: number
}): InspectPolicy & { leaseId: string } {
  const f = opts.fleet?.policy
  const v = opts.vehicle?.policy
  // Fleet and vehicle policies share one monotonic version sequence: the newer one is the
  // backend's current view of filings and of which categories need slots.
  const latest = [f, v].filter((p): p is FleetPolicy => !!p).sort((a, b) => Number(b.version) - Number(a.version))[0]
  const held = new Set([...(f?.heldCategories ?? []), ...(v?.heldCategories ?? [])])
  const lease = v?.lease
  const live = !!lease && !!lease.leaseId && (!Number(lease.expiresMs) || Number(lease.expiresMs) > opts.nowMs)
  let leaseId = ''
  let newPersons = 0
  let newSensitivePersons = 0
  if (live) {
    leaseId = lease.leaseId
    const used = opts.leaseUse(leaseId)
    newPersons = Math.max(0, Number(lease.newPersons) - used.persons)
    newSensitivePersons = Math.max(0, Number(lease.newSensitivePersons) - used.sensitive)
  }
  for (const c of slotHolds(latest?.slotCategories ?? [], v, live, opts.nowMs)) held.add(c)
  return {
    version: Math.max(Number(f?.version ?? 0), Number(v?.version ?? 0)),
    filings: (latest?.filings ?? []).map(toInspectFiling).filter((x): x is InspectFiling => !!x),
    heldCategories: [...held].sort(),
    ciio: !!f?.ciio || !!v?.ciio,
    lease: { id: leaseId, newPersons, newSensitivePersons },
    knownSubjects: opts.knownSubjects,
    leaseId,
  }
}

/**
 * Slot categories this vehicle must hold: those it has no slot for (from a live lease) and is not
 * known to be counted in. Counted = a slot category of its own policy that the policy neither
 * held nor granted a slot for, and only within the counting year the policy was issued in.
 */
function slotHolds(slotCategories: readonly string[], own: FleetPolicy | undefined, leaseLive: boolean, nowMs: number): string[] {
  if (slotCategories.length === 0) return []
  const granted = new Set(leaseLive ? (own?.lease?.vehicleCategories ?? []) : [])
  const counted = new Set<string>()
  if (own && countingYear(Number(own.issuedMs)) === countingYear(nowMs)) {
    const ownHeld = new Set(own.heldCategories)
    const ownGranted = new Set(own.lease?.vehicleCategories ?? [])
    for (const c of own.slotCategories ?? []) if (!ownHeld.has(c) && !ownGranted.has(c)) counted.add(c)
  }
  return slotCategories.filter((c) => !granted.has(c) && !counted.has(c))
}
