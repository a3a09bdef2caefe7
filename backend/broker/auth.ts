/**
 * Vehicle and gateway authentication for the broker: username = vehicle (or gateway) id,
 * password = its provisioned secret, checked against the stored scrypt hash. A verified secret is remembered (as a SHA-256
 * digest, never in clear) so reconnect storms cost one scrypt per vehicle, not one per
 * connection; the stored row is still read on every connect so revocation takes effect at once.
 * A gateway's enrolled vehicles are read at connect: enrolment takes effect at its next connection.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import type { Store, VehicleRow } from '../store/types.ts'
import type { Principal } from './acl.ts'
import { verifySecret } from '../vehicles/credentials.ts'
import { isVehicleId } from '../../shared/topics.ts'

/** Result of an authentication attempt. */
export type AuthResult = { ok: true; principal: Principal } | { ok: false; reason: 'unknown' | 'revoked' | 'bad-secret' | 'bad-username' }

const digest = (b: string | Uint8Array) => createHash('sha256').update(b).digest()

/** Checks vehicle credentials and keeps the set of revoked vehicles. */
export class VehicleAuthenticator {
  private readonly verified = new Map<string, { hash: string; digest: Buffer }>()
  private revoked = new Set<string>()

  constructor(private readonly store: Store) {}

  /**
   * Verifies a vehicle's credentials.
   * @example const r = await auth.verify('veh-1', Buffer.from(secret)) // { ok: true }
   */
  async verify(vehicleId: string, password: Uint8Array | string | undefined): Promise<AuthResult> {
    if (!isVehicleId(vehicleId)) return { ok: false, reason: 'bad-username' }
    const row = await this.store.getVehicle(vehicleId)
    if (!row) return { ok: false, reason: 'unknown' }
    if (row.status !== 'active') {
      this.revoked.add(vehicleId)
      return { ok: false, reason: 'revoked' }
    }
    const secret = password ?? ''
    const d = digest(secret)
    const cached = this.verified.get(vehicleId)
    if (!(cached && cached.hash === row.secretHash && timingSafeEqual(cached.digest, d))) {
      if (!(await verifySecret(secret, row.secretHash))) return { ok: false, reason: 'bad-secret' }
      this.verified.set(vehicleId, { hash: row.secretHash, digest: d })
    }
    return { ok: true, principal: await this.principalOf(row) }
  }

  /** A vehicle is itself; a gateway carries the active vehicles enrolled to it (read at connect). */
  private async principalOf(row: VehicleRow): Promise<Principal> {
    if (row.kind === 'vehicle') return { kind: 'vehicle', id: row.vehicleId }
    return { kind: 'gateway', id: row.vehicleId, vehicles: new Set(await this.store.gatewayMembers(row.vehicleId)) }
  }

  /** True when the vehicle is known to be revoked (refreshed by refresh()). */
  isRevoked(vehicleId: string): boolean {
    return this.revoked.has(vehicleId)
  }

  /** Marks a vehicle revoked now and forgets its verified secret. */
  markRevoked(vehicleId: string): void {
    this.revoked.add(vehicleId)
    this.verified.delete(vehicleId)
  }

  /** Reloads the revoked set from the store (revocations made by another process). */
  async refresh(): Promise<string[]> {
    const revoked = (await this.store.listVehicles({ status: 'revoked' })).map((v) => v.vehicleId)
    this.revoked = new Set(revoked)
    for (const id of revoked) this.verified.delete(id)
    return revoked
  }
}
