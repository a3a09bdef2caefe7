/**
 * The regulators' audit export: a set of text files that DESCRIBE what left the country (counts,
 * scale, recipients, purposes, filings, incidents) without containing any of it, plus a manifest
 * with every file's SHA-256 and the chain heads, signed with the backend's Ed25519 key.
 *
 *   summary.json      every yearly count against every limit, the measure required, the filings
 *                     covering each limit (per counting year overlapping the range)
 *   catalogue.json    important-data identification and filing catalogue: per scenario and data
 *                     type (or per category for data no important-data rule matched): rule ids,
 *                     scale (vehicles, persons, records, bytes), recipients, purposes, filings
 *   export-log.jsonl  every export record in the range, metadata only, hash-chained
 *   export-log.csv    the same rows as CSV (for spreadsheets)
 *   incidents.jsonl   every incident detected in the range with its lifecycle, hash-chained
 *   filings.json      every filing on record
 *   manifest.json     format, range, files (sha256, bytes), chain heads, signer key
 *   manifest.sig      Ed25519 signature (base64) over manifest.json's bytes
 */
import { closeSync, mkdirSync, renameSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { countingYear, yearWindow } from '../../shared/calendar.ts'
import { AdxError } from '../../shared/errors.ts'
import { type ChainTip, type ChainVerdict, chainLine, EMPTY_TIP, serializeLine } from '../../shared/hash-chain.ts'
import type { RulePack } from '../../shared/rulepack/schema.ts'
import { signBytes } from '../../shared/signature.ts'
import type { CountingPlan } from '../counting/plan.ts'
import { countsFromTotals } from '../counting/counts.ts'
import { describeFiling } from '../filings/input.ts'
import type { GradeTable } from '../incidents/grades.ts'
import { viewIncident } from '../incidents/lifecycle.ts'
import { requiredMeasure } from '../measure/engine.ts'
import type { Store } from '../store/types.ts'
import { chunkedSink, type FileSink, fileSink } from './file-sink.ts'
import { CatalogueBuilder } from './catalogue.ts'
import { csvRow, exportLogColumns, type ExportLogEntry } from './entries.ts'
import { LineEncoder } from './line-encoder.ts'
import { exportPage } from './page-export.ts'
import { type ExportLogWriter, inThreadLogWriter, threadLogWriter } from './log-writer.ts'

/** Format id written in manifest.json. */
export const AUDIT_FORMAT = 'adx-audit-export/1'

/** Files of an export, in the order they are listed. */
export const auditFileNames = ['summary.json', 'catalogue.json', 'export-log.jsonl', 'export-log.csv', 'incidents.jsonl', 'filings.json'] as const

/** Files whose lines form a hash chain. */
export const chainedFiles = ['export-log.jsonl', 'incidents.jsonl'] as const

/** The time range of an export: [fromMs, toMs). */
export interface AuditRange {
  fromMs: number
  toMs: number
  /** e.g. "2026" or "2026-01-01..2026-07-01". */
  label: string
}

/** What an export needs. */
export interface AuditExportInput {
  store: Store
  pack: RulePack
  plan: CountingPlan
  ciio: boolean
  signer: { privateKeyPem: string; publicKeyPem: string; keyId: string }
  table: GradeTable
  range: AuditRange
  nowMs: number
  /** Verdicts of the live logs, recorded in the manifest for cross-reference. */
  liveLogs?: Record<string, ChainVerdict>
}

/** An export: file name → text. */
export type AuditFiles = Record<string, string>

/** The range of a counting year (China Standard Time by the pack). */
export function yearRange(year: number, plan: Pick<CountingPlan, 'utcOffsetMinutes'>): AuditRange {
  const w = yearWindow(year, plan.utcOffsetMinutes)
  return { fromMs: w.startMs, toMs: w.endMs, label: String(year) }
}

const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`

/** Tuning of an export run. */
export interface AuditExportOptions {
  /** Bytes buffered per file before they are hashed and written (default 4 MiB). */
  chunkBytes?: number
  /** Records read from the store per page (default 20,000; one packed read each, see store/record-pack.ts). */
  pageSize?: number
  /**
   * writeAuditExport: the writer thread takes a page when the work it has queued is at most this
   * many records (default 80,000: it takes what it has time for; -1: never; a large number: always).
   */
  threadPagesBelow?: number
}

/** Options of buildAuditExport. */
export interface BuildAuditOptions extends AuditExportOptions {
  /** Refuse (ADX_ERR_AUDIT_TOO_LARGE) once the files together pass this many bytes. */
  maxBytes?: number
}

/** Default size limit of the in-memory export the API serves as one bundle. */
export const AUDIT_BUNDLE_MAX_BYTES = 256 * 2 ** 20

const DEFAULT_CHUNK = 4 * 2 ** 20

/** The signed manifest of an export (its text and the signature's text). */
interface Signed {
  manifest: string
  sig: string
}

/**
 * Builds the files of an audit export in memory (nothing is written): for the API's bundle and
 * small exports. Large exports go through writeAuditExport.
 * @throws AdxError ADX_ERR_AUDIT_TOO_LARGE when the files together pass `opts.maxBytes`.
 * @example const files = await buildAuditExport({ store, pack, plan, ciio: false, signer, table, range: yearRange(2026, plan), nowMs: Date.now() })
 */
export async function buildAuditExport(i: AuditExportInput, opts: BuildAuditOptions = {}): Promise<AuditFiles> {
  const chunks = new Map<string, Buffer[]>()
  let total = 0
  const max = opts.maxBytes ?? Number.POSITIVE_INFINITY
  const open = (name: string) => {
    const list: Buffer[] = []
    chunks.set(name, list)
    return chunkedSink(Math.min(opts.chunkBytes ?? DEFAULT_CHUNK, 2 ** 20), (b) => {
      total += b.length
      if (total > max)
        throw new AdxError(
          'ADX_ERR_AUDIT_TOO_LARGE',
          `the export of ${i.range.label} passes ${max} bytes, too large for one bundle; write it to a folder with \`adx export --out DIR\` (${i.range.label.includes('..') ? '--from/--to' : `--year ${i.range.label}`}) and check it with \`adx verify DIR\``,
        )
      list.push(Buffer.from(b))
    })
  }
  const signed = await produceAuditExport(i, opts, open, async (header) => inThreadLogWriter(open('export-log.jsonl'), open('export-log.csv'), header, i.nowMs))
  const files: AuditFiles = {}
  for (const name of auditFileNames) files[name] = Buffer.concat(chunks.get(name)!).toString('utf8')
  files['manifest.json'] = signed.manifest
  files['manifest.sig'] = signed.sig
  return files
}

