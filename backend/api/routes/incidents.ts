/** GET /api/incidents: newest first, optionally of one vehicle. */
import type { Hono } from 'hono'
import { z } from 'zod'
import type { ApiDeps } from '../deps.ts'
import type { ApiEnv } from '../env.ts'
import { parseQuery } from '../errors.ts'
import { type OverseasDeps, overseasReads } from '../overseas.ts'

const query = z.strictObject({
  limit: z.coerce.number().int().min(1).max(10_000).default(100),
  vehicleId: z.string().max(128).optional(),
})

export function incidentRoutes(app: Hono<ApiEnv>, deps: ApiDeps, overseas: OverseasDeps): void {
  app.get('/api/incidents', overseasReads('incidents', ['vehicle-identifier'], overseas), async function listIncidents(c) {
    const q = parseQuery(c, query)
    const rows = await deps.store.listIncidents(q)
    const vehicles = [...new Set(rows.map((i) => i.vehicleId).filter(Boolean))]
    c.set('disclosed', { subjects: vehicles.map((v) => ({ pseudonym: v, kind: 'vin', sensitive: false, charging: false })) })
    return c.json({ incidents: rows })
  })
}
