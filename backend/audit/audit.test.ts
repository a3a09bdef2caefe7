import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Command } from 'commander'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { splitLines } from '../../shared/hash-chain.ts'
import { createPseudonymiser } from '../../shared/pseudonym.ts'
import { loadRulePack } from '../../shared/rulepack/load.ts'
import { generateSigningKey } from '../../shared/signature.ts'
import { type ExportRecord, FilingKind, PayloadKind, wire } from '../../shared/wire/index.ts'
import { createApi } from '../api/app.ts'
import type { AuditApiDeps } from '../api/routes/audit.ts'
import { registerBackendCommands } from '../cli.ts'
import { countRecord } from '../counting/count-record.ts'
import { countingPlan } from '../counting/plan.ts'
import { gradeTable } from '../incidents/grades.ts'
import { incidentTypes, raiseIncident } from '../incidents/raise.ts'
import { IncidentService } from '../incidents/service.ts'
import { silentLogger } from '../log.ts'
import { createMetrics } from '../metrics.ts'
import { PolicyService } from '../policy/service.ts'
import { openSqliteStore, type SqliteStore } from '../store/sqlite.ts'
import { type AuditFiles, auditFileNames, buildAuditExport, yearRange } from './export.ts'
import { readAuditExport, verifyAuditExport, writeAuditDir } from './verify.ts'

const pack = loadRulePack()
const plan = countingPlan(pack)
const signer = generateSigningKey()
const T0 = Date.UTC(2026, 2, 1, 8)
const NOW = Date.UTC(2026, 5, 1)

// Raw identifiers as they exist on the vehicle; only their pseudonyms travel upstream.
const RAW = {
  vins: ['LSVAU2180N2183294', 'LFV3A23C8K3012345'],
  iccids: ['89860318640220133897', '89860012345678901234'],
  phones: ['13812345678', '+8613987654321'],
}
const psn = createPseudonymiser(randomBytes(32))

let dir: string
let store: SqliteStore
let files: AuditFiles

function record(n: number, vin: string, iccid: string, phone: string, ruleIds: string[], categories: string[]): ExportRecord {
  return {
    recordId: `r-${n}`,
    payloadId: `p-${n}`,
    vehiclePseudonym: `veh-${n % 2}`,
    exportedMs: T0 + n * 1000,
    destination: 'eu-diag',
    recipient: n % 3 === 0 ? 'oem-us' : 'oem-eu',
    purpose: 'remote diagnostics',
    kind: PayloadKind.TELEMETRY,
    categories,
    ruleIds,
    subjects: [
      { pseudonym: psn('vin', vin), kind: 'vin', sensitive: false, charging: false },
      { pseudonym: psn('iccid', iccid), kind: 'iccid', sensitive: false, charging: false },
      { pseudonym: psn('phone', phone), kind: 'phone', sensitive: true, charging: false },
    ],
    originalBytes: 1000 + n,
    exportedBytes: 900 + n,
    exemption: null,
    strippedItems: 0,
    cameraKm: 0,
    cameraHours: 0,
    rulePackVersion: pack.version,
    policyVersion: 3,
    leaseId: '',
  }
}

