/** /api/vehicles: list (viewer), provision and revoke (admin). A secret is shown once, at provisioning. */
import type { Hono } from 'hono'
import { z } from 'zod'
import { AdxError } from '../../../shared/errors.ts'
import { vehicleIdProblem } from '../../vehicles/vehicle-id.ts'
import { generateSecret, hashSecret } from '../../vehicles/credentials.ts'
import { requireRole } from '../auth.ts'
import type { ApiDeps } from '../deps.ts'
import type { ApiEnv } from '../env.ts'
import { parseBody } from '../errors.ts'
import { type OverseasDeps, overseasReads } from '../overseas.ts'

/** Body of POST /api/vehicles. */
export const vehicleInput = z.strictObject({
  vehicleId: z.string().superRefine((id, ctx) => {
    const problem = vehicleIdProblem(id)
    if (problem) ctx.addIssue({ code: 'custom', message: problem })
  }),
  label: z.string().max(256).default(''),
})

export function vehicleRoutes(app: Hono<ApiEnv>, deps: ApiDeps, overseas: OverseasDeps): void {
  const clock = deps.clock ?? Date.now

  app.get('/api/vehicles', overseasReads('vehicles', ['vehicle-identifier'], overseas), async function listVehicles(c) {
    const rows = await deps.store.listVehicles()
    c.set('disclosed', { subjects: rows.map((v) => ({ pseudonym: v.vehicleId, kind: 'vin', sensitive: false, charging: false })) })
    return c.json({
      vehicles: rows.map((v) => ({ vehicleId: v.vehicleId, label: v.label, status: v.status, createdMs: v.createdMs, revokedMs: v.revokedMs, lastSeenMs: v.lastSeenMs })),
    })
  })

  app.post('/api/vehicles', requireRole('admin'), async function addVehicle(c) {
    const body = await parseBody(c, vehicleInput)
    const secret = generateSecret()
    await deps.store.addVehicle({ vehicleId: body.vehicleId, label: body.label, secretHash: await hashSecret(secret, deps.scrypt), createdMs: clock() })
    deps.onVehicleAdded(body.vehicleId)
    deps.log.info({ vehicleId: body.vehicleId, by: c.get('account').id }, 'vehicle provisioned')
    return c.json({ vehicleId: body.vehicleId, secret, note: 'the secret is shown once; provision it to the vehicle now' }, 201)
  })

  app.post('/api/vehicles/:vehicleId/revoke', requireRole('admin'), async function revokeVehicle(c) {
    const vehicleId = c.req.param('vehicleId')
    if (!(await deps.store.revokeVehicle(vehicleId, clock()))) throw new AdxError('ADX_ERR_VEHICLE_UNKNOWN', vehicleId)
    deps.onVehicleRevoked(vehicleId)
    deps.log.warn({ vehicleId, by: c.get('account').id }, 'vehicle revoked')
    return c.json({ vehicleId, status: 'revoked' })
  })
}
