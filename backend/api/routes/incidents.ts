/**
 * /api/incidents: list (viewer; filter by state, vehicle, overdue), show one with its history
 * (viewer), update state and grade (officer). Overdue = not reported by the grade's deadline.
 */
import type { Context, Hono } from 'hono'
import { z } from 'zod'
import { AdxError } from '../../../shared/errors.ts'
import { gradeTable } from '../../incidents/grades.ts'
import type { IncidentView } from '../../incidents/lifecycle.ts'
import { IncidentService } from '../../incidents/service.ts'
import { requireRole } from '../auth.ts'
import type { ApiDeps } from '../deps.ts'
import type { ApiEnv } from '../env.ts'
import { parseBody, parseQuery } from '../errors.ts'
import { type OverseasDeps, overseasReads } from '../overseas.ts'

/** What the incident routes need beyond ApiDeps (the server passes the configured ones). */
export interface IncidentApiDeps {
  service: IncidentService
  /** Called after an officer changed an incident (append it to the emergency-response log). */
  onChanged?: () => void
}

const stateEnum = z.enum(['open', 'contained', 'reported', 'closed'])
const query = z.strictObject({
  limit: z.coerce.number().int().min(1).max(10_000).default(100),
  vehicleId: z.string().max(128).optional(),
  state: stateEnum.optional(),
  overdue: z.enum(['true', 'false']).optional(),
})
const update = z
  .strictObject({
    state: z.enum(['contained', 'reported', 'closed']).optional(),
    grade: z.enum(['particularly-major', 'major', 'relatively-major', 'general']).optional(),
    note: z.string().max(2000).optional(),
  })
  .refine((u) => u.state !== undefined || u.grade !== undefined, { message: 'give state, grade or both' })

/**
 * Answers the incident codes with their status (404 unknown, 409 refused transition) until
 * backend/api/errors.ts lists them; everything else goes to app.onError.
 */
async function answering(c: Context, fn: () => Promise<Response>): Promise<Response> {
  try {
    return await fn()
  } catch (e) {
    if (e instanceof AdxError && (e.code === 'ADX_ERR_INCIDENT_UNKNOWN' || e.code === 'ADX_ERR_INCIDENT_TRANSITION')) {
      const body: { code: string; message: string; details?: readonly string[] } = { code: e.code, message: e.message }
      if (e.details.length) body.details = e.details
      return c.json(body, e.code === 'ADX_ERR_INCIDENT_UNKNOWN' ? 404 : 409)
    }
    throw e
  }
}

/** The wire form: the view plus the stored row's `categories` and `count` (kept for existing clients). */
const wire = (v: IncidentView) => ({ ...v, categories: v.scope.categories, count: v.scope.items })

export function incidentRoutes(app: Hono<ApiEnv>, deps: ApiDeps, overseas: OverseasDeps, extra?: IncidentApiDeps): void {
  const service = extra?.service ?? new IncidentService({ store: deps.store, table: gradeTable(deps.pack), clock: deps.clock })
  const disclose = (c: { set: (k: 'disclosed', v: { subjects: { pseudonym: string; kind: string; sensitive: boolean; charging: boolean }[] }) => void }, vehicles: string[]) =>
    c.set('disclosed', { subjects: [...new Set(vehicles.filter(Boolean))].map((v) => ({ pseudonym: v, kind: 'vin', sensitive: false, charging: false })) })

  app.get('/api/incidents', overseasReads('incidents', ['vehicle-identifier'], overseas), async function listIncidents(c) {
    const q = parseQuery(c, query)
    const views = await service.list({ limit: q.limit, vehicleId: q.vehicleId, state: q.state, overdue: q.overdue === 'true' })
    disclose(c, views.map((v) => v.vehicleId))
    return c.json({ incidents: views.map(wire) })
  })

  app.get('/api/incidents/:id', overseasReads('incidents', ['vehicle-identifier'], overseas), async function showIncident(c) {
    return answering(c, async () => {
      const detail = await service.show(c.req.param('id'))
      disclose(c, [detail.vehicleId])
      return c.json({ incident: { ...detail, categories: detail.scope.categories, count: detail.scope.items } })
    })
  })

  app.post('/api/incidents/:id', requireRole('officer'), async function updateIncident(c) {
    const body = await parseBody(c, update)
    const by = c.get('account').id
    return answering(c, async () => {
      const detail = await service.update(c.req.param('id'), { ...body, by })
      deps.log.warn({ incident: detail.id, state: detail.state, grade: detail.grade, by }, 'incident updated')
      extra?.onChanged?.()
      return c.json({ incident: { ...detail, categories: detail.scope.categories, count: detail.scope.items } })
    })
  })
}