async function fill(s: SqliteStore): Promise<void> {
  const records: ExportRecord[] = []
  for (let n = 0; n < 12; n++) {
    const i = n % 2
    records.push(record(n, RAW.vins[i]!, RAW.iccids[i]!, RAW.phones[i]!, n % 4 === 0 ? ['IDR-GEO-SURVEYING'] : [], n % 4 === 0 ? ['location'] : ['vehicle-identifier', 'person-identifier']))
  }
  await s.ingest(
    records.map((r) => {
      const c = countRecord(plan, r)
      return { vehicleId: r.vehiclePseudonym, recordId: r.recordId, year: c.year, exportedMs: r.exportedMs, recipient: r.recipient, leaseId: '', body: wire.ExportRecord.encode(wire.ExportRecord.fromObject(r)).finish(), members: c.members, sums: c.sums }
    }),
    T0 + 60_000,
  )
  await s.addFiling({ filingId: 'f-sc', kind: FilingKind.STANDARD_CONTRACT, reference: 'SC-2026-001', categories: ['vehicle-identifier', 'person-identifier'], recipients: ['oem-eu'], purposes: ['*'], validFromMs: T0 - 86_400_000, validUntilMs: T0 + 400 * 86_400_000, exemption: 0, createdMs: T0 })
  await s.addIncident({ vehicleId: 'veh-1', incidentId: 'i-1', type: 'ADX_INC_KEY_MATERIAL_AT_EGRESS', detectedMs: T0 + 5000, receivedMs: T0 + 6000, payloadId: 'p-5', reasonCode: 'ADX_INC_KEY_MATERIAL_AT_EGRESS', detail: 'pem private key removed from field diag.blob', categories: ['diagnostic'], count: 1 })
  await raiseIncident(s, silentLogger(), { type: incidentTypes.LIMIT_ALERT, incidentId: 'limit-alert:2026:T-PI-CONTRACT:0.8', reasonCode: 'ADX_INC_LIMIT_ALERT', detail: 'persons.pi at 80 %', nowMs: T0 + 7000 })
  const svc = new IncidentService({ store: s, table: gradeTable(pack), clock: () => T0 + 600_000 })
  const [inc] = await svc.list({ vehicleId: 'veh-1' })
  await svc.update(inc!.id, { state: 'contained', by: 'officer-li', note: 'diag app stopped' })
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'adx-audit-'))
  store = await openSqliteStore(join(dir, 'backend.sqlite'))
  await fill(store)
  files = await buildAuditExport({ store, pack, plan, ciio: false, signer, table: gradeTable(pack), range: yearRange(2026, plan), nowMs: NOW })
})
afterAll(async () => {
  await store.close()
  rmSync(dir, { recursive: true, force: true })
})

const asMap = (f: AuditFiles) => new Map(Object.entries(f).map(([k, v]) => [k, Buffer.from(v, 'utf8')]))
const allNames = [...auditFileNames, 'manifest.json', 'manifest.sig']

