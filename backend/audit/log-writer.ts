/**
 * Writers of export-log.jsonl (hash-chained) and export-log.csv: the export writes each entry's
 * canonical JSON and CSV row into the writer's buffers (a LineSink); the writer chains, hashes
 * and writes them.
 *
 *  - threadLogWriter: in a worker thread (log-writer-thread.ts), so that on a machine with two
 *    cores the main thread reads the store and builds entries while the other chains, hashes
 *    and writes. Entries travel as UTF-8 in transferred buffers (no copy, no structured clone of
 *    strings), a few batches in flight at most: memory stays bounded.
 *  - inThreadLogWriter: the same bytes through shared/hash-chain.ts chainLineText and two
 *    FileSinks (the API's in-memory bundle).
 */
import { AdxError } from '../../shared/errors.ts'
import { type ChainTip, chainLineText, EMPTY_TIP } from '../../shared/hash-chain.ts'
import type { RulePack } from '../../shared/rulepack/schema.ts'
import type { PackedRecords } from '../store/types.ts'
import { startWorker, workerExecArgv } from '../worker.ts'
import type { CataloguePart } from './catalogue.ts'
import type { FileDigest, FileSink } from './file-sink.ts'
import type { Growable, LineSink } from './line-encoder.ts'
import type { LogWriterData, LogWriterReply, LogWriterRequest } from './log-writer-thread.ts'

/** What a log writer gives when it is ended. */
export interface LogWritten {
  jsonl: FileDigest
  csv: FileDigest
  /** The chain's tip: count (seq) and head (hash). */
  tip: ChainTip
  /** The catalogue of the pages the writer took (offerPage), to merge. */
  catalogue?: CataloguePart
}

/**
 * Writes export-log.jsonl and export-log.csv. As a LineSink it takes one entry (its canonical
 * JSON) and its CSV row (with CRLF) at a time.
 */
export interface ExportLogWriter extends LineSink {
  /**
   * Offers a whole page of records: true when the writer takes it (exports its records itself,
   * in order after everything pushed before, and counts them in its catalogue part); false when
   * the caller must export it.
   */
  offerPage(page: PackedRecords): boolean
  /** Resolves when the writer can take more (a bound on what is in flight). */
  ready(): Promise<void>
  /** Writes what is left, closes both files. */
  end(): Promise<LogWritten>
  /** Stops without finishing (the files are left as they are, for the caller to remove). */
  abort(): Promise<void>
}

/** `{"at":<at>,"entry":` — how every line of the chain starts (chainLineText's head). */
const lineHead = (at: number) => `{"at":${JSON.stringify(at)},"entry":`

/**
 * A writer in the calling thread: chainLineText into two sinks.
 * @example const w = inThreadLogWriter(open('export-log.jsonl'), open('export-log.csv'), header, nowMs)
 */
export function inThreadLogWriter(jsonl: FileSink, csv: FileSink, csvHeader: string, at: number): ExportLogWriter {
  let tip: ChainTip = EMPTY_TIP
  csv.write(csvHeader)
  const json: Growable = { buf: Buffer.allocUnsafe(4096), at: 0 }
  const row: Growable = { buf: Buffer.allocUnsafe(4096), at: 0 }
  return {
    json,
    csv: row,
    added() {
      const line = chainLineText(tip, json.buf.toString('utf8', 0, json.at), at)
      tip = line.tip
      jsonl.write(`${line.text}\n`)
      csv.write(row.buf.toString('utf8', 0, row.at))
      json.at = row.at = 0
    },
    offerPage: () => false,
    ready: async () => {},
    end: async () => ({ jsonl: jsonl.end(), csv: csv.end(), tip }),
    abort: async () => {},
  }
}

/** Options of threadLogWriter. */
export interface ThreadLogWriterOptions {
  /** The rule pack (for the catalogue of the pages the thread takes). */
  pack: Pick<RulePack, 'rules' | 'scenarios'>
  /** Bytes of entries per batch sent to the thread (default 1 MiB); also the thread's write chunk ×4. */
  batchBytes?: number
  /**
   * Bytes sent to the thread and not yet done before ready() waits (default 64 MiB: about five
   * pages of entries; with 16 MiB the main thread waited a fifth of a year's export for the thread).
   */
  maxQueuedBytes?: number
  /**
   * The thread takes an offered page when the work it has queued is at most this many records
   * (a record it only chains counts 1, one of a page it exports counts 3; default 80,000, which
   * on two cores gives it about half the pages: the main thread also reads the store; -1: never).
   */
  takePagesBelow?: number
}

const entry = new URL('./log-writer-entry.mjs', import.meta.url)

/** One batch's buffers: entries back to back in json, their ends in ends, CSV rows in csv. */
interface Batch {
  json: Growable
  ends: Uint32Array
  csv: Growable
}

/**
 * A writer in a worker thread, writing `jsonlPath` and `csvPath` (created or truncated).
 * @throws AdxError ADX_ERR_AUDIT_EXPORT (from added, ready or end) once the thread failed.
 * @example const w = await threadLogWriter('out/.export-log.jsonl.partial', 'out/.export-log.csv.partial', header, nowMs)
 */
