/**
 * Incidents the backend raises itself (vehicle id ''), with stable type codes. An incident id is
 * derived from what it is about, so raising the same incident twice stores it once.
 */
import type { Logger } from '../log.ts'
import type { IncidentRow, Store } from '../store/types.ts'

/** Incident type codes raised by the backend. */
export const incidentTypes = {
  /** Categories were added to the fleet-wide hold. */
  FLEET_HOLD: 'ADX_INC_FLEET_HOLD',
  /** A limit fired that no filing in force covers. */
  LIMIT_CROSSED: 'ADX_INC_LIMIT_CROSSED',
  /** A limit without a filing reached an alert level. */
  LIMIT_ALERT: 'ADX_INC_LIMIT_ALERT',
  /** A message or record from a vehicle was rejected at ingest. */
  INGEST_REJECTED: 'ADX_INC_INGEST_REJECTED',
  /** A vehicle tried a topic it may not use. */
  ACL_REFUSED: 'ADX_INC_ACL_REFUSED',
  /** A filing expired while exports in its scope continued. */
  FILING_EXPIRED: 'ADX_INC_FILING_EXPIRED',
  /** A hash-chained log failed verification. */
  LOG_TAMPERED: 'ADX_INC_LOG_TAMPERED',
  /** An agent holding data has been offline longer than the configured time. */
  AGENT_OFFLINE_HELD: 'ADX_INC_AGENT_OFFLINE_HELD',
} as const

export type IncidentType = (typeof incidentTypes)[keyof typeof incidentTypes]

/** What the backend knows when it raises an incident. */
export interface RaiseIncident {
  type: IncidentType
  /** Stable id: the same situation gives the same id. */
  incidentId: string
  reasonCode: string
  detail: string
  vehicleId?: string
  categories?: string[]
  count?: number
  nowMs: number
}

/** Incident ids already on record, remembered so a repeated situation costs no write (no fsync). */
export class RecentIncidents {
  private readonly ids = new Set<string>()
  constructor(private readonly max = 10_000) {}
  has(id: string): boolean {
    return this.ids.has(id)
  }
  add(id: string): void {
    if (this.ids.size >= this.max) this.ids.delete(this.ids.values().next().value!)
    this.ids.add(id)
  }
}

/**
 * Stores and logs a backend incident; true when it is new. With `recent`, an incident already
 * raised by this process is not written again.
 * @example await raiseIncident(store, log, { type: incidentTypes.FLEET_HOLD, incidentId: 'hold:2026:location', … })
 */
export async function raiseIncident(store: Store, log: Logger, i: RaiseIncident, recent?: RecentIncidents): Promise<boolean> {
  if (recent?.has(i.incidentId)) return false
  const row: IncidentRow = {
    vehicleId: '',
    incidentId: i.incidentId,
    type: i.type,
    detectedMs: i.nowMs,
    receivedMs: i.nowMs,
    payloadId: '',
    reasonCode: i.reasonCode,
    detail: i.vehicleId ? `vehicle ${i.vehicleId}: ${i.detail}` : i.detail,
    categories: i.categories ?? [],
    count: i.count ?? 1,
  }
  const fresh = await store.addIncident(row)
  recent?.add(i.incidentId)
  if (fresh) log.warn({ incident: row, code: i.reasonCode }, `incident ${i.type}: ${row.detail}`)
  return fresh
}
