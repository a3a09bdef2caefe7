/**
 * PURE: the two texts the audit export writes per export record (entries.ts: the entry's
 * canonical JSON, exportLogEntryJson, and its CSV row, csvRow) written as UTF-8 BYTES, straight from a packed store
 * row and its decoded body into the buffers they are hashed and written from. No string is built
 * per record: the vehicle and record ids are copied from the page, numbers are written digit by
 * digit, and fields that repeat from record to record (recipient, destination, purpose,
 * categories, subject kinds…) are copied as the bytes of their last value. A year's export has
 * 1,000,000 records; building, flattening and encoding their strings was a fifth of each export
 * thread, plus the garbage collection of them.
 *
 * Byte for byte what exportLogEntryJson and csvRow give for exportLogEntry(row, body), encoded as
 * UTF-8 (line-encoder.test.ts checks that over arbitrary rows). Ids with bytes JSON would escape or
 * CSV would quote or guard, or that are not ASCII, are read as text and written as
 * JSON.stringify and csvField write them.
 */
import type { ExportRecord } from '../../shared/wire/index.ts'
import { type PackedRow, rowText } from '../store/record-pack.ts'
import { csvField, payloadKinds, quoteCsv } from './entries.ts'

/** A buffer being filled: bytes [0, at) are written. ensure() replaces `buf` with a larger one when needed. */
export interface Growable {
  buf: Buffer
  at: number
}

/**
 * Where the export writes each record's entry JSON and CSV row (exportPage, page-export.ts): the
 * encoder appends them at json.at and csv.at, then calls added(). A sink may hand out other
 * buffers after added() (json and csv are read again for every record).
 */
export interface LineSink {
  readonly json: Growable
  readonly csv: Growable
  /** One more record: its entry JSON ends at json.at, its CSV row (with CRLF) at csv.at. */
  added(): void
}

/**
 * Makes room for `n` more bytes at g.at (a larger buffer with the bytes so far, when needed).
 * @example ensure(g, 1024)
 */
export function ensure(g: Growable, n: number): void {
  if (g.at + n <= g.buf.length) return
  const grown = Buffer.allocUnsafeSlow(Math.max(g.buf.length * 2, g.at + n))
  g.buf.copy(grown, 0, 0, g.at)
  g.buf = grown
}

const utf8 = (s: string): Uint8Array => Buffer.from(s, 'utf8')

/** A value's bytes: in JSON with its key before, in CSV with its separator after. */
interface Encoded {
  json: Uint8Array
  csv: Uint8Array
}

/** How many values of a field a memo keeps encoded (fields take few values, often in turn). */
const MEMO_VALUES = 256
/** How many lists (or subject-kind maps) a memo compares before encoding one again. */
const MEMO_LISTS = 8

/**
 * A field's bytes for the values it had: in JSON with its key before (`,"destination":"…"`), in
 * CSV with the separator after (`…,`, the last column's CRLF). Values repeat, often in turn (three
 * recipients one after another): encoding one again would cost more than the rest of its line.
 */
class Memo implements Encoded {
  private key: string | undefined
  private readonly known = new Map<string, Encoded>()
  json: Uint8Array
  csv: Uint8Array
  constructor(
    private readonly jsonKey: string,
    private readonly csvEnd = ',',
  ) {
    this.json = utf8(`${jsonKey}""`)
    this.csv = utf8(csvEnd)
  }
  of(v: string): this {
    if (v === this.key) return this
    let e = this.known.get(v)
    if (!e) {
      if (this.known.size >= MEMO_VALUES) this.known.clear()
      e = { json: utf8(this.jsonKey + JSON.stringify(v)), csv: utf8(csvField(v) + this.csvEnd) }
      this.known.set(v, e)
    }
    this.key = v
    this.json = e.json
    this.csv = e.csv
    return this
  }
}

/** A list memo's entry: the list (or kinds and counts) and its bytes. */
interface Listed extends Encoded {
  items: readonly string[]
  counts: readonly number[]
}

/**
 * The last MEMO_LISTS lists a field had (or subject-kind maps: kinds with their counts), with
 * their bytes; the one that matches is moved to the front.
 */
