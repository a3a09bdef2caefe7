/**
 * PURE: a page of export records read as ONE blob instead of one row object per record. The
 * node-sqlite3-wasm wrapper costs about a microsecond per column of every row (a call into the
 * WebAssembly module, a BigInt per integer, a string conversion per text); a year's audit export
 * reads 1,000,000 rows of 8 columns. Here SQLite packs each row into bytes itself and
 * group_concat joins a page of them, so the wrapper converts one value per page.
 *
 * A packed row is ASCII decimal header fields, each followed by one space:
 *   rowid year exported_ms received_ms len(vehicle_id) len(record_id) len(recipient) len(body)
 * (lengths in bytes; len(body) is -1 for a NULL body), then vehicle_id, record_id, recipient and
 * body, back to back. Rows come in rowid order. unpackRecords checks every length against the
 * bytes it has and throws on anything else, so a mis-read page cannot pass silently.
 */
import { AdxError } from '../../shared/errors.ts'
import type { StoredRecord } from './types.ts'

/**
 * The query: parameters (after rowid, fromMs, toMs, limit); one row with `n` (rows packed), `last`
 * (their highest rowid) and `packed` (the blob, NULL when n is 0).
 *
 * group_concat takes the rows in the order the inner query gives them, rowid order (its ORDER BY
 * rowid with LIMIT is a scan of the table's rowid tree). An `ORDER BY` inside group_concat would
 * say so explicitly but sorts every page again: 40 % of the whole read. eachPackedRecord checks
 * that every page's rowids ascend, so a SQLite that concatenated in another order would fail the
 * export loudly (ADX_ERR_STORE), never write it out of order; record-pack.test.ts pins the order.
 * octet_length is the byte length without a cast (a BLOB body's length, a TEXT value's UTF-8 bytes).
 */
export const PACKED_RECORDS_SQL = `
  SELECT count(*) AS n, max(rid) AS last, CAST(group_concat(p, '') AS BLOB) AS packed FROM (
    SELECT rowid AS rid, CAST(
      printf('%d %d %d %d %d %d %d %d ', rowid, year, exported_ms, received_ms,
        octet_length(vehicle_id), octet_length(record_id), octet_length(recipient), coalesce(octet_length(body), -1))
      || vehicle_id || record_id || recipient || coalesce(body, x'') AS BLOB) AS p
    FROM records WHERE rowid > ? AND exported_ms >= ? AND exported_ms < ? ORDER BY rowid LIMIT ?)`

/** A packed page that does not parse (a bug or an unexpected column type, never data). */
const malformed = (what: string) => new AdxError('ADX_ERR_STORE', `packed record page: ${what}`)

/** Buffer's own latin1 decoder (what toString('latin1') calls, without its argument checks). */
type Latin1 = Buffer & { latin1Slice(s: number, e: number): string }

/** Reads bytes [s, e) as text: latin1 when all ASCII (the common case, cheapest), else UTF-8. */
function text(b: Latin1, s: number, e: number): string {
  for (let k = s; k < e; k++) if (b[k]! >= 128) return b.toString('utf8', s, e)
  return b.latin1Slice(s, e)
}

/**
 * One row of a packed page, its vehicle and record ids left as bytes of the page (the audit
 * export writes them into its lines as bytes; rowText makes them strings when needed).
 */
export interface PackedRow {
  rowid: number
  year: number
  exportedMs: number
  receivedMs: number
  /** The page: the row's ids are page[vehicleStart, vehicleEnd) and page[recordStart, recordEnd), UTF-8. */
  page: Buffer
  vehicleStart: number
  vehicleEnd: number
  recordStart: number
  recordEnd: number
  /** Repeats from row to row: one string while it does. */
  recipient: string
  /** A view into the page (null: no body). */
  body: Buffer | null
}

/**
 * The text of bytes [start, end) of a row's page (its vehicle or record id).
 * @example rowText(row, row.vehicleStart, row.vehicleEnd)
 */
export function rowText(row: PackedRow, start: number, end: number): string {
  return text(row.page as Latin1, start, end)
}

/**
 * Calls `fn` with each row of a packed page, in order, reusing ONE row object: `fn` must not keep
 * it (its recipient and body it may). No array of the page's rows is built and no string is made
 * for the ids, so a long scan leaves the garbage collector little.
 * @throws AdxError ADX_ERR_STORE when the bytes are not `count` well-formed packed rows (possibly
 * after `fn` saw the rows before the fault).
 * @example eachPackedRow(page.packed, page.count, (row) => console.log(row.rowid))
 */
