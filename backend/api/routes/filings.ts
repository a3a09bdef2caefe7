/** /api/filings: list (viewer), record and expire (officer). Every change re-evaluates the policy. */
import type { Hono } from 'hono'
import { AdxError } from '../../../shared/errors.ts'
import { describeFiling, filingInput, scopeProblems, toFilingRow } from '../../filings/input.ts'
import { requireRole } from '../auth.ts'
import type { ApiDeps } from '../deps.ts'
import type { ApiEnv } from '../env.ts'
import { parseBody } from '../errors.ts'
import { type OverseasDeps, overseasReads } from '../overseas.ts'

export function filingRoutes(app: Hono<ApiEnv>, deps: ApiDeps, overseas: OverseasDeps): void {
  const clock = deps.clock ?? Date.now

  app.get('/api/filings', overseasReads('filings', [], overseas), async function listFilings(c) {
    const now = clock()
    return c.json({ filings: (await deps.store.listFilings()).map((f) => describeFiling(f, now)) })
  })

  app.post('/api/filings', requireRole('officer'), async function addFiling(c) {
    const input = await parseBody(c, filingInput)
    const problems = scopeProblems(deps.pack, input).map((p) => `body.${p}`)
    if (problems.length) throw new AdxError('ADX_ERR_API_VALIDATION', problems.join('; '), problems)
    const row = toFilingRow(input, clock())
    await deps.store.addFiling(row)
    deps.log.info({ filingId: row.filingId, by: c.get('account').id }, 'filing recorded')
    const ev = await deps.policy.evaluate()
    return c.json({ filing: describeFiling(row, clock()), fleetPolicyVersion: ev.fleetPolicy.version }, 201)
  })

  app.post('/api/filings/:filingId/expire', requireRole('officer'), async function expireFiling(c) {
    const filingId = c.req.param('filingId')
    if (!(await deps.store.expireFiling(filingId, clock()))) throw new AdxError('ADX_ERR_FILING_UNKNOWN', filingId)
    deps.log.warn({ filingId, by: c.get('account').id }, 'filing expired')
    const ev = await deps.policy.evaluate()
    const row = (await deps.store.getFiling(filingId))!
    return c.json({ filing: describeFiling(row, clock()), fleetPolicyVersion: ev.fleetPolicy.version })
  })
}
