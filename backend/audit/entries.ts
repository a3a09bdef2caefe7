/**
 * PURE: what the export log says about one ingested export record. Metadata only: who, when, to
 * whom, for what, which categories and rules, how many subjects of each kind, sizes. Never a
 * payload, never a subject pseudonym (the catalogue counts them), never a raw identifier.
 */
import { filingKindNames } from '../measure/filings.ts'
import type { ExportRecord } from '../../shared/wire/index.ts'
import type { StoredRecord } from '../store/types.ts'
import type { NameTable } from './name-table.ts'
import { type AuditRecord, decodeAuditRecord, decodeRecord } from './record-codec.ts'

/** One export-log entry. */
export interface ExportLogEntry {
  /** Store insertion order (the live log's cursor). */
  rowid: number
  vehicleId: string
  recordId: string
  year: number
  exportedMs: number
  receivedMs: number
  recipient: string
  destination: string
  purpose: string
  payloadKind: string
  categories: string[]
  ruleIds: string[]
  /** Subjects per identifier kind (e.g. { vin: 1, phone: 2 }). */
  subjectKinds: Record<string, number>
  sensitiveSubjects: number
  originalBytes: number
  exportedBytes: number
  strippedItems: number
  exemption: string
  cameraKm: number
  cameraHours: number
  rulePackVersion: string
  policyVersion: number
  leaseId: string
}

/** Names of the payload kinds, by their wire number. */
export const payloadKinds: readonly string[] = ['unspecified', 'telemetry', 'diagnostic', 'ota', 'media', 'opaque']

/** Decodes a stored record body (undefined when absent or undecodable). */
export function decodeRecordBody(body: Uint8Array | null): ExportRecord | undefined {
  if (!body) return undefined
  try {
    return decodeRecord(body)
  } catch {
    return undefined
  }
}

/**
 * decodeRecordBody for the audit export's hot loop (record-codec.ts decodeAuditRecord): the
 * fields exportLogEntry and the catalogue read, not the ids the store's columns give; given the
 * catalogue's table, pseudonyms come as ids there.
 */
export function decodeAuditBody(body: Uint8Array | null, persons?: NameTable): AuditRecord | undefined {
  if (!body) return undefined
  try {
    return decodeAuditRecord(body, persons)
  } catch {
    return undefined
  }
}

/**
 * The export-log entry of a stored record.
 * @example exportLogEntry(storedRecord).categories
 */
export function exportLogEntry(s: StoredRecord, r: ExportRecord | undefined = decodeRecordBody(s.body)): ExportLogEntry {
  // Counted in a Map: a kind named like an Object.prototype member ("toString", "__proto__") is
  // a kind like any other.
  const counted = new Map<string, number>()
  let sensitive = 0
  for (const subj of r?.subjects ?? []) {
    counted.set(subj.kind, (counted.get(subj.kind) ?? 0) + 1)
    if (subj.sensitive) sensitive++
  }
  const kinds: Record<string, number> = Object.fromEntries(counted)
  const ex = r?.exemption?.exemption
  return {
    rowid: s.rowid,
    vehicleId: s.vehicleId,
    recordId: s.recordId,
    year: s.year,
    exportedMs: s.exportedMs,
    receivedMs: s.receivedMs,
    recipient: s.recipient,
    destination: r?.destination ?? '',
    purpose: r?.purpose ?? '',
    payloadKind: payloadKinds[r?.kind ?? 0] ?? 'unspecified',
    categories: r?.categories ?? [],
    ruleIds: r?.ruleIds ?? [],
    subjectKinds: kinds,
    sensitiveSubjects: sensitive,
    originalBytes: Number(r?.originalBytes ?? 0),
    exportedBytes: Number(r?.exportedBytes ?? 0),
    strippedItems: r?.strippedItems ?? 0,
    exemption: ex ? `E${ex}` : '',
    cameraKm: r?.cameraKm ?? 0,
    cameraHours: r?.cameraHours ?? 0,
    rulePackVersion: r?.rulePackVersion ?? '',
    policyVersion: Number(r?.policyVersion ?? 0),
    leaseId: r?.leaseId ?? '',
  }
}