class Recent {
  private readonly lists: Listed[] = []
  find(items: readonly string[], counts: readonly number[] | undefined, n: number): Listed | undefined {
    const lists = this.lists
    for (let j = 0; j < lists.length; j++) {
      const l = lists[j]!
      let same = l.items.length === n
      for (let i = 0; same && i < n; i++) same = items[i] === l.items[i] && (!counts || counts[i] === l.counts[i])
      if (same) {
        if (j > 0) {
          lists.splice(j, 1)
          lists.unshift(l)
        }
        return l
      }
    }
    return undefined
  }
  add(l: Listed): Listed {
    if (this.lists.length >= MEMO_LISTS) this.lists.pop()
    this.lists.unshift(l)
    return l
  }
}

/** As Memo, for a list of strings (JSON array; CSV items joined by `;`, quoted, not guarded). */
class ListMemo {
  private readonly recent = new Recent()
  constructor(private readonly jsonKey: string) {}
  of(a: readonly string[]): Encoded {
    return (
      this.recent.find(a, undefined, a.length) ??
      this.recent.add({ items: a.slice(), counts: [], json: utf8(this.jsonKey + JSON.stringify(a)), csv: utf8(`${quoteCsv(a.join(';'))},`) })
    )
  }
}

/** The subject kinds' map, as its JSON object and CSV `k=v;…` field, for kinds and their counts. */
class KindsMemo {
  private readonly recent = new Recent()
  of(kinds: readonly string[], counts: readonly number[], n: number): Encoded {
    const known = this.recent.find(kinds, counts, n)
    if (known) return known
    let json = '{'
    let csv = ''
    for (let k = 0; k < n; k++) {
      json += `${k ? ',' : ''}${JSON.stringify(kinds[k]!)}:${counts[k]}`
      csv += `${k ? ';' : ''}${kinds[k]}=${counts[k]}`
    }
    return this.recent.add({ items: kinds.slice(0, n), counts: counts.slice(0, n), json: utf8(`,"subjectKinds":${json}}`), csv: utf8(`${quoteCsv(csv)},`) })
  }
}

/** The keys before the numbers and ids of a line. */
const K = {
  cameraHours: utf8('{"cameraHours":'),
  cameraKm: utf8(',"cameraKm":'),
  exportedBytes: utf8(',"exportedBytes":'),
  exportedMs: utf8(',"exportedMs":'),
  originalBytes: utf8(',"originalBytes":'),
  policyVersion: utf8(',"policyVersion":'),
  receivedMs: utf8(',"receivedMs":'),
  recordId: utf8(',"recordId":"'),
  rowid: utf8(',"rowid":'),
  sensitiveSubjects: utf8(',"sensitiveSubjects":'),
  strippedItems: utf8(',"strippedItems":'),
  vehicleId: utf8(',"vehicleId":"'),
  year: utf8(',"year":'),
}
const NULL = utf8('null')
/** The most a number takes as text (-1.2345678901234567e-300). */
const NUMBER_MAX = 26
/** The JSON keys, commas and quotes of a line, and the CSV commas and CRLF of a row: a bound. */
const FIXED = Object.values(K).reduce((n, k) => n + k.length, 0) + 64

function put(b: Buffer, at: number, src: Uint8Array): number {
  b.set(src, at)
  return at + src.length
}

/** A number as `${n}` writes it (JSON: non-finite numbers as null, as JSON.stringify does). */
function putNumber(b: Buffer, at: number, n: number, json: boolean): number {
  if (Number.isInteger(n) && n < 9007199254740992 && n > -9007199254740992) {
    if (n < 0) {
      b[at++] = 45
      n = -n
    }
    if (n < 10) {
      b[at] = 48 + n
      return at + 1
    }
    let len = 1
    for (let x = n; x >= 10; x = Math.floor(x / 10)) len++
    for (let k = at + len - 1; k >= at; k--) {
      const q = Math.floor(n / 10)
      b[k] = 48 + (n - q * 10)
      n = q
    }
    return at + len
  }
  if (json && !Number.isFinite(n)) return put(b, at, NULL)
  return at + b.write(String(n), at, 'latin1')
}

/** Bits of what an id's bytes need: JSON escaping or text decoding (1), CSV quoting or guarding (2). */
function idNeeds(page: Buffer, s: number, e: number): number {
  let needs = 0
  if (s < e) {
    const c = page[s]!
    if (c === 61 || c === 43 || c === 45 || c === 64) needs |= 2
  }
  for (let k = s; k < e; k++) {
    const c = page[k]!
    if (c < 32 || c >= 128) return 3
    if (c === 34) return 3
    if (c === 92) needs |= 1
    else if (c === 44) needs |= 2
  }
  return needs
}

