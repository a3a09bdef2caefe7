/**
 * export-log.jsonl of an export folder checked on two threads: the main thread reads the file in
 * segments of whole lines and hands every segment to a verifier thread (verify-thread.ts), which
 * hashes them all in order (the file's SHA-256) and checks some of them itself: whichever thread
 * is free takes the next segment's line checks and CSV rows. The verdict is the one a sequential
 * pass gives (verify-segment.ts combineSegments). Synchronous, like the verifier it serves: the
 * main thread waits on shared counters (Atomics), never on events.
 *
 * Returns undefined (the caller then scans sequentially) for what this path does not take: a
 * pruned chain (a checkpoint first line), a line longer than the line limit, a thread that failed.
 */
import { closeSync, openSync, readSync } from 'node:fs'
import { MessageChannel, receiveMessageOnPort, type Worker } from 'node:worker_threads'
import type { ChainVerdict } from '../../shared/hash-chain.ts'
import { startWorker, workerExecArgv } from '../worker.ts'
import { combineSegments, RowBuffer, type SegmentResult, verifySegment } from './verify-segment.ts'
import type { VerifyReply, VerifyRequest, VerifyThreadData } from './verify-thread.ts'

/** What the two-thread scan found (the shape verify.ts's sequential scan gives). */
export interface LogScan {
  jsonl: { bytes: number; sha256: string; chain: ChainVerdict; impliedCsv?: { sha256: string; bytes: number } }
  /** export-log.csv's SHA-256 and size, when a path was given. */
  csv?: { sha256: string; bytes: number }
}

/** Options of scanLogInThreads. */
export interface LogScanOptions {
  /** Bytes read per segment (default 4 MiB). */
  segmentBytes?: number
  /** Lines longer than this are left to the sequential scan. */
  maxLineBytes: number
  /** Give up waiting for the thread after this long without progress (default 120 s). */
  stallMs?: number
}

const entry = new URL('./verify-entry.mjs', import.meta.url)

/**
 * Scans export-log.jsonl (and hashes export-log.csv) on two threads.
 * @example const s = scanLogInThreads('out/export-log.jsonl', 'out/export-log.csv', header, { maxLineBytes: 16 << 20 })
 */
export function scanLogInThreads(jsonlPath: string, csvPath: string | undefined, csvHeader: string, opts: LogScanOptions): LogScan | undefined {
  const segmentBytes = Math.max(opts.segmentBytes ?? 4 << 20, 1024)
  const flags = new Int32Array(new SharedArrayBuffer(8))
  const { port1, port2 } = new MessageChannel()
  // Buffers the thread is done with come back here, to be read into again: memory stays at the
  // few segments in flight instead of every segment until the thread's next collection.
  const back = new MessageChannel()
  const data: VerifyThreadData = { reply: port2, free: back.port2, flags: flags.buffer as SharedArrayBuffer, csvHeader, csvPath }
  const worker = startWorker(entry, { workerData: data, transferList: [port2, back.port2], execArgv: workerExecArgv(process.execArgv, { dropTsx: true }) })
  const segments_: ArrayBuffer[] = []
  const rowBufs: Buffer[] = []
  const reclaim = () => {
    for (let m = receiveMessageOnPort(back.port1); m; m = receiveMessageOnPort(back.port1)) {
      const x = m.message as { bytes?: ArrayBuffer; rows?: ArrayBuffer }
      if (x.bytes) segments_.push(x.bytes)
      if (x.rows) rowBufs.push(Buffer.from(x.rows))
    }
  }
  /** A buffer of at least `n` bytes: one handed back, or a new one (room for a carried line too). */
  const segmentBuffer = (n: number): Buffer => {
    reclaim()
    const ab = segments_.pop()
    if (ab && ab.byteLength >= n) return Buffer.from(ab)
    return Buffer.allocUnsafeSlow(Math.max(n, segmentBytes + 64 * 1024))
  }
  worker.unref()
  const fd = openSync(jsonlPath, 'r')
  try {
    const mine = new Map<number, SegmentResult>()
    let carry: Buffer = Buffer.alloc(0)
    let index = 0
    let toThread = 0
    let unterminated = false
    let lines = 0
    for (let eof = false; !eof; ) {
      const buf = segmentBuffer(carry.length + segmentBytes)
      carry.copy(buf, 0)
      const n = readSync(fd, buf, carry.length, segmentBytes, null)
      const total = carry.length + n
      let end: number
      if (n === 0) {
        eof = true
        if (total === 0) break
        // The file does not end with a newline: its last line is a segment of its own.
        unterminated = true
        end = total
      } else {
        const nl = buf.lastIndexOf(10, total - 1)
        if (nl === -1) {
          if (total > opts.maxLineBytes) return undefined
          carry = buf.subarray(0, total)
          continue
        }
        end = nl + 1
      }
      carry = Buffer.from(buf.subarray(end, total))
      const segment = buf.subarray(0, end)
      if (index === 0) {
        const first = segment.subarray(0, Math.max(segment.indexOf(10), 0) || segment.length)
        if (first.includes('"checkpoint":')) return undefined
      }
      // The thread takes the next segment's checks when it has at most one waiting.
      if (index > 0 && toThread - Atomics.load(flags, 0) <= 1) {
        const m: VerifyRequest = { op: 'segment', index, bytes: buf.buffer as ArrayBuffer, length: end, check: true }
        worker.postMessage(m, [m.bytes])
        toThread++
      } else {
        reclaim()
        const rows = new RowBuffer(end >> 1, rowBufs.pop())
        const r = verifySegment(segment, index === 0, rows)
        mine.set(index, r)
        lines += r.lines
        const m: VerifyRequest = { op: 'segment', index, bytes: buf.buffer as ArrayBuffer, length: end, check: false, rows: r.csvOk ? (rows.buf.buffer as ArrayBuffer) : null, rowsLength: rows.used }
        worker.postMessage(m, m.rows ? [m.bytes, m.rows] : [m.bytes])
      }
      index++
    }
    worker.postMessage({ op: 'end' } satisfies VerifyRequest)
    const stallMs = opts.stallMs ?? 120_000
    let seen = Atomics.load(flags, 0)
    let since = Date.now()
    while (Atomics.load(flags, 1) === 0) {
      Atomics.wait(flags, 1, 0, 200)
      const now = Atomics.load(flags, 0)
      if (now !== seen) {
        seen = now
        since = Date.now()
      } else if (Date.now() - since > stallMs) return undefined
    }
    const reply = receiveMessageOnPort(port1)?.message as VerifyReply | undefined
    if (!reply || 'error' in reply) return undefined
    const segments: SegmentResult[] = []
    for (let k = 0; k < index; k++) {
      const r = mine.get(k) ?? reply.results[k]
      if (!r) return undefined
      if (!mine.has(k)) lines += r.lines
      segments.push(r)
    }
    const linked = combineSegments(segments)
    const chain: ChainVerdict = unterminated ? { ok: false, line: lines, reason: 'the last line is not terminated by a newline (truncated or appended to)' } : linked
    // As in one pass: the CSV the entries imply stands only while every line passed.
    return { jsonl: { bytes: reply.jsonl.bytes, sha256: reply.jsonl.sha256, chain, impliedCsv: linked.ok ? reply.impliedCsv : undefined }, csv: reply.csv }
  } finally {
    closeSync(fd)
    port1.close()
    back.port1.close()
    void worker.terminate()
  }
}
