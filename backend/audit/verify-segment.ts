/**
 * PURE: export-log.jsonl checked in pieces ("segments" of whole lines), so that two threads can
 * each take some: every line's own checks (JSON, canonical layout, its hash over its exact bytes)
 * need nothing but the line, and the link between lines (`prev` = the previous line's `hash`,
 * `seq` + 1) is checked across pieces afterwards. combineSegments reports the first failing line
 * and reason exactly as one sequential pass (shared/hash-chain.ts chainBytesVerifier) would.
 */
import { type ChainVerdict, chainBytesVerifier } from '../../shared/hash-chain.ts'
import { csvRow, type ExportLogEntry } from './entries.ts'

/** What checking one segment found. */
export interface SegmentResult {
  /** Lines in the segment (a last unterminated one included). */
  lines: number
  /** `prev` and `seq` its first line claims (undefined when unreadable: that line fails on its own). */
  first?: { prev: string; seq: number }
  /** Its last line's `hash` and `seq` (when every line passed). */
  last?: { hash: string; seq: number }
  /** First line (1-based within the segment) failing its own checks, and why. */
  failure?: { line: number; reason: string }
  /** Every line gave a CSV row (false after a failure, or for an entry that is not an object). */
  csvOk: boolean
}

/** Collects CSV rows as UTF-8 in one growing buffer. */
export class RowBuffer {
  buf: Buffer
  used = 0
  /** `reuse`: a buffer to fill (one handed back by the other thread) when it holds `size`. */
  constructor(size: number, reuse?: Buffer) {
    // Not from the shared pool: the buffer can be transferred to another thread.
    this.buf = reuse && reuse.length >= size ? reuse : Buffer.allocUnsafeSlow(Math.max(size, 1024))
  }
  add(row: string): void {
    const need = row.length * 3 + 2
    if (need > this.buf.length - this.used) {
      const grown = Buffer.allocUnsafeSlow(Math.max(this.buf.length * 2, this.used + need))
      this.buf.copy(grown, 0, 0, this.used)
      this.buf = grown
    }
    this.used += this.buf.write(row, this.used, 'utf8')
    this.buf[this.used++] = 13
    this.buf[this.used++] = 10
  }
  bytes(): Buffer {
    return this.buf.subarray(0, this.used)
  }
}

/**
 * Checks the lines of `bytes` (each ended by \n, but for an unterminated last one), the first
 * segment of the file (`first`) against the start of a chain, any other as a continuation of
 * whatever its first line claims to follow. CSV rows of the entries go to `rows`.
 * @example const r = verifySegment(piece, index === 0, rows)
 */
export function verifySegment(bytes: Buffer, first: boolean, rows: RowBuffer): SegmentResult {
  let after: { seq: number; hash: string } | undefined
  let claimed: SegmentResult['first']
  const nl0 = bytes.indexOf(10)
  try {
    const l = JSON.parse(bytes.toString('utf8', 0, nl0 === -1 ? bytes.length : nl0)) as { prev?: unknown; seq?: unknown }
    if (typeof l.prev === 'string' && Number.isSafeInteger(l.seq)) claimed = { prev: l.prev, seq: l.seq as number }
  } catch {
    // The line fails on its own below.
  }
  if (!first) after = claimed ? { seq: claimed.seq - 1, hash: claimed.prev } : { seq: 0, hash: '' }
  const chain = chainBytesVerifier(after ? { after } : {})
  let lines = 0
  let csvOk = true
  let failed = false
  for (let start = 0; start < bytes.length; ) {
    let end = bytes.indexOf(10, start)
    if (end === -1) end = bytes.length
    lines++
    if (!failed) {
      const parsed = chain.push(bytes.subarray(start, end))
      if (!parsed) failed = true
      if (csvOk) {
        const entry = parsed?.entry as ExportLogEntry | undefined
        let row: string | undefined
        try {
          if (entry && typeof entry === 'object') row = csvRow(entry)
        } catch {
          row = undefined
        }
        if (row === undefined) csvOk = false
        else rows.add(row)
      }
    }
    start = end + 1
  }
  const v = chain.verdict()
  if (!v.ok) return { lines, first: claimed, failure: { line: v.line, reason: v.reason }, csvOk: false }
  return { lines, first: claimed, last: lines ? { hash: v.head, seq: v.lastSeq } : undefined, csvOk }
}

/**
 * The chain verdict of a file checked as `segments` (in file order): the first failing line and
 * reason a sequential pass would give, else the whole chain's count and head.
 * @example combineSegments(results)
 */
export function combineSegments(segments: readonly SegmentResult[]): ChainVerdict {
  let tip = { seq: 0, hash: '0'.repeat(64) }
  let offset = 0
  for (let k = 0; k < segments.length; k++) {
    const s = segments[k]!
    if (s.lines === 0) continue
    // A line's own checks come before its link to the line before.
    if (s.failure?.line === 1 || (k === 0 && s.failure)) return { ok: false, line: offset + s.failure.line, reason: s.failure.reason }
    if (k > 0) {
      const f = s.first!
      if (f.prev !== tip.hash)
        return { ok: false, line: offset + 1, reason: offset === 0 ? 'first line does not start the chain (lines before it are missing)' : 'prev does not match the previous line (a line is missing, inserted or moved)' }
      if (f.seq !== tip.seq + 1) return { ok: false, line: offset + 1, reason: `seq ${f.seq} does not follow ${tip.seq}` }
    }
    if (s.failure) return { ok: false, line: offset + s.failure.line, reason: s.failure.reason }
    tip = s.last!
    offset += s.lines
  }
  return { ok: true, count: offset, head: tip.hash, lastSeq: tip.seq, prunedCount: 0 }
}