export function eachPackedRow(packed: Uint8Array | null, count: number, fn: (row: PackedRow) => void): void {
  if (count === 0) return
  if (!packed) throw malformed(`${count} rows but no bytes`)
  const b = (Buffer.isBuffer(packed) ? packed : Buffer.from(packed.buffer, packed.byteOffset, packed.byteLength)) as Latin1
  const head: number[] = [0, 0, 0, 0, 0, 0, 0, 0]
  const row: PackedRow = { rowid: 0, year: 0, exportedMs: 0, receivedMs: 0, page: b, vehicleStart: 0, vehicleEnd: 0, recordStart: 0, recordEnd: 0, recipient: '', body: null }
  // The recipient repeats from row to row: its last bytes and string.
  let lastRecipient = ''
  let lastAt = -1
  let lastLen = -1
  let pos = 0
  let prev = -Infinity
  for (let i = 0; i < count; i++) {
    for (let f = 0; f < 8; f++) {
      let neg = false
      if (b[pos] === 45) {
        neg = true
        pos++
      }
      const start = pos
      let v = 0
      for (let c = b[pos]; c !== undefined && c >= 48 && c <= 57; c = b[++pos]) v = v * 10 + (c - 48)
      // More than 15 digits may not be exact through the arithmetic above: let Number parse them.
      if (pos - start > 15) v = Number(b.latin1Slice(start, pos))
      if (pos === start || b[pos] !== 32) throw malformed(`row ${i}: header field ${f} malformed`)
      pos++
      head[f] = neg ? -v : v
    }
    const [rowid, year, exportedMs, receivedMs, lv, lr, lc, lb] = head as [number, number, number, number, number, number, number, number]
    if (lv < 0 || lr < 0 || lc < 0 || lb < -1 || pos + lv + lr + lc + Math.max(lb, 0) > b.length) throw malformed(`row ${i}: lengths past the page`)
    if (rowid <= prev) throw malformed(`row ${i}: rowid ${rowid} out of order`)
    prev = rowid
    row.rowid = rowid
    row.year = year
    row.exportedMs = exportedMs
    row.receivedMs = receivedMs
    row.vehicleStart = pos
    row.vehicleEnd = pos += lv
    row.recordStart = pos
    row.recordEnd = pos += lr
    let same = lc === lastLen
    for (let k = 0; same && k < lc; k++) same = b[pos + k] === b[lastAt + k]
    if (!same) {
      lastRecipient = text(b, pos, pos + lc)
      lastAt = pos
      lastLen = lc
    }
    row.recipient = lastRecipient
    pos += lc
    row.body = lb >= 0 ? b.subarray(pos, (pos += lb)) : null
    fn(row)
  }
  if (pos !== b.length) throw malformed(`${b.length - pos} bytes left after ${count} rows`)
}

/**
 * Calls `fn` with each record of a packed page, in order, as recordsAfter gives them (bodies are
 * views into the page), reusing ONE record object: `fn` must not keep it (its strings and body it
 * may).
 * @throws AdxError ADX_ERR_STORE when the bytes are not `count` well-formed packed rows (possibly
 * after `fn` saw the rows before the fault).
 * @example eachPackedRecord(page.packed, page.count, (s) => console.log(s.recordId))
 */
export function eachPackedRecord(packed: Uint8Array | null, count: number, fn: (s: StoredRecord) => void): void {
  const s: StoredRecord = { rowid: 0, vehicleId: '', recordId: '', year: 0, exportedMs: 0, receivedMs: 0, recipient: '', body: null }
  eachPackedRow(packed, count, (row) => {
    s.rowid = row.rowid
    s.vehicleId = rowText(row, row.vehicleStart, row.vehicleEnd)
    s.recordId = rowText(row, row.recordStart, row.recordEnd)
    s.year = row.year
    s.exportedMs = row.exportedMs
    s.receivedMs = row.receivedMs
    s.recipient = row.recipient
    s.body = row.body
    fn(s)
  })
}

/**
 * The records of a packed page, as recordsAfter gives them (bodies are views into the page).
 * @throws AdxError ADX_ERR_STORE when the bytes are not `count` well-formed packed rows.
 * @example unpackRecords(page.packed, page.count)
 */
export function unpackRecords(packed: Uint8Array | null, count: number): StoredRecord[] {
  const out: StoredRecord[] = []
  eachPackedRecord(packed, count, (s) => out.push({ ...s }))
  return out
}
