import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AdxError } from '../../shared/errors.ts'
import { splitLines } from '../../shared/hash-chain.ts'
import { loadRulePack } from '../../shared/rulepack/load.ts'
import { generateSigningKey } from '../../shared/signature.ts'
import { type ExportRecord, PayloadKind, wire } from '../../shared/wire/index.ts'
import { countRecord } from '../counting/count-record.ts'
import { countingPlan } from '../counting/plan.ts'
import { gradeTable } from '../incidents/grades.ts'
import { openSqliteStore, type SqliteStore } from '../store/sqlite.ts'
import { type AuditExportInput, type AuditFiles, auditFileNames, buildAuditExport, writeAuditExport, yearRange } from './export.ts'
import { verifyAuditDir, verifyAuditExport, verifyAuditPath } from './verify.ts'

const pack = loadRulePack()
const plan = countingPlan(pack)
const signer = generateSigningKey()
const T0 = Date.UTC(2026, 2, 1, 8)
const NOW = Date.UTC(2026, 5, 1)
const N = 2_000
const CHUNK = 64 * 1024

let dir: string
let store: SqliteStore
let input: AuditExportInput
let memory: AuditFiles
let out: string

function record(n: number): ExportRecord {
  const geo = n % 4 === 0
  return {
    // Ids the export cannot copy as bytes: quotes and commas, text that is not ASCII.
    recordId: n % 89 === 0 ? `r-${n},"q"` : `r-${n}`,
    payloadId: `p-${n}`,
    vehiclePseudonym: n % 37 === 5 ? `veh-车-${n % 37}` : `veh-${n % 37}`,
    exportedMs: T0 + n * 1000,
    destination: 'eu-diag',
    recipient: ['oem-eu', 'oem-us', 'oem-jp'][n % 3]!,
    // Quoting, a formula guard and a line break inside a CSV field (a CSV row over two lines).
    // Two entries larger than a chunk of the writers.
    purpose: n === 777 || n === 1500 ? `long ${'purpose '.repeat(12_000)}` : n % 50 === 0 ? 'diagnostics, "fleet"\nsecond line' : n % 7 === 0 ? '=remote' : 'remote diagnostics',
    kind: geo ? PayloadKind.TELEMETRY : PayloadKind.DIAGNOSTIC,
    categories: geo ? ['location'] : ['vehicle-identifier', 'person-identifier'],
    ruleIds: geo ? ['IDR-GEO-SURVEYING'] : [],
    subjects: [
      { pseudonym: `psn:vin:${n % 37}`, kind: 'vin', sensitive: false, charging: false },
      { pseudonym: `psn:phone:${n % 501}`, kind: 'phone', sensitive: n % 10 === 0, charging: false },
    ],
    originalBytes: 1000 + n,
    exportedBytes: 900 + n,
    exemption: null,
    strippedItems: n % 3,
    cameraKm: 0,
    cameraHours: 0,
    rulePackVersion: pack.version,
    policyVersion: 3,
    leaseId: '',
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'adx-audit-stream-'))
  store = await openSqliteStore(join(dir, 'backend.sqlite'))
  const rows = []
  for (let n = 0; n < N; n++) {
    const r = record(n)
    const c = countRecord(plan, r)
    rows.push({ vehicleId: r.vehiclePseudonym, recordId: r.recordId, year: c.year, exportedMs: r.exportedMs, recipient: r.recipient, leaseId: '', body: wire.ExportRecord.encode(wire.ExportRecord.fromObject(r)).finish(), members: c.members, sums: c.sums })
  }
  await store.ingest(rows, T0)
  input = { store, pack, plan, ciio: false, signer, table: gradeTable(pack), range: yearRange(2026, plan), nowMs: NOW }
  memory = await buildAuditExport(input)
  out = join(dir, 'out')
  await writeAuditExport(out, input, { chunkBytes: CHUNK, pageSize: 333 })
})
afterAll(async () => {
  await store.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('streamed audit export', () => {
  it('writes, byte for byte, what the in-memory export builds (files larger than a chunk)', () => {
    const names = [...auditFileNames, 'manifest.json', 'manifest.sig']
    expect(readdirSync(out).sort()).toEqual([...names].sort())
    for (const name of names) expect(readFileSync(join(out, name), 'utf8'), name).toBe(memory[name])
    expect(statSync(join(out, 'export-log.jsonl')).size).toBeGreaterThan(4 * CHUNK)
    expect(statSync(join(out, 'export-log.csv')).size).toBeGreaterThan(2 * CHUNK)
    expect(splitLines(memory['export-log.jsonl']!)).toHaveLength(N)
    expect(memory['manifest.json']).toBe(manifestOf(out))
    const manifest = JSON.parse(memory['manifest.json']!)
    expect(manifest.chains['export-log.jsonl'].count).toBe(N)
  })

  it('verifies streamed (folder, small read chunks) exactly as in memory', () => {
    const mem = verifyAuditExport(new Map(Object.entries(memory).map(([k, v]) => [k, Buffer.from(v, 'utf8')])))
    expect(mem).toMatchObject({ ok: true, problems: [], keyId: signer.keyId })
    expect(verifyAuditDir(out, { chunkBytes: CHUNK })).toEqual(mem)
    expect(verifyAuditDir(out, { chunkBytes: 1000 })).toEqual(mem)
    // On two threads, in segments small enough that both threads take many.
    expect(verifyAuditDir(out, { threadFromBytes: 0, threadSegmentBytes: 20_000 })).toEqual(mem)
    expect(verifyAuditPath(out, { publicKeyPem: signer.publicKeyPem }).ok).toBe(true)
    expect(verifyAuditPath(out, { publicKeyPem: generateSigningKey().publicKeyPem }).ok).toBe(false)
  })

  it('names the file when a streamed folder is tampered with (flip, drop, reorder, CSV row, truncation)', () => {
    const jsonl = memory['export-log.jsonl']!
    const lines = splitLines(jsonl)
    const csv = memory['export-log.csv']!
    const cases: [string, string, string][] = [
      ['flip a byte across a chunk boundary', 'export-log.jsonl', `${jsonl.slice(0, CHUNK + 5)}${jsonl[CHUNK + 5] === 'a' ? 'b' : 'a'}${jsonl.slice(CHUNK + 6)}`],
      ['drop a line', 'export-log.jsonl', [...lines.slice(0, 900), ...lines.slice(901)].map((l) => `${l}\n`).join('')],
      ['swap two lines', 'export-log.jsonl', [...lines.slice(0, 1500), lines[1501], lines[1500], ...lines.slice(1502)].map((l) => `${l}\n`).join('')],
      ['truncate', 'export-log.jsonl', jsonl.slice(0, -10)],
      ['drop the first line', 'export-log.jsonl', lines.slice(1).map((l) => `${l}\n`).join('')],
      ['drop every line after the 700th', 'export-log.jsonl', lines.slice(0, 700).map((l) => `${l}\n`).join('')],
      ['a line that is not JSON', 'export-log.jsonl', [...lines.slice(0, 1200), '{"at":', ...lines.slice(1201)].map((l) => `${l}\n`).join('')],
      ['an empty line', 'export-log.jsonl', [...lines.slice(0, 300), '', ...lines.slice(300)].map((l) => `${l}\n`).join('')],
      ['a changed seq', 'export-log.jsonl', [...lines.slice(0, 1000), lines[1000]!.replace(/"seq":\d+}$/, '"seq":7}'), ...lines.slice(1001)].map((l) => `${l}\n`).join('')],
      ['a line appended without newline', 'export-log.jsonl', `${jsonl}${lines[5]}`],
      ['change a CSV row', 'export-log.csv', csv.replace('oem-jp', 'oem-kr')],
      ['drop the last CSV row', 'export-log.csv', csv.slice(0, csv.lastIndexOf('\r\n', csv.length - 3) + 2)],
    ]
    for (const [what, name, text] of cases) {
      const copy = join(dir, `t-${what.replace(/\W+/g, '-')}`)
      rmSync(copy, { recursive: true, force: true })
      writeAuditExportCopy(copy, { ...memory, [name]: text })
      const v = verifyAuditDir(copy, { chunkBytes: CHUNK })
      const mem = verifyAuditExport(new Map(Object.entries({ ...memory, [name]: text }).map(([k, x]) => [k, Buffer.from(x, 'utf8')])))
      expect(v.ok, what).toBe(false)
      expect(v.problems.map((p) => p.file), what).toContain(name)
      expect(v, what).toEqual(mem)
      // The two-thread path, with segment boundaries all over the file, says exactly the same.
      for (const seg of [20_000, 77_777]) expect(verifyAuditDir(copy, { threadFromBytes: 0, threadSegmentBytes: seg }), `${what} (segments of ${seg} bytes)`).toEqual(mem)
    }
  })

  it('refuses an in-memory export past maxBytes with ADX_ERR_AUDIT_TOO_LARGE, pointing at adx export --out', async () => {
    const e = await buildAuditExport(input, { maxBytes: 100_000 }).catch((x: unknown) => x)
    expect(e).toBeInstanceOf(AdxError)
    expect((e as AdxError).code).toBe('ADX_ERR_AUDIT_TOO_LARGE')
    expect((e as AdxError).message).toContain('adx export --out DIR')
    expect(await buildAuditExport(input, { maxBytes: 10 * 2 ** 20 })).toEqual(memory)
  })
})

const manifestOf = (d: string) => readFileSync(join(d, 'manifest.json'), 'utf8')

it('writes the same bytes whichever thread exports the pages', async () => {
  for (const threadPagesBelow of [-1, 1e9]) {
    const o = join(dir, `pages-${threadPagesBelow}`)
    await writeAuditExport(o, input, { pageSize: 150, threadPagesBelow })
    // The manifest carries every file's SHA-256 and the chain head.
    expect(manifestOf(o), `threadPagesBelow ${threadPagesBelow}`).toBe(memory['manifest.json'])
  }
})

function writeAuditExportCopy(path: string, files: AuditFiles): void {
  rmSync(path, { recursive: true, force: true })
  mkdirSync(path, { recursive: true })
  for (const [name, text] of Object.entries(files)) writeFileSync(join(path, name), text)
}