export async function threadLogWriter(jsonlPath: string, csvPath: string, csvHeader: string, at: number, opts: ThreadLogWriterOptions): Promise<ExportLogWriter> {
  const batchBytes = Math.max(opts.batchBytes ?? 2 ** 20, 4096)
  const maxQueued = Math.max(opts.maxQueuedBytes ?? 64 * 2 ** 20, 1)
  const takeBelow = opts.takePagesBelow ?? 80_000
  const data: LogWriterData = { jsonlPath, csvPath, lineHead: lineHead(at), csvHeader, chunkBytes: batchBytes * 4, pack: { rules: opts.pack.rules, scenarios: opts.pack.scenarios } }
  const worker = startWorker(entry, { workerData: data, execArgv: workerExecArgv(process.execArgv, { dropTsx: true }) })
  let failure: AdxError | undefined
  let finished: ((w: LogWritten) => void) | undefined
  let waiting: (() => void) | undefined
  // What each message sent and not yet done weighs (replies come back in the order sent).
  const sent: { bytes: number; work: number }[] = []
  let queuedBytes = 0
  let queuedWork = 0
  const queue = (bytes: number, work: number) => {
    sent.push({ bytes, work })
    queuedBytes += bytes
    queuedWork += work
  }
  const pool: Batch[] = []
  const fail = (message: string) => {
    failure ??= new AdxError('ADX_ERR_AUDIT_EXPORT', `export-log writer thread: ${message}`)
    waiting?.()
  }
  worker.on('message', (m: LogWriterReply) => {
    if (m.op === 'free' || m.op === 'page-done') {
      const done = sent.shift()
      if (done) {
        queuedBytes -= done.bytes
        queuedWork -= done.work
      }
      if (m.op === 'free') pool.push({ json: { buf: Buffer.from(m.entries), at: 0 }, ends: new Uint32Array(m.ends), csv: { buf: Buffer.from(m.csv), at: 0 } })
      if (queuedBytes <= maxQueued) waiting?.()
    } else if (m.op === 'done') finished?.({ jsonl: m.jsonl, csv: m.csv, tip: m.tip, catalogue: m.catalogue })
    else fail(m.message)
  })
  worker.on('error', (e) => fail(e.message))
  worker.on('exit', (code) => fail(`ended (exit code ${code})`))

  const fresh = (): Batch =>
    pool.pop() ?? { json: { buf: Buffer.allocUnsafeSlow(batchBytes), at: 0 }, ends: new Uint32Array(Math.ceil(batchBytes / 64)), csv: { buf: Buffer.allocUnsafeSlow(batchBytes), at: 0 } }
  let b = fresh()
  let count = 0
  // A batch is sent when less than this is left in either buffer (a larger entry grows its buffer).
  const headroom = Math.min(64 * 1024, batchBytes / 4)
  const send = () => {
    if (failure) throw failure
    if (count === 0) return
    const msg: LogWriterRequest = { op: 'batch', entries: b.json.buf.buffer as ArrayBuffer, ends: b.ends.buffer as ArrayBuffer, count, csv: b.csv.buf.buffer as ArrayBuffer, csvBytes: b.csv.at }
    worker.postMessage(msg, [msg.entries, msg.ends, msg.csv])
    queue(b.json.at + b.csv.at, count)
    b = fresh()
    count = 0
  }
  const abort = async () => {
    await worker.terminate()
  }
  return {
    get json() {
      return b.json
    },
    get csv() {
      return b.csv
    },
    added() {
      b.ends[count++] = b.json.at
      if (count === b.ends.length || b.json.buf.length - b.json.at < headroom || b.csv.buf.length - b.csv.at < headroom) send()
    },
    offerPage(page) {
      if (failure) throw failure
      if (takeBelow < 0 || queuedWork > takeBelow || !page.packed || page.count === 0) return false
      // What was pushed before goes first; the page's buffer moves to the thread.
      send()
      const packed = page.packed.byteOffset === 0 && page.packed.byteLength === page.packed.buffer.byteLength ? page.packed : page.packed.slice()
      const msg: LogWriterRequest = { op: 'page', packed: packed.buffer as ArrayBuffer, count: page.count }
      worker.postMessage(msg, [msg.packed])
      queue(packed.byteLength, 3 * page.count)
      return true
    },
    async ready() {
      // Let the thread's replies in (the export loop itself never leaves the microtask queue), so
      // that the queue's weight is current when the next page is offered.
      await new Promise<void>((r) => setImmediate(r))
      while (!failure && queuedBytes > maxQueued) await new Promise<void>((r) => (waiting = r))
      waiting = undefined
      if (failure) throw failure
    },
    async end() {
      send()
      const done = new Promise<LogWritten>((resolve) => (finished = resolve))
      const ended = new Promise<never>((_, reject) => {
        const check = () => (failure ? reject(failure) : undefined)
        worker.on('exit', check)
        worker.on('message', check)
        worker.on('error', check)
      })
      worker.postMessage({ op: 'end' } satisfies LogWriterRequest)
      try {
        return await Promise.race([done, ended])
      } finally {
        worker.removeAllListeners('exit')
        await worker.terminate()
      }
    },
    abort,
  }
}