/**
 * Writes an audit export into a folder (created), streaming: records are read from the store
 * page by page and every file is written and hashed chunk by chunk, so memory stays bounded by
 * the aggregates (catalogue sets), not by the number of records. The manifest is written last.
 * Files are written under temporary names and renamed when complete.
 * @example await writeAuditExport('out/2026', { store, pack, plan, ciio: false, signer, table, range: yearRange(2026, plan), nowMs: Date.now() })
 */
export async function writeAuditExport(dir: string, i: AuditExportInput, opts: AuditExportOptions = {}): Promise<{ files: string[] }> {
  mkdirSync(dir, { recursive: true })
  const chunk = opts.chunkBytes ?? DEFAULT_CHUNK
  const tmp = (name: string) => join(dir, `.${name}.partial`)
  const opened: string[] = []
  const fds = new Set<number>()
  let log: ExportLogWriter | undefined
  try {
    const signed = await produceAuditExport(
      i,
      opts,
      (name) => {
        opened.push(name)
        return fileSink(tmp(name), chunk, fds)
      },
      async (header) => {
        opened.push('export-log.jsonl', 'export-log.csv')
        log = await threadLogWriter(tmp('export-log.jsonl'), tmp('export-log.csv'), header, i.nowMs, { pack: i.pack, takePagesBelow: opts.threadPagesBelow })
        return log
      },
    )
    const s1 = fileSink(tmp('manifest.json'), chunk, fds)
    s1.write(signed.manifest)
    s1.end()
    const s2 = fileSink(tmp('manifest.sig'), chunk, fds)
    s2.write(signed.sig)
    s2.end()
    const names = [...auditFileNames, 'manifest.json', 'manifest.sig']
    // The manifest last: a folder with a manifest is complete.
    for (const name of names) renameSync(tmp(name), join(dir, name))
    return { files: names }
  } catch (e) {
    await log?.abort()
    for (const fd of fds) closeSync(fd)
    for (const name of [...opened, 'manifest.json', 'manifest.sig']) rmSync(tmp(name), { force: true })
    throw e
  }
}

/**
 * One export pass: writes the export log through the writer `openLog` gives (given the CSV
 * header), the other files through `open`, and returns the signed manifest.
 */