/**
 * Writes entry JSON and CSV rows as exportLogEntryJson and csvRow would, as bytes.
 * @example const enc = new LineEncoder(); enc.encode(row, decodeAuditBody(row.body), json, csv)
 */
export class LineEncoder {
  private readonly memo = {
    destination: new Memo(',"destination":'),
    purpose: new Memo(',"purpose":'),
    payloadKind: new Memo(',"payloadKind":'),
    exemption: new Memo(',"exemption":'),
    rulePackVersion: new Memo(',"rulePackVersion":'),
    leaseId: new Memo(',"leaseId":', '\r\n'),
    recipient: new Memo(',"recipient":'),
    categories: new ListMemo(',"categories":'),
    ruleIds: new ListMemo(',"ruleIds":'),
    kinds: new KindsMemo(),
  }
  private readonly kinds: string[] = []
  private readonly counts: number[] = []

  /**
   * Appends the entry JSON of `row` (r: its decoded body, undefined when absent or undecodable)
   * to `json` and its CSV row with its CRLF to `csv`.
   */
  encode(row: PackedRow, r: ExportRecord | undefined, json: Growable, csv: Growable): void {
    // Subject kinds in key order (UTF-16 code units), as csvField and canonical JSON write the map.
    const kinds = this.kinds
    const counts = this.counts
    let n = 0
    let sensitive = 0
    if (r) {
      const subjects = r.subjects
      for (let k = 0; k < subjects.length; k++) {
        const subj = subjects[k]!
        if (subj.sensitive) sensitive++
        let at = 0
        while (at < n && kinds[at] !== subj.kind) at++
        if (at === n) {
          // Insert in order.
          let i = n++
          while (i > 0 && kinds[i - 1]! > subj.kind) {
            kinds[i] = kinds[i - 1]!
            counts[i] = counts[i - 1]!
            i--
          }
          kinds[i] = subj.kind
          counts[i] = 1
        } else counts[at]!++
      }
    }
    const m = this.memo
    const subjectKinds = m.kinds.of(kinds, counts, n)
    const destination = m.destination.of(r?.destination ?? '')
    const purpose = m.purpose.of(r?.purpose ?? '')
    const payloadKind = m.payloadKind.of(payloadKinds[r?.kind ?? 0] ?? 'unspecified')
    const categories = m.categories.of(r?.categories ?? [])
    const ruleIds = m.ruleIds.of(r?.ruleIds ?? [])
    const originalBytes = Number(r?.originalBytes ?? 0)
    const exportedBytes = Number(r?.exportedBytes ?? 0)
    const strippedItems = r?.strippedItems ?? 0
    const ex = r?.exemption?.exemption
    const exemption = m.exemption.of(ex ? `E${ex}` : '')
    const cameraKm = r?.cameraKm ?? 0
    const cameraHours = r?.cameraHours ?? 0
    const rulePackVersion = m.rulePackVersion.of(r?.rulePackVersion ?? '')
    const policyVersion = Number(r?.policyVersion ?? 0)
    const leaseId = m.leaseId.of(r?.leaseId ?? '')
    const recipient = m.recipient.of(row.recipient)

    const page = row.page
    const vNeeds = idNeeds(page, row.vehicleStart, row.vehicleEnd)
    const rNeeds = idNeeds(page, row.recordStart, row.recordEnd)
    // The ids as text when their bytes cannot be copied (escaped, quoted or guarded).
    const vehicleText = vNeeds ? rowText(row, row.vehicleStart, row.vehicleEnd) : ''
    const recordText = rNeeds ? rowText(row, row.recordStart, row.recordEnd) : ''
    const memoBytes =
      subjectKinds.json.length + destination.json.length + purpose.json.length + payloadKind.json.length + categories.json.length + ruleIds.json.length +
      exemption.json.length + rulePackVersion.json.length + leaseId.json.length + recipient.json.length
    const memoCsv =
      subjectKinds.csv.length + destination.csv.length + purpose.csv.length + payloadKind.csv.length + categories.csv.length + ruleIds.csv.length +
      exemption.csv.length + rulePackVersion.csv.length + leaseId.csv.length + recipient.csv.length
    // An id byte becomes at most 6 bytes (\u00XX, or U+FFFD for a byte that is not UTF-8).
    const ids = 6 * (row.vehicleEnd - row.vehicleStart + row.recordEnd - row.recordStart) + 8
    ensure(json, FIXED + memoBytes + ids + 12 * NUMBER_MAX)
    ensure(csv, FIXED + memoCsv + ids + 12 * NUMBER_MAX)

    let b = json.buf
    let p = json.at
    p = put(b, p, K.cameraHours)
    p = putNumber(b, p, cameraHours, true)
    p = put(b, p, K.cameraKm)
    p = putNumber(b, p, cameraKm, true)
    p = put(b, p, categories.json)
    p = put(b, p, destination.json)
    p = put(b, p, exemption.json)
    p = put(b, p, K.exportedBytes)
    p = putNumber(b, p, exportedBytes, true)
    p = put(b, p, K.exportedMs)
    p = putNumber(b, p, row.exportedMs, true)
    p = put(b, p, leaseId.json)
    p = put(b, p, K.originalBytes)
    p = putNumber(b, p, originalBytes, true)
    p = put(b, p, payloadKind.json)
    p = put(b, p, K.policyVersion)
    p = putNumber(b, p, policyVersion, true)
    p = put(b, p, purpose.json)
    p = put(b, p, K.receivedMs)
    p = putNumber(b, p, row.receivedMs, true)
    p = put(b, p, recipient.json)
    p = this.jsonId(b, p, K.recordId, page, row.recordStart, row.recordEnd, rNeeds, recordText)
    p = put(b, p, K.rowid)
    p = putNumber(b, p, row.rowid, true)
    p = put(b, p, ruleIds.json)
    p = put(b, p, rulePackVersion.json)
    p = put(b, p, K.sensitiveSubjects)
    p = putNumber(b, p, sensitive, true)
    p = put(b, p, K.strippedItems)
    p = putNumber(b, p, strippedItems, true)
    p = put(b, p, subjectKinds.json)
    p = this.jsonId(b, p, K.vehicleId, page, row.vehicleStart, row.vehicleEnd, vNeeds, vehicleText)
    p = put(b, p, K.year)
    p = putNumber(b, p, row.year, true)
    b[p++] = 125 // }
    json.at = p

    // CSV: the memos bring their separators.
    b = csv.buf
    p = csv.at
    p = putNumber(b, p, row.rowid, false)
    b[p++] = 44
    p = this.csvId(b, p, page, row.vehicleStart, row.vehicleEnd, vNeeds, vehicleText)
    b[p++] = 44
    p = this.csvId(b, p, page, row.recordStart, row.recordEnd, rNeeds, recordText)
    b[p++] = 44
    p = putNumber(b, p, row.year, false)
    b[p++] = 44
    p = putNumber(b, p, row.exportedMs, false)
    b[p++] = 44
    p = putNumber(b, p, row.receivedMs, false)
    b[p++] = 44
    p = put(b, p, recipient.csv)
    p = put(b, p, destination.csv)
    p = put(b, p, purpose.csv)
    p = put(b, p, payloadKind.csv)
    p = put(b, p, categories.csv)
    p = put(b, p, ruleIds.csv)
    p = put(b, p, subjectKinds.csv)
    p = putNumber(b, p, sensitive, false)
    b[p++] = 44
    p = putNumber(b, p, originalBytes, false)
    b[p++] = 44
    p = putNumber(b, p, exportedBytes, false)
    b[p++] = 44
    p = putNumber(b, p, strippedItems, false)
    b[p++] = 44
    p = put(b, p, exemption.csv)
    p = putNumber(b, p, cameraKm, false)
    b[p++] = 44
    p = putNumber(b, p, cameraHours, false)
    b[p++] = 44
    p = put(b, p, rulePackVersion.csv)
    p = putNumber(b, p, policyVersion, false)
    b[p++] = 44
    p = put(b, p, leaseId.csv)
    csv.at = p
  }

  /** An id in JSON after its key (`,"recordId":"` with the opening quote), closing quote included. */
  private jsonId(b: Buffer, p: number, key: Uint8Array, page: Buffer, s: number, e: number, needs: number, text: string): number {
    p = put(b, p, key)
    if (needs & 1) return p - 1 + b.write(JSON.stringify(text), p - 1, 'utf8')
    for (let k = s; k < e; k++) b[p++] = page[k]!
    b[p++] = 34
    return p
  }

  private csvId(b: Buffer, p: number, page: Buffer, s: number, e: number, needs: number, text: string): number {
    if (needs) return p + b.write(csvField(text), p, 'utf8')
    for (let k = s; k < e; k++) b[p++] = page[k]!
    return p
  }
}