describe('audit export', () => {
  it('has every file, verifies, and pins the signing key when asked', () => {
    expect(Object.keys(files).sort()).toEqual([...allNames].sort())
    expect(verifyAuditExport(asMap(files))).toMatchObject({ ok: true, problems: [], keyId: signer.keyId })
    expect(verifyAuditExport(asMap(files), { publicKeyPem: signer.publicKeyPem }).ok).toBe(true)
    const other = verifyAuditExport(asMap(files), { publicKeyPem: generateSigningKey().publicKeyPem })
    expect(other.problems).toEqual([expect.objectContaining({ file: 'manifest.json', reason: expect.stringMatching(/not by the expected key/) })])
  })

  it('describes the data: counts vs limits, catalogue scale, recipients, filings, incidents', () => {
    const summary = JSON.parse(files['summary.json']!)
    expect(summary.years).toHaveLength(1)
    const y = summary.years[0]
    expect(y.year).toBe(2026)
    expect(y.limits.length).toBeGreaterThan(3)
    expect(y.limits.find((l: { id: string }) => l.id === 'T-PI-CONTRACT')).toMatchObject({ count: 4, fired: false })
    const cat = JSON.parse(files['catalogue.json']!)
    const geo = cat.entries.find((e: { kind: string }) => e.kind === 'important-data')
    expect(geo).toMatchObject({ scenario: 'connected-operation', ruleIds: ['IDR-GEO-SURVEYING'], categories: ['location'], scale: { vehicles: 1, persons: 3, records: 3 }, recipients: ['oem-eu', 'oem-us'] })
    const ids = cat.entries.find((e: { category?: string }) => e.category === 'vehicle-identifier')
    expect(ids).toMatchObject({ kind: 'category', scale: { vehicles: 2, persons: 6, sensitivePersons: 2, records: 9 }, filings: [] })
    expect(splitLines(files['export-log.jsonl']!)).toHaveLength(12)
    expect(splitLines(files['export-log.csv']!.replace(/\r\n/g, '\n'))).toHaveLength(13)
    const incidents = splitLines(files['incidents.jsonl']!).map((l) => JSON.parse(l).entry)
    expect(incidents.map((i) => [i.type, i.state])).toEqual([
      ['ADX_INC_KEY_MATERIAL_AT_EGRESS', 'contained'],
      ['ADX_INC_LIMIT_ALERT', 'open'],
    ])
    expect(incidents[0].history.map((h: { event: string }) => h.event)).toEqual(['detected', 'contained'])
    expect(JSON.parse(files['filings.json']!).filings).toEqual([expect.objectContaining({ filingId: 'f-sc', kind: 'standard-contract' })])
  })

  it('contains no raw identifier, no pseudonym, no private key and no certificate', () => {
    const raws = [...RAW.vins, ...RAW.iccids, ...RAW.phones, ...RAW.phones.map((p) => p.replace('+86', ''))]
    for (const [name, text] of Object.entries(files)) {
      for (const raw of raws) expect(text, `${name} contains ${raw}`).not.toContain(raw)
      expect(text, name).not.toMatch(/psn:[a-z-]+:[0-9a-f]{20}/)
      expect(text, name).not.toMatch(/PRIVATE KEY|CERTIFICATE/)
      expect(text, name).not.toContain(signer.privateKeyPem.split('\n')[1]!)
      // The only key is the verifying public key, in the manifest.
      if (name !== 'manifest.json') expect(text, name).not.toMatch(/BEGIN PUBLIC KEY/)
    }
  })

  describe.each(allNames)('%s', (name) => {
    it('a flipped byte anywhere fails verification naming the file', () => {
      fc.assert(
        fc.property(fc.nat(), fc.integer({ min: 1, max: 255 }), (at, xor) => {
          const bytes = Buffer.from(files[name]!, 'utf8')
          const pos = at % bytes.length
          bytes[pos] = bytes[pos]! ^ xor
          const m = asMap(files)
          m.set(name, bytes)
          const v = verifyAuditExport(m)
          expect(v.ok).toBe(false)
          expect(v.problems.map((p) => p.file)).toContain(name)
        }),
        { numRuns: 40 },
      )
    })

    it('a dropped line fails verification naming the file', () => {
      const lines = files[name]!.split('\n')
      for (let i = 0; i < lines.length; i++) {
        if (lines[i] === '' && i === lines.length - 1) continue
        const m = asMap(files)
        m.set(name, Buffer.from(lines.filter((_, j) => j !== i).join('\n')))
        const v = verifyAuditExport(m)
        expect(v.problems.map((p) => p.file), `line ${i + 1}`).toContain(name)
      }
    })

    it('two lines swapped fail verification naming the file', () => {
      const lines = files[name]!.split('\n')
      let tried = 0
      for (let i = 0; i < lines.length; i++)
        for (let j = i + 1; j < lines.length; j++) {
          if (lines[i] === lines[j]) continue
          const swapped = [...lines]
          ;[swapped[i], swapped[j]] = [swapped[j]!, swapped[i]!]
          const m = asMap(files)
          m.set(name, Buffer.from(swapped.join('\n')))
          expect(verifyAuditExport(m).problems.map((p) => p.file), `lines ${i + 1} and ${j + 1}`).toContain(name)
          if (++tried > 60) return
        }
    })
  })

  it('a missing or an extra file is named', () => {
    for (const name of allNames) {
      const m = asMap(files)
      m.delete(name)
      expect(verifyAuditExport(m).problems.map((p) => p.file)).toContain(name)
    }
    const m = asMap(files)
    m.set('extra.csv', Buffer.from('x'))
    expect(verifyAuditExport(m).problems).toEqual([{ file: 'extra.csv', reason: 'not listed in the manifest' }])
  })
})

