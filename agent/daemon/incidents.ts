/**
 * Incidents the agent reports to the backend: built here with stable ids (so a replay after a
 * crash is deduplicated by the outbox and the backend), queued durably on INCIDENTS_QUEUE.
 */
import { createHash } from 'node:crypto'
import { wire, type Incident } from '../../shared/wire/index.ts'
import type { EnqueueItem, Outbox } from '../outbox/index.ts'
import { INCIDENTS_QUEUE, PRIORITY } from './queues.ts'

/** Incident types the agent raises. */
export const agentIncidentTypes = {
  ADX_INC_KEY_MATERIAL_AT_EGRESS: 'key material was found in a payload and removed before it left',
  ADX_INC_CONTROL_AT_EGRESS: 'a control instruction was found in a payload and removed before it left',
  ADX_INC_UNKNOWN_DESTINATION: 'a payload named a destination that is not configured; held',
  ADX_INC_POLICY_SIGNATURE: 'a signed policy was rejected; the last good policy stays in force',
  ADX_INC_OUTBOX_REFUSED: 'the outbox was full and refused a payload',
  ADX_INC_OUTBOX_EVICTED: 'the outbox evicted payloads to make room',
  ADX_INC_FAIL_CLOSED: 'a payload could not be inspected and is held',
  ADX_INC_IMPORTANT_DATA_HELD: 'payloads with important data are held for lack of a filing or exemption reference in force',
} as const

export type AgentIncidentType = keyof typeof agentIncidentTypes

/** What the caller knows about an incident. */
export interface IncidentInput {
  type: AgentIncidentType
  /** Stable key of the event (same event → same incident id). */
  key: string
  vehiclePseudonym: string
  payloadId?: string
  reasonCode?: string
  detail?: string
  categories?: string[]
  count?: number
  /** Overseas recipients concerned. */
  recipients?: string[]
  /** Persons concerned, as pseudonyms (never raw identifiers). */
  subjectPseudonyms?: string[]
  detectedMs: number
}

/** Build the wire Incident with a stable id. */
export function buildIncident(i: IncidentInput): Incident {
  const incidentId = `inc-${createHash('sha256').update(`${i.type}\u0000${i.key}`).digest('hex').slice(0, 32)}`
  return {
    incidentId,
    type: i.type,
    vehiclePseudonym: i.vehiclePseudonym,
    detectedMs: i.detectedMs,
    payloadId: i.payloadId ?? '',
    reasonCode: i.reasonCode ?? i.type,
    detail: i.detail ?? agentIncidentTypes[i.type],
    categories: i.categories ?? [],
    count: i.count ?? 1,
    recipients: i.recipients ?? [],
    subjectPseudonyms: i.subjectPseudonyms ?? [],
  }
}

/** The outbox item that queues an incident for the backend (INCIDENTS_QUEUE, keyed on its id). */
export function incidentItem(input: IncidentInput): EnqueueItem {
  const inc = buildIncident(input)
  return { id: inc.incidentId, destination: INCIDENTS_QUEUE, priority: PRIORITY.uplink, body: wire.Incident.encode(wire.Incident.fromObject(inc)).finish() }
}

/**
 * Queue an incident durably for the backend (idempotent on its id).
 * @example await queueIncident(outbox, { type: 'ADX_INC_POLICY_SIGNATURE', key: 'v7', vehiclePseudonym: 'veh-1', detectedMs: Date.now() })
 */
export async function queueIncident(outbox: Outbox, input: IncidentInput): Promise<Incident> {
  const inc = buildIncident(input)
  const body = wire.Incident.encode(wire.Incident.fromObject(inc)).finish()
  await outbox.enqueue({ id: inc.incidentId, destination: INCIDENTS_QUEUE, priority: PRIORITY.uplink, body })
  return inc
}
