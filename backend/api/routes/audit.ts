/**
 * GET /api/audit/export?year=2026 (or ?from=…&to=…): the regulators' audit export as ONE JSON
 * bundle `{ format: 'adx-audit-bundle/1', files: { "<name>": "<text>" } }` (officer role). Every
 * file is text; write each under its name into a folder and run `adx verify FOLDER`, or run
 * `adx verify bundle.json` on the bundle as downloaded. An export larger than the bundle limit
 * (256 MiB by default) is refused with 413 ADX_ERR_AUDIT_TOO_LARGE: write it with
 * `adx export --out DIR` on the backend host instead.
 */
import type { Hono } from 'hono'
import { z } from 'zod'
import { AdxError } from '../../../shared/errors.ts'
import { AUDIT_BUNDLE_MAX_BYTES, type AuditFiles, type AuditRange, yearRange } from '../../audit/export.ts'
import { AUDIT_BUNDLE_FORMAT } from '../../audit/verify.ts'
import { requireRole } from '../auth.ts'
import type { ApiDeps } from '../deps.ts'
import type { ApiEnv } from '../env.ts'
import { parseQuery } from '../errors.ts'
import { type OverseasDeps, overseasReads } from '../overseas.ts'

/** What the audit route needs (the server passes it; without it the route is not mounted). */
export interface AuditApiDeps {
  /** The files of an export; throws ADX_ERR_AUDIT_TOO_LARGE past `opts.maxBytes`. */
  exportFiles(range: AuditRange, opts: { maxBytes: number }): Promise<AuditFiles>
  utcOffsetMinutes: number
  /** Largest export served as one bundle (default AUDIT_BUNDLE_MAX_BYTES, 256 MiB); larger → 413 ADX_ERR_AUDIT_TOO_LARGE. */
  maxBundleBytes?: number
}

const query = z.strictObject({
  year: z.string().regex(/^\d{4}$/).optional(),
  from: z.string().max(40).optional(),
  to: z.string().max(40).optional(),
})

/** Epoch ms or ISO-8601 (a bare date is 00:00 China Standard Time). */
function time(text: string, name: string): number {
  if (/^\d+$/.test(text)) return Number(text)
  const ms = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00+08:00` : text)
  if (Number.isNaN(ms)) throw new AdxError('ADX_ERR_API_VALIDATION', `query.${name}: not epoch ms or ISO-8601`, [`query.${name}: not epoch ms or ISO-8601`])
  return ms
}

export function auditRoutes(app: Hono<ApiEnv>, _deps: ApiDeps, overseas: OverseasDeps, audit: AuditApiDeps): void {
  app.get('/api/audit/export', requireRole('officer'), overseasReads('audit-export', ['vehicle-identifier'], overseas), async function auditExport(c) {
    const q = parseQuery(c, query)
    let range: AuditRange
    if (q.year !== undefined && q.from === undefined && q.to === undefined) range = yearRange(Number(q.year), audit)
    else if (q.year === undefined && q.from !== undefined && q.to !== undefined) {
      range = { fromMs: time(q.from, 'from'), toMs: time(q.to, 'to'), label: `${q.from}..${q.to}` }
      if (range.toMs <= range.fromMs) throw new AdxError('ADX_ERR_API_VALIDATION', 'query.to: must be after from', ['query.to: must be after from'])
    } else throw new AdxError('ADX_ERR_API_VALIDATION', 'query: give year, or from and to', ['query: give year, or from and to'])
    const files = await audit.exportFiles(range, { maxBytes: audit.maxBundleBytes ?? AUDIT_BUNDLE_MAX_BYTES })
    c.header('content-disposition', `attachment; filename="adx-audit-${range.label.replace(/[^0-9A-Za-z.-]/g, '_')}.json"`)
    return c.json({ format: AUDIT_BUNDLE_FORMAT, range, files })
  })
}
