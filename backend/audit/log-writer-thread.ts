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
  // The bytes a line's hash covers are built here: head, entry, then prev and seq.
  const scratch: Growable = { buf: Buffer.allocUnsafe(64 * 1024), at: head.length }
  head.copy(scratch.buf, 0)
  const out = Buffer.allocUnsafe(Math.max(d.chunkBytes, 64 * 1024))
  let used = 0

  /** Chains, hashes and buffers one line, its entry being scratch[head.length, scratch.at). */
  const line = () => {
    const seqText = String(++seq)
    const entryEnd = scratch.at
    ensure(scratch, PREV.length + 64 + SEQ.length + seqText.length + 1)
    const s = scratch.buf
    // head + entry + ,"prev":"<prev>","seq":<n>}  — the bytes the line's hash covers.
    let p = entryEnd
    p += PREV.copy(s, p)
    p += prev.copy(s, p)
    p += SEQ.copy(s, p)
    p += s.write(seqText, p, 'latin1')
    s[p++] = 125 // }
    const hash = sha256Hex(s.subarray(0, p))
    // The line: the same bytes with "hash":"<hash>", before "prev", and a newline.
    const lineBytes = p + HASH.length + 64 + HASH_END.length
    if (lineBytes > out.length - used) {
      jsonl.write(out.subarray(0, used))
      used = 0
    }
    if (lineBytes > out.length) {
      const whole = Buffer.allocUnsafe(lineBytes)
      let q = s.copy(whole, 0, 0, entryEnd)
      q += HASH.copy(whole, q)
      q += whole.write(hash, q, 'latin1')
      q += HASH_END.copy(whole, q)
      q += s.copy(whole, q, entryEnd + 1, p)
      whole[q++] = 10
      jsonl.write(whole)
    } else {
      used += s.copy(out, used, 0, entryEnd)
      used += HASH.copy(out, used)
      used += out.write(hash, used, 'latin1')
      used += HASH_END.copy(out, used)
      used += s.copy(out, used, entryEnd + 1, p)
      out[used++] = 10
    }
    prev.write(hash, 0, 'latin1')
    scratch.at = head.length
  }

  const batch = (entries: Buffer, ends: Uint32Array, count: number) => {
    let start = 0
    for (let i = 0; i < count; i++) {
      const end = ends[i]!
      ensure(scratch, end - start)
      scratch.at += entries.copy(scratch.buf, scratch.at, start, end)
      line()
      start = end
    }
  }

  // Pages exported here: each entry encoded into the scratch buffer after the head and chained
  // at once, CSV rows gathered in `rows` and written by the chunk.
  const catalogue = new CatalogueBuilder(d.pack)
  const encoder = new LineEncoder()
  const chunk = Math.max(d.chunkBytes, 64 * 1024)
  const rows: Growable = { buf: Buffer.allocUnsafe(chunk + 64 * 1024), at: 0 }
  const flushRows = () => {
    csv.write(rows.buf.subarray(0, rows.at))
    rows.at = 0
  }
  const sink: LineSink = {
    json: scratch,
    csv: rows,
    added() {
      line()
      if (rows.at >= chunk) flushRows()
    },
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
        exportPage(new Uint8Array(m.packed), m.count, sink, catalogue, encoder)
        port.postMessage({ op: 'page-done' } satisfies LogWriterReply)
      } else {
        jsonl.write(out.subarray(0, used))
        used = 0
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