describe('adx export / adx verify', () => {
  it('writes a folder that verifies; a tampered one exits 1 naming the file', async () => {
    const cliDir = mkdtempSync(join(tmpdir(), 'adx-audit-cli-'))
    const config = join(cliDir, 'backend.yaml')
    writeFileSync(config, 'dataDir: data\nlog:\n  level: silent\n')
    mkdirSync(join(cliDir, 'data'))
    const s = await openSqliteStore(join(cliDir, 'data', 'backend.sqlite'))
    await fill(s)
    await s.close()
    let out = ''
    let err = ''
    const run = async (...args: string[]) => {
      out = ''
      err = ''
      process.exitCode = undefined
      const p = new Command('adx').exitOverride()
      registerBackendCommands(p, { out: (t) => (out += t), err: (t) => (err += t) })
      await p.parseAsync(['node', 'adx', ...args])
      const code = process.exitCode
      process.exitCode = undefined
      return code
    }
    const outDir = join(cliDir, 'export-2026')
    expect(await run('export', '--year', '2026', '--out', outDir, '-c', config)).toBeUndefined()
    expect(readdirSync(outDir).sort()).toEqual([...allNames].sort())
    const manifest = JSON.parse(readFileSync(join(outDir, 'manifest.json'), 'utf8'))
    expect(manifest.liveLogs).toMatchObject({ emergency: { ok: true, count: 3 }, exports: { ok: true, count: 12 } })
    expect(await run('verify', outDir)).toBeUndefined()
    expect(JSON.parse(out)).toMatchObject({ ok: true })
    writeFileSync(join(cliDir, 'key.pem'), generateSigningKey().publicKeyPem)
    expect(await run('verify', outDir, '--key', join(cliDir, 'key.pem'))).toBe(1)

    // Range form; then tamper with the export log.
    const rangeDir = join(cliDir, 'export-q1')
    expect(await run('export', '--from', '2026-03-01', '--to', '2026-04-01', '--out', rangeDir, '-c', config)).toBeUndefined()
    expect(splitLines(readFileSync(join(rangeDir, 'export-log.jsonl'), 'utf8'))).toHaveLength(12)
    const log = readFileSync(join(rangeDir, 'export-log.jsonl'), 'utf8')
    writeFileSync(join(rangeDir, 'export-log.jsonl'), log.replace('"oem-us"', '"oem-uk"'))
    expect(await run('verify', rangeDir)).toBe(1)
    expect(err).toMatch(/^export-log\.jsonl: /m)

    expect(await run('export', '--year', '2026', '--from', '2026-01-01', '--out', rangeDir, '-c', config)).toBe(1)
    expect(err).toMatch(/^ADX_ERR_INPUT/)

    // Incidents from the command line, logged in the emergency-response log.
    expect(await run('incidents', 'list', '--state', 'contained', '-c', config)).toBeUndefined()
    const [inc] = JSON.parse(out)
    expect(await run('incidents', 'update', inc.id, '--state', 'closed', '--by', 'officer-li', '-c', config)).toBe(1)
    expect(err).toMatch(/^ADX_ERR_INCIDENT_TRANSITION/)
    expect(await run('incidents', 'update', inc.id, '--state', 'reported', '--by', 'officer-li', '--note', 'CAC', '-c', config)).toBeUndefined()
    expect(JSON.parse(out)).toMatchObject({ state: 'reported', history: expect.arrayContaining([expect.objectContaining({ event: 'reported', by: 'officer-li' })]) })
    expect(await run('incidents', 'show', inc.id, '-c', config)).toBeUndefined()
    expect(await run('logs', 'verify', '-c', config)).toBeUndefined()
    expect(JSON.parse(out)).toMatchObject({ emergencyResponse: { ok: true, count: 4 }, exportLog: { ok: true, count: 12 } })
    rmSync(cliDir, { recursive: true, force: true })
  })
})

