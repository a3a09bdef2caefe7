/**
 * Keeps the last good signed policies (fleet-wide and the vehicle's own), persisted in the
 * agent's state and re-verified when loaded, and builds the effective InspectPolicy from them.
 */
import type { InspectPolicy } from '../inspect/policy.ts'
import { effectivePolicy, type PolicyRejection, type PolicySource, verifySignedPolicy, type VerifiedPolicy } from './policy.ts'
import type { AgentState } from './state.ts'


/** Outcome of offering a signed policy. */
export type AcceptResult = { ok: true; changed: boolean; version: number } | PolicyRejection

/** The last good policies. */
export class PolicyKeeper {
  private readonly current: Partial<Record<PolicySource, VerifiedPolicy>> = {}

  /**
   * Load persisted policies (each re-verified; a stored policy that fails is ignored).
   * `vehicleId` given = vehicle policies must name it and fleet policies must name none.
   * `fleetFrom` given (a gateway's vehicles): the fleet policy is that keeper's, and this one
   * keeps only the vehicle's own policy, stored under the vehicle's id.
   */
  constructor(
    private readonly state: AgentState,
    private readonly publicKeyPem: string,
    private readonly vehicleId?: string,
    private readonly fleetFrom?: PolicyKeeper,
  ) {
    for (const s of fleetFrom ? (['vehicle'] as const) : (['fleet', 'vehicle'] as const)) {
      const bytes = state.get(this.key(s))
      if (!bytes) continue
      const r = verifySignedPolicy(publicKeyPem, bytes, s, undefined, vehicleId)
      if (r.ok) this.current[s] = r.value
    }
  }

  private key(s: PolicySource): string {
    return this.fleetFrom && s === 'vehicle' ? `policy:vehicle:${this.vehicleId ?? ''}` : `policy:${s}`
  }

  /**
   * Verify and, when good and newer, adopt and persist a signed policy.
   * @example const r = keeper.accept('vehicle', messageBytes); if (!r.ok) raiseIncident(r)
   */
  accept(source: PolicySource, bytes: Uint8Array): AcceptResult {
    if (source === 'fleet' && this.fleetFrom) return this.fleetFrom.accept(source, bytes)
    const r = verifySignedPolicy(this.publicKeyPem, bytes, source, this.current[source], this.vehicleId)
    if (!r.ok) return r
    if (r.duplicate) return { ok: true, changed: false, version: Number(r.value.policy.version) }
    this.state.set(this.key(source), bytes)
    this.current[source] = r.value
    return { ok: true, changed: true, version: Number(r.value.policy.version) }
  }

  private get fleet(): VerifiedPolicy | undefined {
    return this.fleetFrom ? this.fleetFrom.fleet : this.current.fleet
  }

  /** The policy `inspect` decides against now (lease minus what has been used). */
  effective(nowMs: number): InspectPolicy & { leaseId: string } {
    const fleet = this.fleet
    const p = effectivePolicy({
      ...(fleet ? { fleet } : {}),
      ...(this.current.vehicle ? { vehicle: this.current.vehicle } : {}),
      leaseUse: (id) => this.state.leaseUse(id),
      knownSubjects: this.state.knownSubjects(),
      nowMs,
    })
    return { ...p, nowMs }
  }

  /** Version in force (0 = none yet). */
  get version(): number {
    return Math.max(Number(this.fleet?.policy.version ?? 0), Number(this.current.vehicle?.policy.version ?? 0))
  }
}
