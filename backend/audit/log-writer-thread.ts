/**
 * The audit export's writer thread (started by log-writer.ts through log-writer-entry.mjs):
 * chains, hashes and writes export-log.jsonl and export-log.csv while the main thread reads the
 * store and builds the entries. Loaded as CommonJS by tsx's require hook.
 *
 * Each batch brings entries' canonical JSON (UTF-8, back to back, with their end offsets) and
 * CSV rows (UTF-8, CRLF-terminated). A page brings packed store rows, which the thread exports
 * itself (page-export.ts: the same texts the main thread would build) and counts in its own
 * catalogue part, handed back at the end. For each entry the thread builds exactly the line
 * shared/hash-chain.ts chainLineText builds: the bytes `{"at":…,"entry":<entry>,"prev":"<prev>","seq":<n>}`
 * are hashed, and the line written is the same bytes with `"hash":"<sha256>",` put before
 * `"prev"`. The batch's buffers go back to the main thread for reuse.
 */
import * as nodeCrypto from 'node:crypto'
import { closeSync, openSync, writeSync } from 'node:fs'
import { parentPort, workerData } from 'node:worker_threads'
import type { RulePack } from '../../shared/rulepack/schema.ts'
import { type CataloguePart, CatalogueBuilder } from './catalogue.ts'
import { ensure, type Growable, LineEncoder, type LineSink } from './line-encoder.ts'
import { exportPage } from './page-export.ts'

/** What the thread is started with. */
export interface LogWriterData {
  jsonlPath: string
  csvPath: string
  /** `{"at":<at>,"entry":` of every line. */
  lineHead: string
  /** Written first to the CSV file. */
  csvHeader: string
  chunkBytes: number
  pack: Pick<RulePack, 'rules' | 'scenarios'>
}

/** Main thread → writer thread. */
export type LogWriterRequest =
  | { op: 'batch'; entries: ArrayBuffer; ends: ArrayBuffer; count: number; csv: ArrayBuffer; csvBytes: number }
  | { op: 'page'; packed: ArrayBuffer; count: number }
  | { op: 'end' }

/** Writer thread → main thread. */
export type LogWriterReply =
  | { op: 'free'; entries: ArrayBuffer; ends: ArrayBuffer; csv: ArrayBuffer }
  | { op: 'page-done' }
  | { op: 'done'; jsonl: { sha256: string; bytes: number }; csv: { sha256: string; bytes: number }; tip: { seq: number; hash: string }; catalogue: CataloguePart }
  | { op: 'failed'; message: string }

const oneShot = (nodeCrypto as { hash?: (alg: string, data: Uint8Array, enc: 'hex') => string }).hash
const sha256Hex = (b: Uint8Array): string => (oneShot ? oneShot('sha256', b, 'hex') : nodeCrypto.createHash('sha256').update(b).digest('hex'))

/** A file written and hashed as it goes. */
class Out {
  private readonly fd: number
  private readonly hash = nodeCrypto.createHash('sha256')
  bytes = 0
  constructor(path: string) {
    this.fd = openSync(path, 'w')
  }
  write(b: Uint8Array): void {
    if (b.length === 0) return
    this.hash.update(b)
    this.bytes += b.length
    for (let off = 0; off < b.length; ) off += writeSync(this.fd, b, off, b.length - off)
  }
  end(): { sha256: string; bytes: number } {
    closeSync(this.fd)
    return { sha256: this.hash.digest('hex'), bytes: this.bytes }
  }
}