/** Columns of export-log.csv, in order. */
export const exportLogColumns: readonly (keyof ExportLogEntry)[] = [
  'rowid',
  'vehicleId',
  'recordId',
  'year',
  'exportedMs',
  'receivedMs',
  'recipient',
  'destination',
  'purpose',
  'payloadKind',
  'categories',
  'ruleIds',
  'subjectKinds',
  'sensitiveSubjects',
  'originalBytes',
  'exportedBytes',
  'strippedItems',
  'exemption',
  'cameraKm',
  'cameraHours',
  'rulePackVersion',
  'policyVersion',
  'leaseId',
]

const needsQuotes = /[",\r\n]/
/** RFC 4180 quoting of a CSV field, when it needs it. */
export const quoteCsv = (s: string): string => (needsQuotes.test(s) ? `"${s.replace(/"/g, '""')}"` : s)

/** One CSV field (RFC 4180 quoting; lists joined by `;`, maps as k=v;… in key order). Exported as the tests' reference for csvRow's memo. */
export function csvField(v: unknown): string {
  // Numbers and plain strings first: nearly every field of every row.
  if (typeof v === 'number') return String(v)
  if (typeof v === 'string') {
    // A leading = + - @ would be a formula in a spreadsheet: quote it with a leading apostrophe.
    const c = v.charCodeAt(0)
    return quoteCsv(c === 61 || c === 43 || c === 45 || c === 64 ? `'${v}` : v)
  }
  let s: string
  if (Array.isArray(v)) s = v.join(';')
  else if (v && typeof v === 'object')
    s = Object.keys(v)
      .sort()
      .map((k) => `${k}=${String((v as Record<string, unknown>)[k])}`)
      .join(';')
  else s = String(v)
  return quoteCsv(s)
}

/**
 * csvField of the last value a column had, reused while the column repeats it (most columns do,
 * row after row: recipient, destination, purpose, categories, subject kinds…): comparing a
 * short string, list or map of counts with the last one is cheaper than quoting it again.
 */
class CsvMemo {
  private str: string | undefined
  private list: unknown[] | undefined
  private map: Record<string, unknown> | undefined
  private keys: string[] = []
  private out = ''
  of(v: unknown): string {
    if (typeof v === 'number') return String(v)
    if (typeof v === 'string') {
      if (v !== this.str) {
        this.str = v
        this.list = this.map = undefined
        this.out = csvField(v)
      }
      return this.out
    }
    if (Array.isArray(v)) {
      const k = this.list
      let same = k !== undefined && k.length === v.length
      for (let i = 0; same && i < v.length; i++) same = typeof v[i] === 'string' && v[i] === k![i]
      if (!same) {
        this.list = v.slice()
        this.str = this.map = undefined
        this.out = csvField(v)
      }
      return this.out
    }
    if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
      const m = v as Record<string, unknown>
      const last = this.map
      let same = last !== undefined
      let n = 0
      if (same)
        for (const key in m) {
          const x = m[key]
          if (n >= this.keys.length || this.keys[n] !== key || (typeof x !== 'number' && typeof x !== 'string') || x !== last![key]) {
            same = false
            break
          }
          n++
        }
      if (!same || n !== this.keys.length) {
        this.keys = Object.keys(m)
        this.map = { ...m }
        this.str = this.list = undefined
        this.out = csvField(v)
      }
      return this.out
    }
    return csvField(v)
  }
}

const memo = exportLogColumns.map(() => new CsvMemo())
const [m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15, m16, m17, m18, m19, m20, m21, m22] = memo as [CsvMemo, ...CsvMemo[]] as CsvMemo[]

