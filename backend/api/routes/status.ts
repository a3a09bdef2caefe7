/** GET /api/status: every count against every limit, the measure, alert levels, holds. */
import type { Hono } from 'hono'
import type { ApiDeps } from '../deps.ts'
import type { ApiEnv } from '../env.ts'
import { type OverseasDeps, overseasReads } from '../overseas.ts'

export function statusRoutes(app: Hono<ApiEnv>, deps: ApiDeps, overseas: OverseasDeps): void {
  app.get('/api/status', overseasReads('status', [], overseas), async function status(c) {
    const ev = await deps.policy.evaluate()
    return c.json({
      year: ev.year,
      nowMs: ev.nowMs,
      rulePackVersion: deps.pack.version,
      measure: ev.report.measure,
      measureSatisfied: ev.report.measureSatisfied,
      measureFilings: ev.report.measureFilings,
      reasons: ev.report.reasons,
      counts: ev.counts,
      limits: ev.report.limits.map((l) => ({
        id: l.id,
        source: l.source,
        ruleId: l.ruleId,
        counter: l.counter,
        category: l.category,
        comparison: l.comparison,
        value: l.value,
        count: l.count,
        fired: l.fired,
        maxAllowed: l.maxAllowed,
        fraction: l.fraction,
        alertLevel: l.alertLevel,
        requires: l.requires,
        categories: l.categories,
        covered: l.covered,
        coveredBy: l.coveredBy,
        uncoveredCategories: l.uncoveredCategories,
      })),
      rules: ev.report.rules,
      held: ev.holds,
      filingsInForce: ev.report.filingsInForce,
      fleetPolicyVersion: ev.fleetPolicy.version,
      alertLevels: deps.pack.alertLevels,
    })
  })
}
