/**
 * The audit verifier's thread (started by verify-parallel.ts through verify-entry.mjs): takes
 * every segment of export-log.jsonl in file order and hashes it (the file's SHA-256), checks the
 * segments it is given (verify-segment.ts) while the main thread checks the others, and hashes
 * all CSV rows the entries imply in file order (the main thread's rows come with its segments).
 * At the end it hashes export-log.csv from disk, replies on its port and raises the done flag.
 * The main thread never leaves its synchronous loop: it reads progress from the shared counters.
 */
import { createHash } from 'node:crypto'
import { closeSync, openSync, readSync } from 'node:fs'
import { type MessagePort, parentPort, workerData } from 'node:worker_threads'
import { RowBuffer, type SegmentResult, verifySegment } from './verify-segment.ts'

/** What the thread is started with. */
export interface VerifyThreadData {
  /** Reply port (results, once). */
  reply: MessagePort
  /** Where segment and row buffers go back, once hashed, for the main thread to read into again. */
  free: MessagePort
  /** Int32 counters: [0] segments checked by this thread, [1] done flag. */
  flags: SharedArrayBuffer
  /** The CSV header, hashed first into the implied CSV. */
  csvHeader: string
  /** export-log.csv to hash at the end (when present). */
  csvPath?: string
}

/** Main thread → verifier thread. */
export type VerifyRequest =
  | { op: 'segment'; index: number; bytes: ArrayBuffer; length: number; check: true }
  | { op: 'segment'; index: number; bytes: ArrayBuffer; length: number; check: false; rows: ArrayBuffer | null; rowsLength: number }
  | { op: 'end' }

/** Verifier thread → main thread (on the reply port, once). */
export type VerifyReply =
  | {
      results: Record<number, SegmentResult>
      jsonl: { sha256: string; bytes: number }
      /** SHA-256 and size of the CSV the entries imply (undefined when an entry gave no row). */
      impliedCsv?: { sha256: string; bytes: number }
      csv?: { sha256: string; bytes: number }
    }
  | { error: string }

function hashFile(path: string): { sha256: string; bytes: number } {
  const h = createHash('sha256')
  const buf = Buffer.allocUnsafe(4 << 20)
  const fd = openSync(path, 'r')
  let bytes = 0
  try {
    for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0; ) {
      h.update(buf.subarray(0, n))
      bytes += n
    }
  } finally {
    closeSync(fd)
  }
  return { sha256: h.digest('hex'), bytes }
}

function run(port: NonNullable<typeof parentPort>, d: VerifyThreadData): void {
  const flags = new Int32Array(d.flags)
  const fileHash = createHash('sha256')
  let fileBytes = 0
  const csvHeader = Buffer.from(d.csvHeader, 'utf8')
  let csvHash: ReturnType<typeof createHash> | undefined = createHash('sha256').update(csvHeader)
  let csvBytes = csvHeader.length
  const results: Record<number, SegmentResult> = {}
  // Segments waiting for the ones before them to be hashed.
  const pending = new Map<number, { bytes: Uint8Array; rows: Uint8Array | null; mainRows: boolean }>()
  let next = 0
  const drain = () => {
    for (let p = pending.get(next); p; p = pending.get(next)) {
      pending.delete(next++)
      fileHash.update(p.bytes)
      fileBytes += p.bytes.length
      d.free.postMessage({ bytes: p.bytes.buffer }, [p.bytes.buffer as ArrayBuffer])
      if (!p.rows) csvHash = undefined
      else if (csvHash) {
        csvHash.update(p.rows)
        csvBytes += p.rows.length
      }
      if (p.rows && p.mainRows) d.free.postMessage({ rows: p.rows.buffer }, [p.rows.buffer as ArrayBuffer])
    }
  }
  const finish = (reply: VerifyReply) => {
    d.reply.postMessage(reply)
    Atomics.store(flags, 1, 1)
    Atomics.notify(flags, 1)
  }
  port.on('message', (m: VerifyRequest) => {
    try {
      if (m.op === 'segment') {
        const bytes = Buffer.from(m.bytes, 0, m.length)
        let rows: Uint8Array | null
        if (m.check) {
          const rb = new RowBuffer(bytes.length >> 1)
          const r = verifySegment(bytes, m.index === 0, rb)
          results[m.index] = r
          rows = r.csvOk ? rb.bytes() : null
          Atomics.add(flags, 0, 1)
          Atomics.notify(flags, 0)
        } else rows = m.rows ? new Uint8Array(m.rows, 0, m.rowsLength) : null
        pending.set(m.index, { bytes, rows, mainRows: !m.check })
        drain()
      } else {
        if (pending.size) throw new Error(`segment ${next} never came`)
        finish({
          results,
          jsonl: { sha256: fileHash.digest('hex'), bytes: fileBytes },
          impliedCsv: csvHash ? { sha256: csvHash.digest('hex'), bytes: csvBytes } : undefined,
          csv: d.csvPath ? hashFile(d.csvPath) : undefined,
        })
      }
    } catch (e) {
      finish({ error: e instanceof Error ? e.message : String(e) })
    }
  })
}

if (parentPort) run(parentPort, workerData as VerifyThreadData)