describe('HTTP API', () => {
  it('serves the bundle to officers (it verifies) and lets officers move incidents on', async () => {
    const tokens = { viewer: 'viewer-token-0123456789', officer: 'officer-token-0123456789' }
    const policy = new PolicyService({
      store,
      pack,
      plan,
      signer,
      ciio: false,
      options: { lease: { persons: 10, sensitivePersons: 0, ttlMs: 60_000, reportGraceMs: 60_000, renewBeforeMs: 10_000 }, sumHoldFraction: 0.95 },
      publish: async () => undefined,
      log: silentLogger(),
      clock: () => NOW,
    })
    const table = gradeTable(pack)
    const auditDeps: AuditApiDeps = { utcOffsetMinutes: plan.utcOffsetMinutes, exportFiles: (range, o) => buildAuditExport({ store, pack, plan, ciio: false, signer, table, range, nowMs: NOW }, o) }
    const app = createApi({
      store,
      pack,
      policy,
      metrics: createMetrics(),
      log: silentLogger(),
      accounts: [
        { id: 'v', role: 'viewer', overseas: false, token: tokens.viewer },
        { id: 'o', role: 'officer', overseas: false, token: tokens.officer },
      ],
      signer,
      overseas: { recordExport: async () => undefined },
      onVehicleAdded: () => undefined,
      onVehicleRevoked: () => undefined,
      health: async () => ({ store: true, broker: true }),
      clock: () => NOW,
      incidents: { service: new IncidentService({ store, table, clock: () => NOW }) },
      audit: auditDeps,
    })
    const call = async (method: string, path: string, who: keyof typeof tokens, body?: unknown) => {
      const res = await app.request(path, { method, headers: { authorization: `Bearer ${tokens[who]}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) })
      return { status: res.status, json: (await res.json()) as any, headers: res.headers }
    }
    expect((await call('GET', '/api/audit/export?year=2026', 'viewer')).status).toBe(403)
    expect((await call('GET', '/api/audit/export?year=2026&from=1', 'officer')).json.code).toBe('ADX_ERR_API_VALIDATION')
    const got = await call('GET', '/api/audit/export?year=2026', 'officer')
    expect(got.status).toBe(200)
    expect(got.headers.get('content-disposition')).toContain('adx-audit-2026.json')
    const bundlePath = join(dir, 'bundle.json')
    writeFileSync(bundlePath, JSON.stringify(got.json))
    expect(verifyAuditExport(readAuditExport(bundlePath))).toMatchObject({ ok: true })
    writeAuditDir(join(dir, 'unpacked'), got.json.files)
    expect(verifyAuditExport(readAuditExport(join(dir, 'unpacked'))).ok).toBe(true)
    // Past the bundle limit: 413 with a stable code, pointing at the streaming CLI.
    auditDeps.maxBundleBytes = 1_000
    const big = await call('GET', '/api/audit/export?year=2026', 'officer')
    expect(big.status).toBe(413)
    expect(big.json).toMatchObject({ code: 'ADX_ERR_AUDIT_TOO_LARGE', message: expect.stringContaining('adx export --out DIR') })
    auditDeps.maxBundleBytes = undefined

    const list = await call('GET', '/api/incidents?state=open', 'viewer')
    expect(list.json.incidents.map((i: { type: string }) => i.type)).toEqual(['ADX_INC_LIMIT_ALERT'])
    const overdue = await call('GET', '/api/incidents?overdue=true', 'viewer')
    expect(overdue.json.incidents.map((i: { type: string; overdue: boolean }) => [i.type, i.overdue])).toEqual([['ADX_INC_KEY_MATERIAL_AT_EGRESS', true]])
    const id = overdue.json.incidents[0].id
    expect((await call('GET', `/api/incidents/${id}`, 'viewer')).json.incident.history).toHaveLength(2)
    expect((await call('POST', `/api/incidents/${id}`, 'viewer', { state: 'reported' })).status).toBe(403)
    expect((await call('POST', `/api/incidents/${id}`, 'officer', { state: 'closed' })).json).toMatchObject({ code: 'ADX_ERR_INCIDENT_TRANSITION' })
    expect((await call('POST', `/api/incidents/${id}`, 'officer', { state: 'closed' })).status).toBe(409)
    expect((await call('POST', '/api/incidents/INC-0000000000000000', 'officer', { state: 'contained' })).status).toBe(404)
    expect((await call('POST', `/api/incidents/${id}`, 'officer', {})).status).toBe(400)
    const reported = await call('POST', `/api/incidents/${id}`, 'officer', { state: 'reported', note: 'CAC 12' })
    expect(reported.json.incident).toMatchObject({ state: 'reported', reportedLate: true, overdue: false })
    expect(reported.json.incident.history.at(-1)).toMatchObject({ event: 'reported', by: 'o', note: 'CAC 12' })
  })
})
