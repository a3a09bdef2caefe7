import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { splitLines, verifyChain } from '../../shared/hash-chain.ts'
import { loadRulePack } from '../../shared/rulepack/load.ts'
import { generateSigningKey } from '../../shared/signature.ts'
import { type ExportRecord, FilingKind, PayloadKind, wire } from '../../shared/wire/index.ts'
import { countRecord } from '../counting/count-record.ts'
import { countingPlan } from '../counting/plan.ts'
import { silentLogger } from '../log.ts'
import { openSqliteStore, type SqliteStore } from '../store/sqlite.ts'
import { gradeTable } from './grades.ts'
import { ChainedLogs } from './logs.ts'
import { IncidentService } from './service.ts'
import { checkExpiredFilings, offlineHeld } from './watch.ts'

const pack = loadRulePack()
const plan = countingPlan(pack)
const T0 = Date.UTC(2026, 2, 1, 8)
const DAY = 86_400_000
const signer = generateSigningKey()

let dir: string
let store: SqliteStore
let now: number

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'adx-logs-'))
  store = await openSqliteStore(join(dir, 'backend.sqlite'))
  now = T0
})
afterEach(async () => {
  await store.close()
  rmSync(dir, { recursive: true, force: true })
})

const logs = (retentionDays = 1096) =>
  new ChainedLogs({ dataDir: dir, store, table: gradeTable(pack), log: silentLogger(), signer, retentionDays, clock: () => now })

function record(id: string, exportedMs: number, categories = ['diagnostic']): ExportRecord {
  return {
    recordId: id,
    payloadId: `p-${id}`,
    vehiclePseudonym: 'veh-1',
    exportedMs,
    destination: 'eu-diag',
    recipient: 'oem-eu',
    purpose: 'remote diagnostics',
    kind: PayloadKind.DIAGNOSTIC,
    categories,
    ruleIds: [],
    subjects: [{ pseudonym: 'psn:vin:0123456789abcdef0123', kind: 'vin', sensitive: false, charging: false }],
    originalBytes: 100,
    exportedBytes: 80,
    exemption: null,
    strippedItems: 1,
    cameraKm: 0,
    cameraHours: 0,
    rulePackVersion: pack.version,
    policyVersion: 1,
    leaseId: '',
  }
}

async function ingest(...records: ExportRecord[]) {
  await store.ingest(
    records.map((r) => {
      const c = countRecord(plan, r)
      return { vehicleId: 'veh-1', recordId: r.recordId, year: c.year, exportedMs: r.exportedMs, recipient: r.recipient, leaseId: '', body: wire.ExportRecord.encode(wire.ExportRecord.fromObject(r)).finish(), members: c.members, sums: c.sums }
    }),
    now,
  )
}

