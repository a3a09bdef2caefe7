/**
 * Group commits off the event loop: `IngestWorker` runs `Store.ingest` for one SQLite file in a
 * worker thread (ingest-worker.ts) with its own connection. Same transaction, same durability
 * (synchronous=FULL, one fsync'd commit per batch): a promise resolves only after the commit
 * returned in the thread, so an Ack sent on it still means "durably stored and counted".
 *
 * If the thread dies, what it had in hand is rejected (nothing of it is acknowledged; agents send
 * it again and record-id dedupe makes that safe) and the next call starts a new thread.
 */
import type { Worker } from 'node:worker_threads'
import { AdxError, errorCodes, type ErrorCode } from '../../shared/errors.ts'
import { startWorker } from '../worker.ts'
import { copyBatch, decodeIngestBatch, encodeIngestBatch } from './ingest-codec.ts'
import type { ErrorInfo, IngestReply, IngestRequest, IngestWorkerData } from './ingest-worker.ts'
import type { IngestOutcome, IngestRecord, Store } from './types.ts'

/** What a group-commit queue needs from a store. */
export type RecordWriter = Pick<Store, 'ingest'> & { close(): Promise<void> }

/**
 * Where the group-commit queue sends a batch (ingest-codec.ts: the encoded records of several
 * messages), stored in one transaction; resolves (one outcome per record, in order) only after
 * the commit returned. The batch's buffer is the caller's again once the promise settles.
 */
export interface BatchWriter {
  ingestBatch(batch: Uint8Array, nowMs: number): Promise<IngestOutcome[]>
}

/**
 * A BatchWriter over a store's own `ingest` (tests, and a store without an ingest thread): the
 * batch is decoded into records and stored in one call, hence one transaction.
 * @example const writer = storeBatchWriter(store)
 */
export function storeBatchWriter(store: Pick<Store, 'ingest'>): BatchWriter {
  return { ingestBatch: (batch, nowMs) => store.ingest([...decodeIngestBatch(batch)], nowMs) }
}

/** Options of the ingest thread. */
export interface IngestWorkerOptions {
  busyTimeoutMs?: number
  staleLockMs?: number
  /** Called when the thread removed a lock left by a crashed process (for logging). */
  onStaleLock?: (path: string) => void
}

const entry = new URL('./worker-entry.mjs', import.meta.url)

/**
 * The thread's young generation (V8 semi-spaces), in MiB. It decodes one record at a time and
 * keeps little, so a small young generation costs nothing measurable, whereas V8's default lets
 * it grow to 2 × 16 MiB and promotes more of a commit's garbage: the thread's heap peaked at
 * ~80 MiB with the default and ~32 MiB with 3 (bench:backend, ingest of 1M persons).
 */
const WORKER_YOUNG_GENERATION_MB = 3

/**
 * The thread's SQLite page cache, KiB (SQLite's default is 2,000). A group commit inserts into
 * B-trees at random keys (records, yearly member sets): with the default most of its pages were
 * read back through the VFS and the cache spilled mid-transaction. 16 MiB more WebAssembly memory
 * for ~1.25-1.8× records/s (bench:backend: ingest of 1M persons 15.0k vs 12.2k/s, peak RSS 241 vs
 * 226 MiB; end to end 15.8k/10.5k vs 8.6k/8.4k/s, backend CPU 38-54 vs 58-60 µs per record, machine
 * under load ~7).
 */
const WRITER_CACHE_KIB = 16 * 1024

function toError(info: ErrorInfo): AdxError {
  const code = (Object.hasOwn(errorCodes, info.code) ? info.code : 'ADX_ERR_STORE') as ErrorCode
  const e = new AdxError(code, '', info.details)
  Object.defineProperty(e, 'message', { value: info.message, enumerable: false, writable: true, configurable: true })
  return e
}

interface Pending {
  resolve: (o: IngestOutcome[]) => void
  reject: (e: unknown) => void
}

/** One thread, one connection. */
class Thread {
  readonly worker: Worker
  readonly ready: Promise<void>
  readonly pending = new Map<number, Pending>()
  exited = false
  /** The buffer of the last batch, handed back by the thread: the next batch is copied into it. */
  spare: ArrayBuffer | undefined
  private nextId = 1

