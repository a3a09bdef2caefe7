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
import { countingYear, yearWindow } from '../../shared/calendar.ts'
import { type ChainVerdict, chainLines, EMPTY_TIP, serializeLine, sha256Hex } from '../../shared/hash-chain.ts'
import type { RulePack } from '../../shared/rulepack/schema.ts'
import { signBytes } from '../../shared/signature.ts'
import type { CountingPlan } from '../counting/plan.ts'
import { countsFromTotals } from '../counting/counts.ts'
import { describeFiling } from '../filings/input.ts'
import type { GradeTable } from '../incidents/grades.ts'
import { viewIncident } from '../incidents/lifecycle.ts'
import { requiredMeasure } from '../measure/engine.ts'
import { scopeCovers } from '../measure/filings.ts'
import type { Store } from '../store/types.ts'
import { csvRow, decodeRecordBody, exportLogColumns, type ExportLogEntry, exportLogEntry } from './entries.ts'

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

interface Group {
  kind: 'important-data' | 'category'
  scenario: string
  scenarioTitle: string
  dataType: string
  dataTypeTitle: string
  category: string
  ruleIds: Set<string>
  categories: Set<string>
  vehicles: Set<string>
  persons: Set<string>
  sensitivePersons: Set<string>
  records: number
  exportedBytes: number
  originalBytes: number
  recipients: Set<string>
  purposes: Set<string>
}

/**
 * Builds the files of an audit export (nothing is written).
 * @example const files = await buildAuditExport({ store, pack, plan, ciio: false, signer, table, range: yearRange(2026, plan), nowMs: Date.now() })
 */
