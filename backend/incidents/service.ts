/**
 * Incidents for officers: list, show (with history) and update (state, grade) on the store.
 * Used by `adx incidents …` and the HTTP API; the emergency-response log picks every change up
 * from the store's event table (logs.ts), so a change is logged whichever process made it.
 */
import { AdxError } from '../../shared/errors.ts'
import type { IncidentEvent, IncidentState, Store } from '../store/types.ts'
import type { GradeId } from './catalogue.ts'
import type { GradeTable } from './grades.ts'
import { checkTransition, type IncidentView, viewIncident } from './lifecycle.ts'

/** Filters of a listing. */
export interface IncidentQuery {
  state?: IncidentState
  vehicleId?: string
  /** Only incidents past their reporting deadline and not reported. */
  overdue?: boolean
  fromMs?: number
  toMs?: number
  limit?: number
}

/** An update by an officer. */
export interface IncidentUpdate {
  state?: IncidentState
  grade?: GradeId
  note?: string
  /** Account or person making the change. */
  by: string
}

/** One incident with its history. */
export interface IncidentDetail extends IncidentView {
  history: Array<Omit<IncidentEvent, 'vehicleId' | 'incidentId'>>
}

/** The incident service. */
export class IncidentService {
  private readonly clock: () => number

  constructor(private readonly deps: { store: Store; table: GradeTable; clock?: () => number }) {
    this.clock = deps.clock ?? Date.now
  }

  /**
   * Incidents, newest first.
   * @example await incidents.list({ overdue: true })
   */
  async list(q: IncidentQuery = {}): Promise<IncidentView[]> {
    const now = this.clock()
    const rows = await this.deps.store.listIncidentRecords({ state: q.state, vehicleId: q.vehicleId, fromMs: q.fromMs, toMs: q.toMs, limit: q.overdue ? 1_000_000 : q.limit })
    const views = rows.map((r) => viewIncident(r, this.deps.table, now))
    const out = q.overdue ? views.filter((v) => v.overdue) : views
    return q.limit ? out.slice(0, q.limit) : out
  }

  /**
   * One incident with its history.
   * @throws AdxError ADX_ERR_INCIDENT_UNKNOWN
   */
  async show(id: string): Promise<IncidentDetail> {
    const r = await this.deps.store.getIncident(id)
    if (!r) throw new AdxError('ADX_ERR_INCIDENT_UNKNOWN', id)
    const events = await this.deps.store.incidentEventsOf(r.vehicleId, r.incidentId)
    return { ...viewIncident(r, this.deps.table, this.clock()), history: events.map(({ vehicleId: _v, incidentId: _i, ...e }) => e) }
  }

  /**
   * Changes an incident's state and/or grade.
   * @throws AdxError ADX_ERR_INCIDENT_UNKNOWN, ADX_ERR_INCIDENT_TRANSITION, ADX_ERR_INPUT
   * @example await incidents.update('INC-…', { state: 'contained', by: 'officer-li', note: 'app stopped' })
   */
  async update(id: string, u: IncidentUpdate): Promise<IncidentDetail> {
    const { store, table } = this.deps
    if (u.state === undefined && u.grade === undefined) throw new AdxError('ADX_ERR_INPUT', 'give a new state, a new grade or both')
    if (u.grade !== undefined && !table.isGrade(u.grade)) throw new AdxError('ADX_ERR_INPUT', `grade: "${u.grade}" is not a grade`)
    const r = await store.getIncident(id)
    if (!r) throw new AdxError('ADX_ERR_INCIDENT_UNKNOWN', id)
    const grade = u.grade ?? (r.grade || table.gradeOf(r.type))
    const to = u.state ?? r.state
    const event = u.state !== undefined && u.state !== r.state ? checkTransition(r.state, u.state, grade, table) : 'graded'
    if (event === 'graded' && u.state !== undefined && u.grade === undefined) checkTransition(r.state, u.state, grade, table)
    const changed = await store.changeIncident({
      ref: id,
      expectedState: r.state,
      state: to,
      grade: u.grade ?? '',
      event,
      by: u.by,
      atMs: this.clock(),
      note: u.note ?? '',
    })
    if (!changed) throw new AdxError('ADX_ERR_INCIDENT_TRANSITION', `${id} changed meanwhile; show it and try again`)
    return this.show(id)
  }
}
