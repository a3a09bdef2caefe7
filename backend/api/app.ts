/**
 * The HTTP API (Hono). Public: /api/health, /api/openapi.json. Everything else needs a bearer
 * token; writes need the officer (filings) or admin (vehicles) role. Errors are JSON
 * `{ code, message, details? }` with stable codes (errors.ts).
 */
import { Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { AdxError } from '../../shared/errors.ts'
import { bearerAccounts, requireRole } from './auth.ts'
import type { ApiDeps } from './deps.ts'
import type { ApiEnv } from './env.ts'
import { errorResponse, handleError } from './errors.ts'
import { openApiDocument } from './openapi.ts'
import { type OverseasDeps, overseasReads } from './overseas.ts'
import { type AuditApiDeps, auditRoutes } from './routes/audit.ts'
import { filingRoutes } from './routes/filings.ts'
import { type IncidentApiDeps, incidentRoutes } from './routes/incidents.ts'
import { policyRoutes } from './routes/policy.ts'
import { statusRoutes } from './routes/status.ts'
import { gatewayRoutes } from './routes/gateways.ts'
import { vehicleRoutes } from './routes/vehicles.ts'

/** Largest request body accepted. */
const MAX_BODY_BYTES = 64 * 1024

/**
 * Builds the API.
 * @example serve({ fetch: createApi(deps).fetch, port: 8080 })
 */
export function createApi(deps: ApiDeps & { incidents?: IncidentApiDeps; audit?: AuditApiDeps }): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>()
  app.onError(handleError(deps.log))
  app.notFound((c) => errorResponse(c, new AdxError('ADX_ERR_API_NOT_FOUND', `${c.req.method} ${c.req.path}`)))

  app.use('*', async function countRequests(c, next) {
    await next()
    deps.metrics.http.inc({ method: c.req.method, route: c.req.routePath, status: String(c.res.status) })
  })
  app.use(
    '*',
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) => errorResponse(c, new AdxError('ADX_ERR_API_VALIDATION', `body: larger than ${MAX_BODY_BYTES} bytes`, [`body: larger than ${MAX_BODY_BYTES} bytes`])),
    }),
  )

  app.get('/api/health', async function health(c) {
    const checks = await deps.health()
    const ok = Object.values(checks).every(Boolean)
    return c.json({ ok, checks }, ok ? 200 : 503)
  })
  app.get('/api/openapi.json', (c) => c.json(openApiDocument))

  const auth = bearerAccounts(deps.accounts)
  app.use('/api/*', async function authUnlessPublic(c, next) {
    if (c.req.path === '/api/health' || c.req.path === '/api/openapi.json') return next()
    return auth(c, next)
  })
  app.use('/metrics', auth)

  const overseas: OverseasDeps = {
    heldCategories: async () => (await deps.policy.evaluate()).holds.map((h) => h.category),
    recordExport: deps.overseas.recordExport,
    metrics: deps.metrics,
    log: deps.log.child({ component: 'overseas-reads' }),
  }
  app.get('/metrics', requireRole('viewer'), overseasReads('metrics', [], overseas), async function metrics(c) {
    return c.text(await deps.metrics.registry.metrics(), 200, { 'content-type': deps.metrics.registry.contentType })
  })
  statusRoutes(app, deps, overseas)
  vehicleRoutes(app, deps, overseas)
  gatewayRoutes(app, deps)
  filingRoutes(app, deps, overseas)
  incidentRoutes(app, deps, overseas, deps.incidents)
  if (deps.audit) auditRoutes(app, deps, overseas, deps.audit)
  policyRoutes(app, deps, overseas)
  return app
}