export async function buildAuditExport(i: AuditExportInput): Promise<AuditFiles> {
  const { store, pack, plan, range, nowMs } = i
  const filings = await store.listFilings()

  // ---- export log and catalogue, one pass over the records of the range
  const rulesById = new Map(pack.rules.map((r) => [r.id, r]))
  const scenarioOf = new Map(pack.scenarios.map((s) => [s.id, s]))
  const groups = new Map<string, Group>()
  const group = (key: string, init: () => Omit<Group, 'ruleIds' | 'categories' | 'vehicles' | 'persons' | 'sensitivePersons' | 'records' | 'exportedBytes' | 'originalBytes' | 'recipients' | 'purposes'>): Group => {
    let g = groups.get(key)
    if (!g) {
      g = { ...init(), ruleIds: new Set(), categories: new Set(), vehicles: new Set(), persons: new Set(), sensitivePersons: new Set(), records: 0, exportedBytes: 0, originalBytes: 0, recipients: new Set(), purposes: new Set() }
      groups.set(key, g)
    }
    return g
  }
  const entries: ExportLogEntry[] = []
  for (let cursor = 0; ; ) {
    const page = await store.recordsAfter(cursor, 5_000, { fromMs: range.fromMs, toMs: range.toMs })
    if (page.length === 0) break
    cursor = page[page.length - 1]!.rowid
    for (const s of page) {
      const r = decodeRecordBody(s.body)
      entries.push(exportLogEntry(s, r))
      if (!r) continue
      const targets: Group[] = []
      for (const ruleId of r.ruleIds) {
        const rule = rulesById.get(ruleId)
        if (!rule) continue
        const sc = scenarioOf.get(rule.scenario)
        const g = group(`rule:${rule.scenario}:${rule.dataType}`, () => ({
          kind: 'important-data',
          scenario: rule.scenario,
          scenarioTitle: sc?.title ?? rule.scenario,
          dataType: rule.dataType,
          dataTypeTitle: sc?.dataTypes.find((d) => d.id === rule.dataType)?.title ?? rule.dataType,
          category: '',
        }))
        g.ruleIds.add(ruleId)
        targets.push(g)
      }
      if (targets.length === 0)
        for (const c of r.categories.length ? r.categories : ['uncategorised'])
          targets.push(group(`category:${c}`, () => ({ kind: 'category', scenario: '', scenarioTitle: '', dataType: '', dataTypeTitle: '', category: c })))
      for (const g of new Set(targets)) {
        for (const c of r.categories) g.categories.add(c)
        g.vehicles.add(s.vehicleId)
        for (const subj of r.subjects) {
          g.persons.add(subj.pseudonym)
          if (subj.sensitive) g.sensitivePersons.add(subj.pseudonym)
        }
        g.records++
        g.exportedBytes += Number(r.exportedBytes)
        g.originalBytes += Number(r.originalBytes)
        g.recipients.add(s.recipient)
        if (r.purpose) g.purposes.add(r.purpose)
      }
    }
  }
  const sorted = (s: Set<string>) => [...s].sort()
  const catalogue = {
    range,
    rulePack: { id: pack.id, version: pack.version },
    note: 'describes the data exported (type, scale, recipients, purposes); the data itself is not included',
    entries: [...groups.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, g]) => {
        const cats = sorted(g.categories)
        const ids = sorted(g.ruleIds)
        return {
          kind: g.kind,
          scenario: g.scenario || undefined,
          scenarioTitle: g.scenarioTitle || undefined,
          dataType: g.dataType || undefined,
          dataTypeTitle: g.dataTypeTitle || undefined,
          category: g.category || undefined,
          ruleIds: ids,
          categories: cats,
          scale: {
            vehicles: g.vehicles.size,
            persons: g.persons.size,
            sensitivePersons: g.sensitivePersons.size,
            records: g.records,
            exportedBytes: g.exportedBytes,
            originalBytes: g.originalBytes,
          },
          recipients: sorted(g.recipients),
          purposes: sorted(g.purposes),
          filings: filings
            .filter((f) => (cats.length ? cats : [g.category]).some((c) => scopeCovers(f, c, ids)) && [...g.recipients].every((rc) => f.recipients.includes('*') || f.recipients.includes(rc)))
            .map((f) => f.filingId),
        }
      }),
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
  const incidents = []
  for (const r of incidentRows) {
    const history = (await store.incidentEventsOf(r.vehicleId, r.incidentId)).map(({ vehicleId: _v, incidentId: _i, ...e }) => e)
    const view = viewIncident(r, i.table, nowMs)
    // The regulator's copy counts the persons concerned; their pseudonyms stay at the backend.
    incidents.push({ ...view, scope: { ...view.scope, persons: { count: view.scope.persons.count } }, history })
  }

  const exportChain = chainLines(EMPTY_TIP, entries, nowMs)
  const incidentChain = chainLines(EMPTY_TIP, incidents, nowMs)
  const files: AuditFiles = {
    'summary.json': json(summary),
    'catalogue.json': json(catalogue),
    'export-log.jsonl': exportChain.lines.map((l) => `${serializeLine(l)}\n`).join(''),
    'export-log.csv': exportLogCsv(entries),
    'incidents.jsonl': incidentChain.lines.map((l) => `${serializeLine(l)}\n`).join(''),
    'filings.json': json({ filings: filings.map((f) => describeFiling(f, nowMs)) }),
  }
  const manifest = {
    format: AUDIT_FORMAT,
    generatedMs: nowMs,
    range,
    rulePack: { id: pack.id, version: pack.version },
    files: Object.fromEntries(auditFileNames.map((n) => [n, { sha256: sha256Hex(files[n]!), bytes: Buffer.byteLength(files[n]!) }])),
    chains: {
      'export-log.jsonl': { count: exportChain.lines.length, head: exportChain.tip.hash },
      'incidents.jsonl': { count: incidentChain.lines.length, head: incidentChain.tip.hash },
    },
    liveLogs: i.liveLogs ?? null,
    signer: { algorithm: 'Ed25519', keyId: i.signer.keyId, publicKeyPem: i.signer.publicKeyPem },
  }
  files['manifest.json'] = json(manifest)
  files['manifest.sig'] = `${Buffer.from(signBytes(i.signer.privateKeyPem, Buffer.from(files['manifest.json']!, 'utf8'))).toString('base64')}\n`
  return files
}

/** export-log.csv from entries (header + one row per entry). */
export function exportLogCsv(entries: readonly ExportLogEntry[]): string {
  return [exportLogColumns.join(','), ...entries.map(csvRow)].map((l) => `${l}\r\n`).join('')
}
