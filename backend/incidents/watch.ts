/**
 * Incidents the backend detects by looking at what it has stored:
 *
 * - ADX_INC_FILING_EXPIRED: a filing ended (valid_until passed) and export records in its
 *   category scope were exported after that, to a recipient it covered, with no other filing of
 *   the same kind in force covering them.
 * - ADX_INC_AGENT_OFFLINE_HELD: `offlineHeld` (pure) names vehicles offline longer than the
 *   configured time while holding data; it needs each vehicle's last reported held count.
 */
import type { Logger } from '../log.ts'
import { decodeRecordBody } from '../audit/entries.ts'
import { inForce, scopeCovers } from '../measure/filings.ts'
import { incidentRef } from '../store/incident-ref.ts'
import type { FilingRow, Store, VehicleRow } from '../store/types.ts'
import { incidentTypes, type RecentIncidents, raiseIncident } from './raise.ts'

/** How far back expired filings are looked at, and how many records per filing per check. */
const LOOKBACK_MS = 400 * 86_400_000
const SCAN_LIMIT = 5_000

/** True when another filing of the same kind, in force at `atMs`, covers the categories for the recipient. */
function otherCovers(filings: readonly FilingRow[], expired: FilingRow, categories: readonly string[], ruleIds: readonly string[], recipient: string, atMs: number): boolean {
  return filings.some(
    (f) =>
      f.filingId !== expired.filingId &&
      f.kind === expired.kind &&
      inForce(f, atMs) &&
      (f.recipients.includes('*') || f.recipients.includes(recipient)) &&
      categories.every((c) => !scopeCovers(expired, c, ruleIds) || scopeCovers(f, c, ruleIds)),
  )
}

/**
 * Raises ADX_INC_FILING_EXPIRED for each filing that expired while exports in its scope went on.
 * Returns the ids of the filings it raised for.
 * @example await checkExpiredFilings(store, log, Date.now(), recent)
 */
export async function checkExpiredFilings(store: Store, log: Logger, nowMs: number, recent?: RecentIncidents): Promise<string[]> {
  const filings = await store.listFilings()
  const raised: string[] = []
  for (const f of filings) {
    if (f.validUntilMs > nowMs || f.validUntilMs < nowMs - LOOKBACK_MS || f.validUntilMs <= f.validFromMs) continue
    const incidentId = `filing-expired:${f.filingId}:${f.validUntilMs}`
    if (recent?.has(incidentId) || (await store.getIncident(incidentRef('', incidentId)))) continue
    let after = 0
    let count = 0
    const categories = new Set<string>()
    let first = Number.POSITIVE_INFINITY
    for (let scanned = 0; scanned < SCAN_LIMIT; ) {
      const page = await store.recordsAfter(after, 1_000, { fromMs: f.validUntilMs, toMs: nowMs + 1 })
      if (page.length === 0) break
      scanned += page.length
      after = page[page.length - 1]!.rowid
      for (const s of page) {
        if (!(f.recipients.includes('*') || f.recipients.includes(s.recipient))) continue
        const r = decodeRecordBody(s.body)
        if (!r) continue
        const inScope = r.categories.filter((c) => scopeCovers(f, c, r.ruleIds))
        if (inScope.length === 0 || otherCovers(filings, f, inScope, r.ruleIds, s.recipient, s.exportedMs)) continue
        count++
        first = Math.min(first, s.exportedMs)
        for (const c of inScope) categories.add(c)
      }
    }
    if (count === 0) continue
    await raiseIncident(
      store,
      log,
      {
        type: incidentTypes.FILING_EXPIRED,
        incidentId,
        reasonCode: 'ADX_INC_FILING_EXPIRED',
        detail: `filing ${f.filingId} (${f.reference}) ended at ${new Date(f.validUntilMs).toISOString()}; ${count}${count >= SCAN_LIMIT ? '+' : ''} records in its scope exported after it, first at ${new Date(first).toISOString()}`,
        categories: [...categories].sort(),
        count,
        nowMs,
      },
      recent,
    )
    raised.push(f.filingId)
  }
  return raised
}

/**
 * PURE: vehicles offline longer than `afterMs` that last reported held payloads.
 * @example offlineHeld(vehicles, new Map([['veh-1', 3]]), Date.now(), 24 * 3_600_000) // ['veh-1']
 */
export function offlineHeld(vehicles: readonly VehicleRow[], heldPayloads: ReadonlyMap<string, number>, nowMs: number, afterMs: number): string[] {
  return vehicles
    .filter((v) => v.status === 'active' && (heldPayloads.get(v.vehicleId) ?? 0) > 0 && v.lastSeenMs !== null && nowMs - v.lastSeenMs > afterMs)
    .map((v) => v.vehicleId)
}
