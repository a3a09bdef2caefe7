import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { isAdxError } from '../../shared/errors.ts'
import { loadRulePack } from '../../shared/rulepack/load.ts'
import { silentLogger } from '../log.ts'
import { openSqliteStore, type SqliteStore } from '../store/sqlite.ts'
import { incidentCatalogue } from './catalogue.ts'
import { gradeTable, incidentSettingsSchema } from './grades.ts'
import { checkTransition } from './lifecycle.ts'
import { incidentTypes, raiseIncident } from './raise.ts'
import { IncidentService } from './service.ts'

const pack = loadRulePack()
const T0 = Date.UTC(2026, 2, 1, 8)
const MIN = 60_000

let dir: string
let store: SqliteStore
let now: number
let service: IncidentService

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'adx-inc-'))
  store = await openSqliteStore(join(dir, 'backend.sqlite'))
  now = T0
  service = new IncidentService({ store, table: gradeTable(pack), clock: () => now })
})
afterEach(async () => {
  await store.close()
  rmSync(dir, { recursive: true, force: true })
})

async function vehicleIncident(type: string, id = 'i-1', detectedMs = T0) {
  await store.addIncident({ vehicleId: 'veh-1', incidentId: id, type, detectedMs, receivedMs: detectedMs + 1000, payloadId: 'p-1', reasonCode: type, detail: 'stripped', categories: ['diagnostic'], count: 2 })
  return (await service.list({ vehicleId: 'veh-1' })).find((v) => v.incidentId === id)!
}

describe('grade table', () => {
  it('maps every catalogued type to a grade, deadlines from the pack (60 min for relatively-major and above)', () => {
    const t = gradeTable(pack)
    for (const type of Object.keys(incidentCatalogue)) expect(['particularly-major', 'major', 'relatively-major', 'general']).toContain(t.gradeOf(type))
    expect(t.gradeOf('ADX_INC_KEY_MATERIAL_AT_EGRESS')).toBe('major')
    expect(t.gradeOf('ADX_INC_LIMIT_CROSSED')).toBe('relatively-major')
    expect(t.gradeOf('ADX_INC_OUTBOX_EVICTED')).toBe('general')
    expect(t.gradeOf('ADX_INC_SOMETHING_NEW')).toBe('general')
    expect(t.reportWithinMinutes('particularly-major')).toBe(60)
    expect(t.reportWithinMinutes('major')).toBe(60)
    expect(t.reportWithinMinutes('relatively-major')).toBe(60)
    expect(t.reportWithinMinutes('general')).toBeNull()
  })

  it('is configurable: type → grade and grade → minutes', () => {
    const t = gradeTable(pack, incidentSettingsSchema.parse({ grades: { ADX_INC_OUTBOX_EVICTED: 'major' }, reportWithinMinutes: { major: 30, general: 1440 } }))
    expect(t.gradeOf('ADX_INC_OUTBOX_EVICTED')).toBe('major')
    expect(t.reportWithinMinutes('major')).toBe(30)
    expect(t.reportWithinMinutes('general')).toBe(1440)
    expect(() => incidentSettingsSchema.parse({ grades: { ADX_INC_X: 'huge' } })).toThrow()
  })
})

describe('state machine', () => {
  const t = gradeTable(pack)
  it.each([
    ['open', 'contained', 'major', 'contained'],
    ['contained', 'reported', 'major', 'reported'],
    ['reported', 'closed', 'major', 'closed'],
    ['contained', 'closed', 'general', 'closed'],
  ] as const)('%s → %s (%s) is allowed', (from, to, grade, event) => {
    expect(checkTransition(from, to, grade, t)).toBe(event)
  })
  it.each([
    ['open', 'reported', 'major'],
    ['open', 'closed', 'general'],
    ['contained', 'closed', 'major'],
    ['closed', 'open', 'general'],
    ['reported', 'contained', 'major'],
    ['contained', 'open', 'major'],
  ] as const)('%s → %s (%s) is refused with ADX_ERR_INCIDENT_TRANSITION', (from, to, grade) => {
    try {
      checkTransition(from, to, grade, t)
      expect.unreachable()
    } catch (e) {
      expect(isAdxError(e, 'ADX_ERR_INCIDENT_TRANSITION')).toBe(true)
    }
  })
})

