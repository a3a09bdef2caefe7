/**
 * PURE: an incident as officers see it (grade, reporting deadline, overdue, affected scope,
 * automatic actions) and the state machine open → contained → reported → closed. An incident
 * whose grade carries no reporting duty may also be closed once contained. Any other change is
 * refused with ADX_ERR_INCIDENT_TRANSITION.
 */
import { AdxError } from '../../shared/errors.ts'
import type { IncidentRecord, IncidentState } from '../store/types.ts'
import { incidentCatalogue } from './catalogue.ts'
import type { GradeTable } from './grades.ts'

/** The incident states in lifecycle order. */
export const incidentStates: readonly IncidentState[] = ['open', 'contained', 'reported', 'closed']

/** An incident with everything an officer needs to act on it. */
export interface IncidentView {
  /** Stable short id (use it with `adx incidents show|update`). */
  id: string
  /** The reporter's own id (agent or backend). */
  incidentId: string
  /** Vehicle (pseudonymous id) that reported it; '' for the backend. */
  vehicleId: string
  type: string
  meaning: string
  grade: string
  gradeTitle: string
  /** 'table' (by type) or 'officer' (regraded). */
  gradeSource: 'table' | 'officer'
  state: IncidentState
  detectedMs: number
  receivedMs: number
  containedMs: number | null
  reportedMs: number | null
  closedMs: number | null
  /** Report by this time (null when the grade carries no reporting duty). */
  reportDeadlineMs: number | null
  /** Not reported and the deadline has passed. */
  overdue: boolean
  /** Reported, but after the deadline. */
  reportedLate: boolean
  scope: {
    vehicles: { count: number; pseudonyms: string[] }
    /** Persons concerned: a count and their pseudonyms (never raw identifiers). */
    persons: { count: number; pseudonyms: string[] }
    /** Overseas recipients concerned. */
    recipients: { count: number; ids: string[] }
    categories: string[]
    /** How many items (payloads, records, messages) the reporter counted. */
    items: number
  }
  automaticActions: string[]
  reasonCode: string
  detail: string
  payloadId: string
}

/**
 * The officer's view of a stored incident at `nowMs`.
 * @example viewIncident(record, gradeTable(pack), Date.now()).overdue
 */
export function viewIncident(r: IncidentRecord, table: GradeTable, nowMs: number): IncidentView {
  const grade = r.grade || table.gradeOf(r.type)
  const minutes = table.reportWithinMinutes(grade)
  const deadline = minutes === null ? null : r.detectedMs + minutes * 60_000
  const info = incidentCatalogue[r.type]
  return {
    id: r.ref,
    incidentId: r.incidentId,
    vehicleId: r.vehicleId,
    type: r.type,
    meaning: info?.meaning ?? 'incident type unknown to this backend version',
    grade,
    gradeTitle: table.title(grade),
    gradeSource: r.grade ? 'officer' : 'table',
    state: r.state,
    detectedMs: r.detectedMs,
    receivedMs: r.receivedMs,
    containedMs: r.containedMs,
    reportedMs: r.reportedMs,
    closedMs: r.closedMs,
    reportDeadlineMs: deadline,
    overdue: deadline !== null && r.reportedMs === null && nowMs > deadline,
    reportedLate: deadline !== null && r.reportedMs !== null && r.reportedMs > deadline,
    scope: {
      vehicles: { count: r.vehicleId ? 1 : 0, pseudonyms: r.vehicleId ? [r.vehicleId] : [] },
      persons: { count: r.subjects?.length ?? 0, pseudonyms: r.subjects ?? [] },
      recipients: { count: r.recipients?.length ?? 0, ids: r.recipients ?? [] },
      categories: r.categories,
      items: r.count,
    },
    automaticActions: info ? [info.automaticAction] : [],
    reasonCode: r.reasonCode,
    detail: r.detail,
    payloadId: r.payloadId,
  }
}

/**
 * Checks a state change; returns the event it makes.
 * @throws AdxError ADX_ERR_INCIDENT_TRANSITION naming the states.
 * @example checkTransition('open', 'contained', 'major', table) // 'contained'
 */
export function checkTransition(from: IncidentState, to: IncidentState, grade: string, table: GradeTable): 'contained' | 'reported' | 'closed' {
  const next = incidentStates[incidentStates.indexOf(from) + 1]
  if (to === next && to !== 'open') return to
  if (from === 'contained' && to === 'closed' && table.reportWithinMinutes(grade) === null) return 'closed'
  const allowed = [next, from === 'contained' && table.reportWithinMinutes(grade) === null ? 'closed' : undefined].filter(Boolean)
  throw new AdxError(
    'ADX_ERR_INCIDENT_TRANSITION',
    `${from} → ${to} (allowed from ${from}: ${allowed.length ? allowed.join(', ') : 'none'})`,
    [`state: ${from} → ${to}`],
  )
}
