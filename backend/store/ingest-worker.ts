/**
 * The store's ingest thread (loaded through worker-entry.mjs; started by IngestWorker in
 * ingest-writer.ts). It opens its own connection to the store's SQLite file and runs the group
 * commits there, so that a commit (B-tree work in WebAssembly, journal writes, fsyncs) never
 * blocks the event loop that runs the MQTT broker and the API. The connection shares the file
 * lock with every other one (the backend's main connection, `adx` commands) exactly as before:
 * a transaction that finds the file locked waits and retries (SqliteStore.retry).
 *
 * Protocol (one request at a time per id, replies in any order):
 *   → { id, op: 'ingest', batch, nowMs }     ← { id, outcomes, batch } | { id, error, batch }
 *     (batch: the records encoded by ingest-codec.ts, transferred; its buffer is transferred
 *     back with the reply, for the next batch, so no spent batch waits here for a collection)
 *   → { id, op: 'close' }                    ← { id, outcomes: [] } then the thread ends
 *   ← { type: 'ready' } once the store is open, { type: 'failed', error } if it cannot be
 *   ← { type: 'stale-lock', path } when a crash-leftover lock was removed
 */
import { parentPort, workerData } from 'node:worker_threads'
import { AdxError } from '../../shared/errors.ts'
import { openSqliteStore, type SqliteStore } from './sqlite.ts'
import { decodeIngestBatch } from './ingest-codec.ts'
import type { IngestOutcome } from './types.ts'

/** What the thread is started with. */
export interface IngestWorkerData {
  path: string
  busyTimeoutMs?: number
  staleLockMs?: number
  /** SQLite page cache of the thread's connection, KiB. */
  cacheKiB?: number
}

/** A request to the thread. */
export type IngestRequest = { id: number; op: 'ingest'; batch: Uint8Array; nowMs: number } | { id: number; op: 'close' }

/** An error as it crosses the thread boundary. */
export interface ErrorInfo {
  code: string
  message: string
  details: readonly string[]
}

/** A message from the thread. */
export type IngestReply =
  | { type: 'ready' }
  | { type: 'failed'; error: ErrorInfo }
  | { type: 'stale-lock'; path: string }
  | { type: 'reply'; id: number; outcomes: IngestOutcome[]; batch?: ArrayBuffer }
  | { type: 'reply'; id: number; error: ErrorInfo; batch?: ArrayBuffer }

/** The error's code, message and details (AdxError keeps its code; anything else is ADX_ERR_STORE). */
export function errorInfo(e: unknown): ErrorInfo {
  if (e instanceof AdxError) return { code: e.code, message: e.message, details: e.details }
  return { code: 'ADX_ERR_STORE', message: e instanceof Error ? e.message : String(e), details: [] }
}

async function main(): Promise<void> {
  const port = parentPort
  if (!port) throw new Error('ingest-worker.ts runs as a worker thread (see ingest-writer.ts)')
  const data = workerData as IngestWorkerData
  const post = (m: IngestReply) => port.postMessage(m, m.type === 'reply' && m.batch ? [m.batch] : [])
  let store: SqliteStore
  try {
    store = await openSqliteStore(data.path, {
      busyTimeoutMs: data.busyTimeoutMs,
      staleLockMs: data.staleLockMs,
      cacheKiB: data.cacheKiB,
      onStaleLock: (path) => post({ type: 'stale-lock', path }),
    })
  } catch (e) {
    post({ type: 'failed', error: errorInfo(e) })
    return
  }
  // One transaction at a time, in the order requested.
  let chain: Promise<unknown> = Promise.resolve()
  port.on('message', (req: IngestRequest) => {
    chain = chain.then(async () => {
      if (req.op === 'close') {
        await store.close()
        post({ type: 'reply', id: req.id, outcomes: [] })
        port.close()
        return
      }
      const { batch } = req
      try {
        const outcomes = await store.ingestFrom(() => decodeIngestBatch(batch), req.nowMs)
        post({ type: 'reply', id: req.id, outcomes, batch: batch.buffer as ArrayBuffer })
      } catch (e) {
        post({ type: 'reply', id: req.id, error: errorInfo(e), batch: batch.buffer as ArrayBuffer })
      }
    })
  })
  post({ type: 'ready' })
}

main().catch((e: unknown) => {
  parentPort?.postMessage({ type: 'failed', error: errorInfo(e) } satisfies IngestReply)
})
