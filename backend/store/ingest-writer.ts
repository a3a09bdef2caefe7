/**
 * Group commits off the event loop: `IngestWorker` runs `Store.ingest` for one SQLite file in a
 * worker thread (ingest-worker.ts) with its own connection. Same transaction, same durability
 * (synchronous=FULL, one fsync'd commit per batch): a promise resolves only after the commit
 * returned in the thread, so an Ack sent on it still means "durably stored and counted".
 *
 * If the thread dies, what it had in hand is rejected (nothing of it is acknowledged; agents send
 * it again and record-id dedupe makes that safe) and the next call starts a new thread.
 */
import { Worker } from 'node:worker_threads'
import { AdxError, errorCodes, type ErrorCode } from '../../shared/errors.ts'
import { encodeIngestBatch } from './ingest-codec.ts'
import type { ErrorInfo, IngestReply, IngestRequest, IngestWorkerData } from './ingest-worker.ts'
import type { IngestOutcome, IngestRecord, Store } from './types.ts'

/** What a group-commit queue needs from a store. */
export type RecordWriter = Pick<Store, 'ingest'> & { close(): Promise<void> }

/** Options of the ingest thread. */
export interface IngestWorkerOptions {
  busyTimeoutMs?: number
  staleLockMs?: number
  /** Called when the thread removed a lock left by a crashed process (for logging). */
  onStaleLock?: (path: string) => void
}

const entry = new URL('./worker-entry.mjs', import.meta.url)

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
  private nextId = 1

  constructor(path: string, opts: IngestWorkerOptions) {
    const data: IngestWorkerData = { path, busyTimeoutMs: opts.busyTimeoutMs, staleLockMs: opts.staleLockMs }
    // --input-type (node -e) cannot apply to a file entry; the rest of the flags carry over.
    const execArgv = process.execArgv.filter((a) => !a.startsWith('--input-type'))
    this.worker = new Worker(entry, { workerData: data, execArgv })
    this.ready = new Promise<void>((resolve, reject) => {
      this.worker.on('message', (m: IngestReply) => {
        if (m.type === 'ready') resolve()
        else if (m.type === 'failed') reject(toError(m.error))
        else if (m.type === 'stale-lock') opts.onStaleLock?.(m.path)
        else {
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
export class IngestWorker implements RecordWriter {
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
    if (this.closed) throw new AdxError('ADX_ERR_STORE', `${this.path}: ingest thread closed`)
    if (this.thread.exited) this.thread = new Thread(this.path, this.opts)
    await this.thread.ready
    return this.thread.request({ op: 'ingest', batch: encodeIngestBatch(records), nowMs })
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
