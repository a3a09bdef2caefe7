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
  let scratch = Buffer.allocUnsafe(64 * 1024)
  const out = Buffer.allocUnsafe(Math.max(d.chunkBytes, 64 * 1024))
  let used = 0
  head.copy(scratch, 0)

  /** Chains, hashes and buffers one line, its entry being entries[start, end). */
  const line = (entries: Buffer, start: number, end: number) => {
    const seqText = String(++seq)
    const entryEnd = head.length + (end - start)
    const len = entryEnd + PREV.length + 64 + SEQ.length + seqText.length + 1
    if (len > scratch.length) {
      scratch = Buffer.allocUnsafe(len * 2)
      head.copy(scratch, 0)
    }
    // head + entry + ,"prev":"<prev>","seq":<n>}  — the bytes the line's hash covers.
    entries.copy(scratch, head.length, start, end)
    let p = entryEnd
    p += PREV.copy(scratch, p)
    p += prev.copy(scratch, p)
    p += SEQ.copy(scratch, p)
    p += scratch.write(seqText, p, 'latin1')
    scratch[p++] = 125 // }
    const hash = sha256Hex(scratch.subarray(0, p))
    // The line: the same bytes with "hash":"<hash>", before "prev", and a newline.
    const lineBytes = p + HASH.length + 64 + HASH_END.length
    if (lineBytes > out.length - used) {
      jsonl.write(out.subarray(0, used))
      used = 0
    }
    if (lineBytes > out.length) {
      const whole = Buffer.allocUnsafe(lineBytes)
      let q = scratch.copy(whole, 0, 0, entryEnd)
      q += HASH.copy(whole, q)
      q += whole.write(hash, q, 'latin1')
      q += HASH_END.copy(whole, q)
      q += scratch.copy(whole, q, entryEnd + 1, p)
      whole[q++] = 10
      jsonl.write(whole)
    } else {
      used += scratch.copy(out, used, 0, entryEnd)
      used += HASH.copy(out, used)
      used += out.write(hash, used, 'latin1')
      used += HASH_END.copy(out, used)
      used += scratch.copy(out, used, entryEnd + 1, p)
      out[used++] = 10
    }
    prev.write(hash, 0, 'latin1')
  }

  const batch = (entries: Buffer, ends: Uint32Array, count: number) => {
    let start = 0
    for (let i = 0; i < count; i++) {
      line(entries, start, ends[i]!)
      start = ends[i]!
    }
  }

  // Pages exported here: entries encoded into `text`, CSV rows gathered in `rows`.
  const catalogue = new CatalogueBuilder(d.pack)
  let text = Buffer.allocUnsafe(64 * 1024)
  const rows = Buffer.allocUnsafe(Math.max(d.chunkBytes, 64 * 1024))
  let rowsUsed = 0
  const flushRows = () => {
    csv.write(rows.subarray(0, rowsUsed))
    rowsUsed = 0
  }
  const pushText = (entryJson: string, csvRow: string) => {
    if (entryJson.length * 3 > text.length) text = Buffer.allocUnsafe(entryJson.length * 6)
    line(text, 0, text.write(entryJson, 0, 'utf8'))
    const need = csvRow.length * 3 + 2
    if (need > rows.length - rowsUsed) flushRows()
    if (need > rows.length) {
      csv.write(Buffer.from(`${csvRow}\r\n`, 'utf8'))
      return
    }
    rowsUsed += rows.write(csvRow, rowsUsed, 'utf8')
    rows[rowsUsed++] = 13
    rows[rowsUsed++] = 10
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
        exportPage(new Uint8Array(m.packed), m.count, pushText, catalogue)
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