async function produceAuditExport(
  i: AuditExportInput,
  opts: AuditExportOptions,
  open: (name: (typeof auditFileNames)[number]) => FileSink,
  openLog: (csvHeader: string) => Promise<ExportLogWriter>,
): Promise<Signed> {
  const { store, pack, plan, range, nowMs } = i
  const filings = await store.listFilings()
  const pageSize = opts.pageSize ?? 20_000

  // ---- export log and catalogue, one pass over the records of the range. export-log.jsonl and
  // export-log.csv are written as the records are read; pages the writer takes (a writer thread
  // with time to spare) are exported there, and its share of the catalogue merged at the end.
  const catalogue = new CatalogueBuilder(pack)
  const log = await openLog(`${exportLogColumns.join(',')}\r\n`)
  const encoder = new LineEncoder()
  for (let cursor = 0; ; ) {
    const page = await store.recordsPacked(cursor, pageSize, { fromMs: range.fromMs, toMs: range.toMs })
    if (page.count === 0) break
    cursor = page.last
    if (!log.offerPage(page)) exportPage(page.packed, page.count, log, catalogue, encoder)
    await log.ready()
  }
  const logWritten = await log.end()
  if (logWritten.catalogue) catalogue.merge(logWritten.catalogue)
  const catalogueJson = {
    range,
    rulePack: { id: pack.id, version: pack.version },
    note: 'describes the data exported (type, scale, recipients, purposes); the data itself is not included',
    entries: catalogue.entries(filings),
  }

  // ---- summary: every count against every limit, per counting year overlapping the range
  const firstYear = countingYear(range.fromMs, plan.utcOffsetMinutes)
  const lastYear = countingYear(Math.max(range.fromMs, range.toMs - 1), plan.utcOffsetMinutes)
  const years = []
  for (let y = firstYear; y <= lastYear; y++) {
    const at = Math.min(nowMs, yearWindow(y, plan.utcOffsetMinutes).endMs - 1)
    const counts = countsFromTotals(plan, await store.totals(y))
    const report = requiredMeasure({ counts, ciio: i.ciio, filings, pack, nowMs: at })
    years.push({
      year: y,
      evaluatedAtMs: at,
      measure: report.measure,
      measureSatisfied: report.measureSatisfied,
      measureFilings: report.measureFilings,
      reasons: report.reasons,
      filingsInForce: report.filingsInForce,
      counts,
      limits: report.limits.map((l) => ({
        id: l.id,
        source: l.source,
        ruleId: l.ruleId,
        counter: l.counter,
        category: l.category,
        comparison: l.comparison,
        value: l.value,
        count: l.count,
        fired: l.fired,
        fraction: l.fraction,
        alertLevel: l.alertLevel,
        requires: l.requires,
        governs: l.categories,
        coveredBy: l.coveredBy,
        uncoveredCategories: l.uncoveredCategories,
        covered: l.covered,
      })),
      rules: report.rules,
    })
  }
  const summary = { range, generatedMs: nowMs, rulePack: { id: pack.id, version: pack.version }, ciio: i.ciio, note: 'counts are yearly totals as of generatedMs', years }

  // ---- incidents detected in the range, oldest first, with their lifecycle
  const incidentRows = (await store.listIncidentRecords({ fromMs: range.fromMs, toMs: range.toMs, limit: 1_000_000 })).reverse()
  const incSink = open('incidents.jsonl')
  let incidentTip: ChainTip = EMPTY_TIP
  for (const r of incidentRows) {
    const history = (await store.incidentEventsOf(r.vehicleId, r.incidentId)).map(({ vehicleId: _v, incidentId: _i, ...e }) => e)
    const view = viewIncident(r, i.table, nowMs)
    // The regulator's copy counts the persons concerned; their pseudonyms stay at the backend.
    const line = chainLine(incidentTip, { ...view, scope: { ...view.scope, persons: { count: view.scope.persons.count } }, history }, nowMs)
    incidentTip = { seq: line.seq, hash: line.hash }
    incSink.write(`${serializeLine(line)}\n`)
  }

  const small = (name: (typeof auditFileNames)[number], text: string) => {
    const sink = open(name)
    sink.write(text)
    return sink.end()
  }
  const written: Record<string, { sha256: string; bytes: number }> = {
    'summary.json': small('summary.json', json(summary)),
    'catalogue.json': small('catalogue.json', json(catalogueJson)),
    'export-log.jsonl': logWritten.jsonl,
    'export-log.csv': logWritten.csv,
    'incidents.jsonl': incSink.end(),
    'filings.json': small('filings.json', json({ filings: filings.map((f) => describeFiling(f, nowMs)) })),
  }
  const manifest = {
    format: AUDIT_FORMAT,
    generatedMs: nowMs,
    range,
    rulePack: { id: pack.id, version: pack.version },
    files: Object.fromEntries(auditFileNames.map((n) => [n, written[n]!])),
    chains: {
      'export-log.jsonl': { count: logWritten.tip.seq, head: logWritten.tip.hash },
      'incidents.jsonl': { count: incidentTip.seq, head: incidentTip.hash },
    },
    liveLogs: i.liveLogs ?? null,
    signer: { algorithm: 'Ed25519', keyId: i.signer.keyId, publicKeyPem: i.signer.publicKeyPem },
  }
  const manifestText = json(manifest)
  return { manifest: manifestText, sig: `${Buffer.from(signBytes(i.signer.privateKeyPem, Buffer.from(manifestText, 'utf8'))).toString('base64')}\n` }
}

/** export-log.csv from entries (header + one row per entry). */
export function exportLogCsv(entries: readonly ExportLogEntry[]): string {
  return [exportLogColumns.join(','), ...entries.map(csvRow)].map((l) => `${l}\r\n`).join('')
}
