/**
 * Remote access from abroad is export (guidelines §1, kind 2). A read by an account marked
 * `overseas` is therefore refused while the categories it would disclose are held, and otherwise
 * recorded and counted as an export record whose recipient is the account, before the response
 * leaves. If it cannot be counted, it does not leave (fail closed).
 */
import type { MiddlewareHandler } from 'hono'
import { AdxError } from '../../shared/errors.ts'
import type { Subject } from '../../shared/wire/index.ts'
import type { Logger } from '../log.ts'
import type { Metrics } from '../metrics.ts'
import type { Account } from './auth.ts'
import type { ApiEnv } from './env.ts'
import { errorResponse } from './errors.ts'

/** Persons a response discloses (vehicle pseudonyms stand for their owners). */
export interface Disclosure {
  subjects: Subject[]
}

/** What the overseas accounting needs from the backend. */
export interface OverseasDeps {
  /** Categories held fleet-wide now. */
  heldCategories(): Promise<string[]>
  /** Records and counts one export to the account; resolves once durably counted. */
  recordExport(account: Account, route: string, categories: string[], subjects: Subject[]): Promise<void>
  metrics: Metrics
  log: Logger
}

/**
 * Counts reads by overseas accounts as exports of `categories`.
 * @example app.get('/api/vehicles', overseasReads('vehicles', ['vehicle-identifier'], deps), handler)
 */
export function overseasReads(route: string, categories: string[], deps: OverseasDeps): MiddlewareHandler<ApiEnv> {
  return async function overseasReadsMiddleware(c, next) {
    const account = c.get('account')
    if (!account.overseas) return next()
    const held = (await deps.heldCategories()).filter((h) => categories.includes(h))
    if (held.length) throw new AdxError('ADX_ERR_API_EXPORT_HELD', held.join(', '), held)
    await next()
    if (c.res.status !== 200) return
    const subjects = c.get('disclosed')?.subjects ?? []
    try {
      await deps.recordExport(account, route, categories, subjects)
      deps.metrics.overseasReads.inc({ route })
      deps.log.warn({ overseasRead: true, account: account.id, route, subjects: subjects.length }, `overseas account ${account.id} read ${route}: counted as an export`)
    } catch (err) {
      deps.log.error({ err, account: account.id, route }, 'overseas read could not be counted; refused')
      c.res = errorResponse(c, new AdxError('ADX_ERR_INTERNAL', 'the read could not be recorded as an export'))
    }
  }
}