describe('ChainedLogs', () => {
  it('appends every incident event and export record exactly once, from any number of pumpers', async () => {
    await store.addIncident({ vehicleId: 'veh-1', incidentId: 'i-1', type: 'ADX_INC_KEY_MATERIAL_AT_EGRESS', detectedMs: T0, receivedMs: T0, payloadId: '', reasonCode: 'x', detail: 'd', categories: [], count: 1 })
    await ingest(record('r1', T0), record('r2', T0 + 1))
    const a = logs()
    const b = logs()
    await Promise.all([a.pump(), b.pump(), a.pump()])
    const svc = new IncidentService({ store, table: gradeTable(pack), clock: () => now })
    const [inc] = await svc.list()
    await svc.update(inc!.id, { state: 'contained', by: 'officer', note: 'done' })
    await ingest(record('r3', T0 + 2))
    await b.pump()
    await a.pump()
    const em = splitLines(readFileSync(a.emergency.path, 'utf8')).map((l) => JSON.parse(l).entry)
    expect(em.map((e) => [e.event, e.by, e.incident.type])).toEqual([
      ['detected', 'vehicle', 'ADX_INC_KEY_MATERIAL_AT_EGRESS'],
      ['contained', 'officer', 'ADX_INC_KEY_MATERIAL_AT_EGRESS'],
    ])
    const ex = splitLines(readFileSync(a.exports.path, 'utf8')).map((l) => JSON.parse(l).entry)
    expect(ex.map((e) => e.recordId)).toEqual(['r1', 'r2', 'r3'])
    expect(ex[0]).toMatchObject({ recipient: 'oem-eu', categories: ['diagnostic'], subjectKinds: { vin: 1 }, exportedBytes: 80 })
    expect(readFileSync(a.exports.path, 'utf8')).not.toContain('psn:vin')
    expect(a.verify()).toMatchObject({ emergency: { ok: true, count: 2 }, exports: { ok: true, count: 3 } })
  })

  it('prunes past retention behind a signed checkpoint; the logs still verify and keep appending', async () => {
    const l = logs(30)
    for (let d = 0; d < 5; d++) {
      now = T0 + d * 20 * DAY
      await ingest(record(`r${d}`, now))
      await l.pump()
    }
    // Lines at days 0, 20, 40, 60, 80; at day 100 with 30 days' retention, days 0–60 go.
    now = T0 + 100 * DAY
    expect(l.prune()).toEqual({ emergency: 0, exports: 4 })
    const v = l.verify()
    expect(v.exports).toMatchObject({ ok: true, prunedCount: 4, count: 2, lastSeq: 5 })
    await ingest(record('r9', now))
    await l.pump()
    expect(l.verify().exports).toMatchObject({ ok: true, lastSeq: 6 })
    // A checkpoint not signed by the backend's key is refused.
    expect(verifyChain(readFileSync(l.exports.path, 'utf8'), { publicKeyPem: generateSigningKey().publicKeyPem })).toMatchObject({ ok: false, line: 1 })
  })

  it('raises ADX_INC_LOG_TAMPERED when a log was altered', async () => {
    const l = logs()
    await ingest(record('r1', T0), record('r2', T0 + 1))
    await l.pump()
    const text = readFileSync(l.exports.path, 'utf8')
    writeFileSync(l.exports.path, text.replace('"recipient":"oem-eu"', '"recipient":"oem-us"'))
    const v = await l.checkIntegrity()
    expect(v.exports).toMatchObject({ ok: false, line: 1 })
    const incidents = await store.listIncidentRecords()
    expect(incidents).toEqual([expect.objectContaining({ type: 'ADX_INC_LOG_TAMPERED', reasonCode: 'ADX_ERR_LOG_CHAIN' })])
  })
})

describe('watch', () => {
  it('raises ADX_INC_FILING_EXPIRED once when exports in scope continue after a filing ends', async () => {
    const until = T0 + DAY
    await store.addFiling({ filingId: 'f-1', kind: FilingKind.STANDARD_CONTRACT, reference: 'SC-1', categories: ['diagnostic'], recipients: ['oem-eu'], purposes: ['*'], validFromMs: T0 - 100 * DAY, validUntilMs: until, exemption: 0, createdMs: T0 - 100 * DAY })
    await ingest(record('before', until - 1))
    now = until + DAY
    expect(await checkExpiredFilings(store, silentLogger(), now)).toEqual([])
    await ingest(record('other-category', until + 5, ['location']), record('after', until + 10))
    expect(await checkExpiredFilings(store, silentLogger(), now)).toEqual(['f-1'])
    expect(await checkExpiredFilings(store, silentLogger(), now)).toEqual([])
    const [i] = await store.listIncidentRecords()
    expect(i).toMatchObject({ type: 'ADX_INC_FILING_EXPIRED', categories: ['diagnostic'], count: 1 })
  })

  it('does not raise when a renewed filing of the same kind covers the exports', async () => {
    const until = T0 + DAY
    const base = { kind: FilingKind.STANDARD_CONTRACT, categories: ['diagnostic'], recipients: ['oem-eu'], purposes: ['*'], exemption: 0, createdMs: T0 }
    await store.addFiling({ ...base, filingId: 'f-1', reference: 'SC-1', validFromMs: T0 - DAY, validUntilMs: until })
    await store.addFiling({ ...base, filingId: 'f-2', reference: 'SC-2', validFromMs: until, validUntilMs: until + 365 * DAY })
    await ingest(record('after', until + 10))
    now = until + DAY
    expect(await checkExpiredFilings(store, silentLogger(), now)).toEqual([])
  })

  it('offlineHeld names active vehicles offline past the limit with held payloads', () => {
    const v = (id: string, lastSeenMs: number | null, status: 'active' | 'revoked' = 'active') => ({ vehicleId: id, kind: 'vehicle' as const, gatewayId: null, secretHash: '', status, label: '', createdMs: 0, revokedMs: null, lastSeenMs })
    const vehicles = [v('a', 0), v('b', 0), v('c', 90 * 3_600_000), v('d', 0, 'revoked')]
    expect(offlineHeld(vehicles, new Map([['a', 2], ['c', 1], ['d', 5]]), 100 * 3_600_000, 24 * 3_600_000)).toEqual(['a'])
  })
})