  constructor(path: string, opts: IngestWorkerOptions) {
    const data: IngestWorkerData = { path, busyTimeoutMs: opts.busyTimeoutMs, staleLockMs: opts.staleLockMs, cacheKiB: WRITER_CACHE_KIB }
    // The process's node flags but those a thread cannot take (backend/worker.ts).
    this.worker = startWorker(entry, { workerData: data, resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB } })
    this.ready = new Promise<void>((resolve, reject) => {
      this.worker.on('message', (m: IngestReply) => {
        if (m.type === 'ready') resolve()
        else if (m.type === 'failed') reject(toError(m.error))
        else if (m.type === 'stale-lock') opts.onStaleLock?.(m.path)
        else {
          if (m.batch) this.spare = m.batch
          const p = this.pending.get(m.id)
          if (!p) return
          this.pending.delete(m.id)
          this.idle()
          if ('error' in m) p.reject(toError(m.error))
          else p.resolve(m.outcomes)
        }
      })
      const fail = (e: unknown) => {
        this.exited = true
        const err = new AdxError('ADX_ERR_STORE', `ingest thread ended: ${e instanceof Error ? e.message : String(e)}`, [], { cause: e })
        reject(err)
        for (const p of this.pending.values()) p.reject(err)
        this.pending.clear()
      }
      this.worker.on('error', fail)
      this.worker.on('exit', (code) => fail(new Error(`exit code ${code}`)))
    })
    // Starting, and then only a request in flight, keeps the process alive.
    this.ready.then(
      () => this.idle(),
      () => undefined,
    )
  }

  request(req: { op: 'ingest'; batch: Uint8Array; nowMs: number } | { op: 'close' }): Promise<IngestOutcome[]> {
    if (this.exited) return Promise.reject(new AdxError('ADX_ERR_STORE', 'ingest thread ended'))
    const id = this.nextId++
    return new Promise<IngestOutcome[]>((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      if (this.pending.size === 1) this.worker.ref()
      const msg = { ...req, id } as IngestRequest
      this.worker.postMessage(msg, msg.op === 'ingest' ? [msg.batch.buffer as ArrayBuffer] : [])
    })
  }

  private idle(): void {
    if (this.pending.size === 0) this.worker.unref()
  }
}

/** Runs a store's group commits in a worker thread. */
export class IngestWorker implements RecordWriter, BatchWriter {
  private thread: Thread
  private closed = false

  private constructor(
    readonly path: string,
    private readonly opts: IngestWorkerOptions,
  ) {
    this.thread = new Thread(path, opts)
  }

  /**
   * Starts the thread and waits until its connection is open (the file migrated).
   * @example const writer = await IngestWorker.start(config.store.path); await writer.ingest(records, Date.now())
   */
  static async start(path: string, opts: IngestWorkerOptions = {}): Promise<IngestWorker> {
    const w = new IngestWorker(path, opts)
    try {
      await w.thread.ready
    } catch (e) {
      await w.thread.worker.terminate()
      throw e
    }
    return w
  }

  /** Store.ingest in the thread: one transaction, resolved after its commit. */
  async ingest(records: readonly IngestRecord[], nowMs: number): Promise<IngestOutcome[]> {
    if (records.length === 0) return []
    return this.ingestBatch(encodeIngestBatch(records), nowMs)
  }

  /**
   * An encoded batch in one transaction in the thread, resolved after its commit. It crosses as a
   * copy in one transferred buffer, which the thread hands back for the next batch's copy (so the
   * caller's buffer stays the caller's, and no spent batch waits in the thread for a collection).
   */
  async ingestBatch(batch: Uint8Array, nowMs: number): Promise<IngestOutcome[]> {
    if (batch.length <= 4) return []
    if (this.closed) throw new AdxError('ADX_ERR_STORE', `${this.path}: ingest thread closed`)
    if (this.thread.exited) this.thread = new Thread(this.path, this.opts)
    await this.thread.ready
    const thread = this.thread
    const copy = copyBatch(batch, thread.spare)
    thread.spare = undefined
    return thread.request({ op: 'ingest', batch: copy, nowMs })
  }

  /** Waits for what is in flight, closes the connection and ends the thread. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    if (this.thread.exited) return
    try {
      await this.thread.ready
      await this.thread.request({ op: 'close' })
    } catch {
      // The thread is gone already: nothing of it is left to close.
    }
    await this.thread.worker.terminate()
  }
}
