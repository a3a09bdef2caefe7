/**
 * Keeps the last good signed policies (fleet-wide and the vehicle's own), persisted in the
 * agent's state and re-verified when loaded, and builds the effective InspectPolicy from them.
 */
import type { InspectPolicy } from '../inspect/policy.ts'
import { effectivePolicy, type PolicyRejection, type PolicySource, verifySignedPolicy, type VerifiedPolicy } from './policy.ts'
import type { AgentState } from './state.ts'

const key = (s: PolicySource) => `policy:${s}`

/** Outcome of offering a signed policy. */
export type AcceptResult = { ok: true; changed: boolean; version: number } | PolicyRejection

/** The last good policies. */
export class PolicyKeeper {
  private readonly current: Partial<Record<PolicySource, VerifiedPolicy>> = {}

  /**
   * Load persisted policies (each re-verified; a stored policy that fails is ignored).
   * `vehicleId` given = vehicle policies must name it and fleet policies must name none.
   */
  constructor(
    private readonly state: AgentState,
    private readonly publicKeyPem: string,
    private readonly vehicleId?: string,
  ) {
    for (const s of ['fleet', 'vehicle'] as const) {
      const bytes = state.get(key(s))
      if (!bytes) continue
      const r = verifySignedPolicy(publicKeyPem, bytes, s, undefined, vehicleId)
      if (r.ok) this.current[s] = r.value
    }
  }

  /**
   * Verify and, when good and newer, adopt and persist a signed policy.
   * @example const r = keeper.accept('vehicle', messageBytes); if (!r.ok) raiseIncident(r)
   */
  accept(source: PolicySource, bytes: Uint8Array): AcceptResult {
    const r = verifySignedPolicy(this.publicKeyPem, bytes, source, this.current[source], this.vehicleId)
    if (!r.ok) return r
    if (r.duplicate) return { ok: true, changed: false, version: Number(r.value.policy.version) }
    this.state.set(key(source), bytes)
    this.current[source] = r.value
    return { ok: true, changed: true, version: Number(r.value.policy.version) }
  }

  /** The policy `inspect` decides against now (lease minus what has been used). */
  effective(nowMs: number): InspectPolicy & { leaseId: string } {
    const p = effectivePolicy({
      ...(this.current.fleet ? { fleet: this.current.fleet } : {}),
      ...(this.current.vehicle ? { vehicle: this.current.vehicle } : {}),
      leaseUse: (id) => this.state.leaseUse(id),
      knownSubjects: this.state.knownSubjects(),
      nowMs,
    })
    return { ...p, nowMs }
  }

  /** Version in force (0 = none yet). */
  get version(): number {
    return Math.max(Number(this.current.fleet?.policy.version ?? 0), Number(this.current.vehicle?.policy.version ?? 0))
  }
}
