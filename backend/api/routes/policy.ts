/** GET /api/policy: the fleet policy in force, its signed bytes and the key that verifies them. */
import type { Hono } from 'hono'
import { wire } from '../../../shared/wire/index.ts'
import type { ApiDeps } from '../deps.ts'
import type { ApiEnv } from '../env.ts'
import { type OverseasDeps, overseasReads } from '../overseas.ts'

export function policyRoutes(app: Hono<ApiEnv>, deps: ApiDeps, overseas: OverseasDeps): void {
  app.get('/api/policy', overseasReads('policy', [], overseas), async function currentPolicy(c) {
    const ev = await deps.policy.evaluate()
    const signed = wire.SignedPolicy.decode(ev.fleetPolicy.signed)
    const policy = wire.FleetPolicy.toObject(wire.FleetPolicy.decode((signed as unknown as { policy: Uint8Array }).policy), {
      longs: Number,
      enums: Number,
      defaults: true,
      arrays: true,
    })
    return c.json({
      policy,
      signedPolicyBase64: Buffer.from(ev.fleetPolicy.signed).toString('base64'),
      keyId: deps.signer.keyId,
      publicKeyPem: deps.signer.publicKeyPem,
    })
  })
}
