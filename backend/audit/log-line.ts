/**
 * PURE: the two texts the audit export writes per export record, built straight from the stored
 * row and its decoded body: the entry's canonical JSON (exactly exportLogEntryJson(exportLogEntry(s, r)))
 * and its CSV row (exactly csvRow(exportLogEntry(s, r))). No entry object, no JSON.stringify of
 * objects, no per-field type dispatch. Strings that JSON would escape, or that CSV would quote or
 * guard, take the generic path. The export itself writes these texts as bytes (line-encoder.ts,
 * which uses the helpers here); exportLogTexts is its reference, tested against both.
 */
import type { ExportRecord } from '../../shared/wire/index.ts'
import type { StoredRecord } from '../store/types.ts'

/** Names of the payload kinds, by their wire number. */
export const payloadKinds = ['unspecified', 'telemetry', 'diagnostic', 'ota', 'media', 'opaque']

// Characters JSON.stringify escapes (controls, quote, backslash) or rewrites (lone surrogates).
const jsonSpecial = /["\\\u0000-\u001f\ud800-\udfff]/
/** A JSON string literal, as JSON.stringify writes it. */
export const jsonString = (s: string): string => (jsonSpecial.test(s) ? JSON.stringify(s) : `"${s}"`)
const js = jsonString
/** A JSON number, as JSON.stringify writes it (non-finite numbers are null). */
const jn = (n: number): string => (Number.isFinite(n) ? `${n}` : 'null')

/** A JSON array of strings, as JSON.stringify writes it. */
export function jsonList(a: readonly string[]): string {
  if (a.length === 0) return '[]'
  let out = `[${js(a[0]!)}`
  for (let k = 1; k < a.length; k++) out += `,${js(a[k]!)}`
  return `${out}]`
}

const needsQuotes = /[",\r\n]/
/** RFC 4180 quoting of a CSV field, when it needs it. */
export const quoteCsv = (s: string): string => (needsQuotes.test(s) ? `"${s.replace(/"/g, '""')}"` : s)
const quote = quoteCsv
/** A CSV field of a string (formula guard, then RFC 4180 quoting), as entries.ts csvField writes it. */
export function csvString(v: string): string {
  const c = v.charCodeAt(0)
  return quote(c === 61 || c === 43 || c === 45 || c === 64 ? `'${v}` : v)
}
const cs = csvString

/**
 * The JSON and CSV texts of the last value a field had: most fields (destination, purpose,
 * recipient, categories, …) repeat from record to record, and comparing two short strings is
 * cheaper than escaping one.
 */
class Memo {
  private key: string | undefined
  json = ''
  csv = ''
  of(v: string): this {
    if (v !== this.key) {
      this.key = v
      this.json = js(v)
      this.csv = cs(v)
    }
    return this
  }
}

/** As Memo, for a list of strings (JSON array; CSV items joined by `;`, quoted, not guarded). */
class ListMemo {
  private key: readonly string[] = []
  json = '[]'
  csv = ''
  of(a: readonly string[]): this {
    const k = this.key
    let same = a.length === k.length
    for (let i = 0; same && i < a.length; i++) same = a[i] === k[i]
    if (!same) {
      this.key = a.slice()
      this.json = jsonList(a)
      this.csv = quote(a.join(';'))
    }
    return this
  }
}

const memo = {
  destination: new Memo(),
  purpose: new Memo(),
  payloadKind: new Memo(),
  exemption: new Memo(),
  rulePackVersion: new Memo(),
  leaseId: new Memo(),
  recipient: new Memo(),
  categories: new ListMemo(),
  ruleIds: new ListMemo(),
}

/** The texts of one export-log entry. */
export interface ExportLogTexts {
  /** Canonical JSON of the entry (the chained line's `entry`). */
  json: string
  /** The CSV row, without its line break. */
  csv: string
}

/**
 * The entry JSON and CSV row of a stored record (r: its decoded body, undefined when absent or
 * undecodable), byte for byte what exportLogEntryJson and csvRow give for exportLogEntry(s, r).
 * @example const { json, csv } = exportLogTexts(stored, decodeRecordBody(stored.body))
 */
export function exportLogTexts(s: StoredRecord, r: ExportRecord | undefined): ExportLogTexts {
  // Subject kinds in key order, as countsJson and csvField write a map. Usually two kinds.
  let kinds: string[] = []
  let counts: number[] = []
  let sensitive = 0
  if (r) {
    const subjects = r.subjects
    for (let k = 0; k < subjects.length; k++) {
      const subj = subjects[k]!
      if (subj.sensitive) sensitive++
      const at = kinds.indexOf(subj.kind)
      if (at === -1) {
        kinds.push(subj.kind)
        counts.push(1)
      } else counts[at]!++
    }
    if (kinds.length > 1) {
      const order = kinds.map((_, k) => k)
      // Sorted as Object.keys(…).sort() sorts: by UTF-16 code units.
      order.sort((a, b) => (kinds[a]! < kinds[b]! ? -1 : kinds[a]! > kinds[b]! ? 1 : 0))
      kinds = order.map((k) => kinds[k]!)
      counts = order.map((k) => counts[k]!)
    }
  }
  let kindsJson = '{'
  let kindsCsv = ''
  for (let k = 0; k < kinds.length; k++) {
    kindsJson += `${k ? ',' : ''}${js(kinds[k]!)}:${counts[k]}`
    kindsCsv += `${k ? ';' : ''}${kinds[k]}=${counts[k]}`
  }
  kindsJson += '}'

  const destination = memo.destination.of(r?.destination ?? '')
  const purpose = memo.purpose.of(r?.purpose ?? '')
  const payloadKind = memo.payloadKind.of(payloadKinds[r?.kind ?? 0] ?? 'unspecified')
  const categories = memo.categories.of(r?.categories ?? [])
  const ruleIds = memo.ruleIds.of(r?.ruleIds ?? [])
  const originalBytes = Number(r?.originalBytes ?? 0)
  const exportedBytes = Number(r?.exportedBytes ?? 0)
  const strippedItems = r?.strippedItems ?? 0
  const ex = r?.exemption?.exemption
  const exemption = memo.exemption.of(ex ? `E${ex}` : '')
  const cameraKm = r?.cameraKm ?? 0
  const cameraHours = r?.cameraHours ?? 0
  const rulePackVersion = memo.rulePackVersion.of(r?.rulePackVersion ?? '')
  const policyVersion = Number(r?.policyVersion ?? 0)
  const leaseId = memo.leaseId.of(r?.leaseId ?? '')
  const recipient = memo.recipient.of(s.recipient)

  const json =
    `{"cameraHours":${jn(cameraHours)},"cameraKm":${jn(cameraKm)},"categories":${categories.json},"destination":${destination.json},` +
    `"exemption":${exemption.json},"exportedBytes":${jn(exportedBytes)},"exportedMs":${jn(s.exportedMs)},"leaseId":${leaseId.json},` +
    `"originalBytes":${jn(originalBytes)},"payloadKind":${payloadKind.json},"policyVersion":${jn(policyVersion)},"purpose":${purpose.json},` +
    `"receivedMs":${jn(s.receivedMs)},"recipient":${recipient.json},"recordId":${js(s.recordId)},"rowid":${jn(s.rowid)},` +
    `"ruleIds":${ruleIds.json},"rulePackVersion":${rulePackVersion.json},"sensitiveSubjects":${sensitive},"strippedItems":${jn(strippedItems)},` +
    `"subjectKinds":${kindsJson},"vehicleId":${js(s.vehicleId)},"year":${jn(s.year)}}`
  const csv =
    `${s.rowid},${cs(s.vehicleId)},${cs(s.recordId)},${s.year},${s.exportedMs},${s.receivedMs},${recipient.csv},${destination.csv},` +
    `${purpose.csv},${payloadKind.csv},${categories.csv},${ruleIds.csv},${quote(kindsCsv)},${sensitive},` +
    `${originalBytes},${exportedBytes},${strippedItems},${exemption.csv},${cameraKm},${cameraHours},${rulePackVersion.csv},${policyVersion},${leaseId.csv}`
  return { json, csv }
}
