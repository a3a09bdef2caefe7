/**
 * /api/gateways (admin): provision a gateway (one MQTT connection that publishes for an enrolled
 * set of vehicles, under the same ACL) and enrol vehicles to it. Vehicles named for enrolment
 * that are not provisioned yet are provisioned without a secret of their own: they only ever
 * publish through the gateway. Enrolment takes effect at the gateway's next connection.
 */
import type { Hono } from 'hono'
import { z } from 'zod'
import { vehicleIdProblem } from '../../vehicles/vehicle-id.ts'
import { generateSecret, hashSecret } from '../../vehicles/credentials.ts'
import { requireRole } from '../auth.ts'
import type { ApiDeps } from '../deps.ts'
import type { ApiEnv } from '../env.ts'
import { parseBody } from '../errors.ts'

/** A secret hash no secret matches: vehicles that only publish through a gateway. */
export const GATEWAY_ONLY = '!gateway-only'

const id = z.string().superRefine((v, ctx) => {
  const problem = vehicleIdProblem(v)
  if (problem) ctx.addIssue({ code: 'custom', message: problem })
})

/** Body of POST /api/gateways. */
export const gatewayInput = z.strictObject({ gatewayId: id, label: z.string().max(256).default('') })

/** Body of POST /api/gateways/{gatewayId}/vehicles (at most 2,000 per request: the API's body limit). */
export const enrolInput = z.strictObject({ vehicles: z.array(id).min(1).max(2000) })

export function gatewayRoutes(app: Hono<ApiEnv>, deps: ApiDeps): void {
  const clock = deps.clock ?? Date.now

  app.post('/api/gateways', requireRole('admin'), async function addGateway(c) {
    const body = await parseBody(c, gatewayInput)
    const secret = generateSecret()
    await deps.store.addVehicle({ vehicleId: body.gatewayId, kind: 'gateway', label: body.label, secretHash: await hashSecret(secret, deps.scrypt), createdMs: clock() })
    deps.log.info({ gatewayId: body.gatewayId, by: c.get('account').id }, 'gateway provisioned')
    return c.json({ gatewayId: body.gatewayId, secret, note: 'the secret is shown once; enrol vehicles with POST /api/gateways/{gatewayId}/vehicles' }, 201)
  })

  app.post('/api/gateways/:gatewayId/vehicles', requireRole('admin'), async function enrolVehicles(c) {
    const gatewayId = c.req.param('gatewayId')
    const body = await parseBody(c, enrolInput)
    const missing: string[] = []
    for (const v of new Set(body.vehicles)) if (!(await deps.store.getVehicle(v))) missing.push(v)
    await deps.store.addVehicles(missing.map((v) => ({ vehicleId: v, label: '', secretHash: GATEWAY_ONLY, createdMs: clock() })))
    const enrolled = await deps.store.enrolVehicles(gatewayId, body.vehicles)
    deps.log.info({ gatewayId, enrolled, provisioned: missing.length, by: c.get('account').id }, 'vehicles enrolled to a gateway')
    return c.json({ gatewayId, enrolled, provisioned: missing.length })
  })
}