describe('IncidentService (injected clock)', () => {
  it('tracks detected, contained, reported, closed with who and when; deadline 1 h for a major incident', async () => {
    const v = await vehicleIncident('ADX_INC_KEY_MATERIAL_AT_EGRESS')
    expect(v).toMatchObject({ state: 'open', grade: 'major', gradeSource: 'table', reportDeadlineMs: T0 + 60 * MIN, overdue: false })
    expect(v.id).toMatch(/^INC-[0-9a-f]{16}$/)
    expect(v.scope).toEqual({ vehicles: { count: 1, pseudonyms: ['veh-1'] }, persons: { count: 0, pseudonyms: [] }, recipients: { count: 0, ids: [] }, categories: ['diagnostic'], items: 2 })
    expect(v.automaticActions[0]).toMatch(/removed/)

    now = T0 + 10 * MIN
    await service.update(v.id, { state: 'contained', by: 'officer-li', note: 'app stopped' })
    now = T0 + 50 * MIN
    const reported = await service.update(v.id, { state: 'reported', by: 'officer-li', note: 'CAC ref 1' })
    expect(reported).toMatchObject({ state: 'reported', containedMs: T0 + 10 * MIN, reportedMs: T0 + 50 * MIN, overdue: false, reportedLate: false })
    now = T0 + 500 * MIN
    const closed = await service.update(v.id, { state: 'closed', by: 'officer-wang' })
    expect(closed.overdue).toBe(false)
    expect(closed.history.map((h) => [h.event, h.fromState, h.toState, h.by, h.atMs])).toEqual([
      ['detected', '', 'open', 'vehicle', T0 + 1000],
      ['contained', 'open', 'contained', 'officer-li', T0 + 10 * MIN],
      ['reported', 'contained', 'reported', 'officer-li', T0 + 50 * MIN],
      ['closed', 'reported', 'closed', 'officer-wang', T0 + 500 * MIN],
    ])
  })

  it('shows an unreported incident as overdue once the deadline passes, in list and show', async () => {
    const v = await vehicleIncident('ADX_INC_CONTROL_AT_EGRESS')
    now = T0 + 60 * MIN
    expect((await service.show(v.id)).overdue).toBe(false)
    now = T0 + 60 * MIN + 1
    expect((await service.show(v.id)).overdue).toBe(true)
    expect((await service.list({ overdue: true })).map((x) => x.id)).toEqual([v.id])
    await service.update(v.id, { state: 'contained', by: 'o' })
    expect((await service.list({ overdue: true })).map((x) => x.id)).toEqual([v.id])
    await service.update(v.id, { state: 'reported', by: 'o' })
    const late = await service.show(v.id)
    expect(late).toMatchObject({ overdue: false, reportedLate: true })
    expect(await service.list({ overdue: true })).toEqual([])
  })

  it('a general incident has no deadline and may be closed once contained; regrading moves the deadline', async () => {
    const v = await vehicleIncident('ADX_INC_OUTBOX_REFUSED')
    expect(v).toMatchObject({ grade: 'general', reportDeadlineMs: null })
    now = T0 + 1000 * MIN
    expect((await service.show(v.id)).overdue).toBe(false)
    const regraded = await service.update(v.id, { grade: 'relatively-major', by: 'o', note: 'many vehicles' })
    expect(regraded).toMatchObject({ grade: 'relatively-major', gradeSource: 'officer', reportDeadlineMs: T0 + 60 * MIN, overdue: true, state: 'open' })
    expect(regraded.history.at(-1)).toMatchObject({ event: 'graded', grade: 'relatively-major', by: 'o' })
    await service.update(v.id, { state: 'contained', by: 'o' })
    await expect(service.update(v.id, { state: 'closed', by: 'o' })).rejects.toMatchObject({ code: 'ADX_ERR_INCIDENT_TRANSITION' })
  })

  it('refuses invalid transitions, unknown ids and empty updates with stable codes', async () => {
    const v = await vehicleIncident('ADX_INC_POLICY_SIGNATURE')
    await expect(service.update(v.id, { state: 'closed', by: 'o' })).rejects.toMatchObject({ code: 'ADX_ERR_INCIDENT_TRANSITION' })
    await expect(service.update(v.id, { state: 'open', by: 'o' })).rejects.toMatchObject({ code: 'ADX_ERR_INCIDENT_TRANSITION' })
    await expect(service.update('INC-0000000000000000', { state: 'contained', by: 'o' })).rejects.toMatchObject({ code: 'ADX_ERR_INCIDENT_UNKNOWN' })
    await expect(service.show('nope')).rejects.toMatchObject({ code: 'ADX_ERR_INCIDENT_UNKNOWN' })
    await expect(service.update(v.id, { by: 'o' })).rejects.toMatchObject({ code: 'ADX_ERR_INPUT' })
    expect((await service.show(v.id)).state).toBe('open')
  })

  it('a stale update (someone else moved it meanwhile) is refused by the store', async () => {
    const v = await vehicleIncident('ADX_INC_POLICY_SIGNATURE')
    await service.update(v.id, { state: 'contained', by: 'a' })
    expect(await store.changeIncident({ ref: v.id, expectedState: 'open', state: 'contained', grade: '', event: 'contained', by: 'b', atMs: now, note: '' })).toBeUndefined()
  })

  it('backend incidents get refs and events too', async () => {
    await raiseIncident(store, silentLogger(), { type: incidentTypes.LIMIT_CROSSED, incidentId: 'limit-crossed:2026:T-PI-CONTRACT', reasonCode: 'x', detail: 'd', categories: ['location'], nowMs: T0 })
    const [v] = await service.list()
    expect(v).toMatchObject({ vehicleId: '', grade: 'relatively-major', scope: { vehicles: { count: 0 } } })
    expect((await service.show(v!.id)).history).toEqual([expect.objectContaining({ event: 'detected', by: 'backend' })])
  })
})