function run(port: NonNullable<typeof parentPort>, d: LogWriterData): void {
  const jsonl = new Out(d.jsonlPath)
  const csv = new Out(d.csvPath)
  csv.write(Buffer.from(d.csvHeader, 'utf8'))
  const head = Buffer.from(d.lineHead, 'utf8')
  const PREV = Buffer.from(',"prev":"', 'latin1')
  const SEQ = Buffer.from('","seq":', 'latin1')
  const HASH = Buffer.from(',"hash":"', 'latin1')
  const HASH_END = Buffer.from('",', 'latin1')
  const prev = Buffer.from('0'.repeat(64), 'latin1')
  let seq = 0
  const chunk = Math.max(d.chunkBytes, 64 * 1024)
  // export-log.jsonl is built here line by line in place, and written by the chunk: head, entry,
  // then ,"prev":"<prev>","seq":<n>} — the bytes the line's hash covers. Once hashed, that tail
  // moves right to make room for ,"hash":"<hash>", (its own comma goes) and the line gets its
  // newline: no copy of the entry.
  const lines: Growable = { buf: Buffer.allocUnsafe(chunk + 64 * 1024), at: 0 }
  let lineStart = 0
  const SHIFT = HASH.length + 64 + HASH_END.length - 1

  /** Begins a line: its head (its entry follows at lines.at). */
  const begin = () => {
    if (lines.at >= chunk) {
      jsonl.write(lines.buf.subarray(0, lines.at))
      lines.at = 0
    }
    ensure(lines, head.length)
    lineStart = lines.at
    lines.at += head.copy(lines.buf, lines.at)
  }

  /** Ends the line begun (its entry is lines[lineStart + head, lines.at)): chains and hashes it. */
  const end = () => {
    const seqText = String(++seq)
    const entryEnd = lines.at
    ensure(lines, PREV.length + 64 + SEQ.length + seqText.length + 1 + SHIFT + 1)
    const s = lines.buf
    let p = entryEnd
    p += PREV.copy(s, p)
    p += prev.copy(s, p)
    p += SEQ.copy(s, p)
    p += s.write(seqText, p, 'latin1')
    s[p++] = 125 // }
    const hash = sha256Hex(s.subarray(lineStart, p))
    s.copyWithin(entryEnd + 1 + SHIFT, entryEnd + 1, p)
    let q = entryEnd + HASH.copy(s, entryEnd)
    q += s.write(hash, q, 'latin1')
    HASH_END.copy(s, q)
    p += SHIFT
    s[p++] = 10
    lines.at = p
    prev.write(hash, 0, 'latin1')
  }

  const batch = (entries: Buffer, ends: Uint32Array, count: number) => {
    let start = 0
    for (let i = 0; i < count; i++) {
      const stop = ends[i]!
      begin()
      ensure(lines, stop - start)
      lines.at += entries.copy(lines.buf, lines.at, start, stop)
      end()
      start = stop
    }
  }

  // Pages exported here: each entry encoded in place after its line's head and chained at once,
  // CSV rows gathered in `rows` and written by the chunk.
  const catalogue = new CatalogueBuilder(d.pack)
  const encoder = new LineEncoder()
  const rows: Growable = { buf: Buffer.allocUnsafe(chunk + 64 * 1024), at: 0 }
  const flushRows = () => {
    csv.write(rows.buf.subarray(0, rows.at))
    rows.at = 0
  }
  const sink: LineSink = {
    json: lines,
    csv: rows,
    added() {
      end()
      if (rows.at >= chunk) flushRows()
      begin()
    },
  }
  const page = (packed: Uint8Array, count: number) => {
    begin()
    exportPage(packed, count, sink, catalogue, encoder)
    // The line begun after the last record has no entry.
    lines.at = lineStart
  }

  port.on('message', (m: LogWriterRequest) => {
    try {
      if (m.op === 'batch') {
        batch(Buffer.from(m.entries), new Uint32Array(m.ends), m.count)
        flushRows()
        csv.write(new Uint8Array(m.csv, 0, m.csvBytes))
        const free: LogWriterReply = { op: 'free', entries: m.entries, ends: m.ends, csv: m.csv }
        port.postMessage(free, [m.entries, m.ends, m.csv])
      } else if (m.op === 'page') {
        page(new Uint8Array(m.packed), m.count)
        port.postMessage({ op: 'page-done' } satisfies LogWriterReply)
      } else {
        jsonl.write(lines.buf.subarray(0, lines.at))
        lines.at = 0
        flushRows()
        const done: LogWriterReply = { op: 'done', jsonl: jsonl.end(), csv: csv.end(), tip: { seq, hash: prev.toString('latin1') }, catalogue: catalogue.part() }
        port.postMessage(done)
      }
    } catch (e) {
      const failed: LogWriterReply = { op: 'failed', message: e instanceof Error ? e.message : String(e) }
      port.postMessage(failed)
    }
  })
}

if (parentPort) {
  try {
    run(parentPort, workerData as LogWriterData)
  } catch (e) {
    parentPort.postMessage({ op: 'failed', message: e instanceof Error ? e.message : String(e) } satisfies LogWriterReply)
  }
}