/** A CSV row of an entry (without the line break), fields in exportLogColumns order. */
export function csvRow(e: ExportLogEntry): string {
  // Unrolled (named property loads are monomorphic, a keyed loop is not): 1,000,000 rows a year.
  return (
    `${m0!.of(e.rowid)},${m1!.of(e.vehicleId)},${m2!.of(e.recordId)},${m3!.of(e.year)},${m4!.of(e.exportedMs)},` +
    `${m5!.of(e.receivedMs)},${m6!.of(e.recipient)},${m7!.of(e.destination)},${m8!.of(e.purpose)},${m9!.of(e.payloadKind)},` +
    `${m10!.of(e.categories)},${m11!.of(e.ruleIds)},${m12!.of(e.subjectKinds)},${m13!.of(e.sensitiveSubjects)},${m14!.of(e.originalBytes)},` +
    `${m15!.of(e.exportedBytes)},${m16!.of(e.strippedItems)},${m17!.of(e.exemption)},${m18!.of(e.cameraKm)},${m19!.of(e.cameraHours)},` +
    `${m20!.of(e.rulePackVersion)},${m21!.of(e.policyVersion)},${m22!.of(e.leaseId)}`
  )
}

/** Canonical JSON of a map of counts (keys sorted, undefined values dropped). */
function countsJson(m: Record<string, number>): string {
  let out = '{'
  for (const k of Object.keys(m).sort()) {
    const v = m[k]
    if (v === undefined) continue
    out += `${out.length > 1 ? ',' : ''}${JSON.stringify(k)}:${JSON.stringify(v)}`
  }
  return `${out}}`
}

/** The keys exportLogEntryJson writes, in its (canonical) order. */
const canonicalOrder = ['cameraHours', 'cameraKm', 'categories', 'destination', 'exemption', 'exportedBytes', 'exportedMs', 'leaseId', 'originalBytes', 'payloadKind', 'policyVersion', 'purpose', 'receivedMs', 'recipient', 'recordId', 'rowid', 'ruleIds', 'rulePackVersion', 'sensitiveSubjects', 'strippedItems', 'subjectKinds', 'vehicleId', 'year']
if (canonicalOrder.join() !== [...exportLogColumns].sort().join()) throw new Error('entries.ts: exportLogEntryJson does not write the columns of ExportLogEntry in sorted order')
const csvOrder: (keyof ExportLogEntry)[] = ['rowid', 'vehicleId', 'recordId', 'year', 'exportedMs', 'receivedMs', 'recipient', 'destination', 'purpose', 'payloadKind', 'categories', 'ruleIds', 'subjectKinds', 'sensitiveSubjects', 'originalBytes', 'exportedBytes', 'strippedItems', 'exemption', 'cameraKm', 'cameraHours', 'rulePackVersion', 'policyVersion', 'leaseId']
if (csvOrder.join() !== exportLogColumns.join()) throw new Error('entries.ts: csvRow does not write exportLogColumns in order')

/**
 * The canonical JSON (shared/hash-chain.ts canonicalJson: keys sorted, no whitespace) of an entry
 * built by exportLogEntry, without the generic sort-and-copy: the export's hot loop. One
 * JSON.stringify of an object literal whose keys are already in sorted order; subjectKinds (whose
 * keys vary) is written separately.
 * @example exportLogEntryJson(e) === canonicalJson(e)
 */
export function exportLogEntryJson(e: ExportLogEntry): string {
  const head = JSON.stringify({
    cameraHours: e.cameraHours,
    cameraKm: e.cameraKm,
    categories: e.categories,
    destination: e.destination,
    exemption: e.exemption,
    exportedBytes: e.exportedBytes,
    exportedMs: e.exportedMs,
    leaseId: e.leaseId,
    originalBytes: e.originalBytes,
    payloadKind: e.payloadKind,
    policyVersion: e.policyVersion,
    purpose: e.purpose,
    receivedMs: e.receivedMs,
    recipient: e.recipient,
    recordId: e.recordId,
    rowid: e.rowid,
    ruleIds: e.ruleIds,
    rulePackVersion: e.rulePackVersion,
    sensitiveSubjects: e.sensitiveSubjects,
    strippedItems: e.strippedItems,
  })
  return `${head.slice(0, -1)},"subjectKinds":${countsJson(e.subjectKinds)},"vehicleId":${JSON.stringify(e.vehicleId)},"year":${JSON.stringify(e.year)}}`
}

/** Name of a filing kind (for the catalogue). */
export const kindName = (kind: number): string => filingKindNames[kind] ?? 'unspecified'
