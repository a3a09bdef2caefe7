/**
 * The agent's local audit log: one JSON line per decision, hash-chained (each line carries the
 * SHA-256 of the previous line, the first line of a file the hash of the last line of the file
 * before it), rotated by size. It holds verdict summaries only: pseudonyms, codes, rule ids,
 * sizes; never a payload, a secret or a raw identifier. A rotated file is deleted only once the
 * backend has acknowledged every export record it mentions (`prune(isPending)`).
 *
 * Files: `audit-<seq 10 digits>.jsonl`. `verifyChain(dir)` checks every file in order.
 */
import { createHash } from 'node:crypto'
import { appendFileSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, unlinkSync } from 'node:fs'
import { join } from 'node:path'
import { AdxError } from '../../shared/errors.ts'

/** What one decision entry says (the log adds seq, at, prev, hash). */
export interface AuditEntry {
  event: 'send' | 'hold' | 'incident' | 'policy' | 'policy-rejected' | 'released' | 'evicted' | 'refused'
  payloadId?: string
  destination?: string
  recordId?: string
  vehiclePseudonym?: string
  codes?: string[]
  rules?: string[]
  categories?: string[]
  subjects?: string[]
  stripped?: number
  bytes?: number
  policyVersion?: number
  leaseId?: string
  detail?: string
}

const GENESIS = '0'.repeat(64)
const FILE = /^audit-(\d{10})\.jsonl$/

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex')
}

const RECORD_KEY = Buffer.from('"recordId":"')

/**
 * True once `isPending` is true for the recordId of a line of the file. Reads 64 KiB at a time
 * and decodes only the ids: a line is JSON written by append(), whose string values have every
 * `"` escaped, so the bytes `"recordId":"` occur only as the entry's own key.
 */
function anyRecordPending(path: string, isPending: (recordId: string) => boolean): boolean {
  const fd = openSync(path, 'r')
  try {
    const buf = Buffer.allocUnsafe(64 * 1024)
    let carry: Buffer | undefined
    // Searches within the line only: a search bounded by the chunk's end made a chunk of lines
    // without a record id cost lines × 64 KiB.
    const scan = (chunk: Buffer, start: number, end: number): boolean => {
      const line = chunk.subarray(start, end)
      const k = line.indexOf(RECORD_KEY)
      if (k < 0) return false
      const from = k + RECORD_KEY.length
      const to = line.indexOf(0x22, from)
      return to >= 0 && isPending(line.toString('utf8', from, to))
    }
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null)
      if (n === 0) break
      let chunk = buf.subarray(0, n)
      if (carry) chunk = Buffer.concat([carry, chunk])
      let start = 0
      for (let nl = chunk.indexOf(0x0a, start); nl >= 0; nl = chunk.indexOf(0x0a, start)) {
        if (scan(chunk, start, nl)) return true
        start = nl + 1
      }
      carry = start < chunk.length ? Buffer.from(chunk.subarray(start)) : undefined
    }
    return carry !== undefined && scan(carry, 0, carry.length)
  } finally {
    closeSync(fd)
  }
}

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir).filter((f) => FILE.test(f)).sort()
}

/** An open audit log directory. Appends are synchronous (one line per write). */
export class AuditLog {
  private seq = 0
  private prev = GENESIS
  private fileNo = 0
  private size = 0
  private dirty = false

  /**
   * Open `dir`, continuing the chain of its newest file. A torn last line (crash mid-write) is
   * left in place; verifyChain reports it and the chain continues from the last whole line.
   */
  constructor(
    private readonly dir: string,
    private readonly maxFileBytes: number,
    private readonly now: () => number = Date.now,
  ) {
    mkdirSync(dir, { recursive: true })
    const files = listFiles(dir)
    const newest = files[files.length - 1]
    if (newest) {
      this.fileNo = Number(FILE.exec(newest)![1])
      const text = readFileSync(join(dir, newest), 'utf8')
      this.size = Buffer.byteLength(text)
      const lines = text.split('\n').filter((l) => l.length > 0)
      for (let i = lines.length - 1; i >= 0; i--) {
        try {
          const e = JSON.parse(lines[i]!) as { seq: number; hash: string }
          this.seq = e.seq
          this.prev = e.hash
          break
        } catch {
          // torn line: continue from the last whole one
        }
      }
      if (!text.endsWith('\n') && text.length > 0) this.rotate() // never append to a torn line
    } else this.fileNo = 1
  }

  private get path(): string {
    return join(this.dir, `audit-${String(this.fileNo).padStart(10, '0')}.jsonl`)
  }

  private rotate(): void {
    this.fileNo++
    this.size = 0
  }

  /**
   * Append one entry to the chain.
   * @example audit.append({ event: 'hold', payloadId: 'p1', codes: ['ADX_HOLD_NEEDS_FILING'] })
   */
  append(entry: AuditEntry): void {
    if (this.size >= this.maxFileBytes) this.rotate()
    const body = { seq: this.seq + 1, at: this.now(), ...entry, prev: this.prev }
    const json = JSON.stringify(body)
    const hash = sha256(json)
    const line = `${JSON.stringify({ ...body, hash })}\n`
    appendFileSync(this.path, line)
    this.seq++
    this.prev = hash
    this.size += Buffer.byteLength(line)
    this.dirty = true
  }

  /** fsync the current file (called once per pipeline batch). */
  sync(): void {
    if (!this.dirty || !existsSync(this.path)) return
    const fd = openSync(this.path, 'r')
    try {
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    this.dirty = false
  }

  /**
   * Delete rotated files whose export records have all been acknowledged by the backend.
   * The newest file is never deleted. The chain stays verifiable: verifyChain starts at the
   * oldest remaining file. Returns the deleted file names.
   */
  prune(isPending: (recordId: string) => boolean): string[] {
    const files = listFiles(this.dir).filter((f) => f !== this.path.split('/').pop())
    const deleted: string[] = []
    for (const f of files) {
      // From a small buffer, ids only: reading a whole rotated file (maxFileBytes, 8 MiB by
      // default) as one string and parsing every line made ~40 MiB of garbage per prune.
      const pending = anyRecordPending(join(this.dir, f), isPending)
      if (pending) break // keep this one and every newer one (the chain stays contiguous)
      unlinkSync(join(this.dir, f))
      deleted.push(f)
    }
    return deleted
  }
}

/** Result of verifyChain. */
export interface ChainReport {
  ok: boolean
  files: number
  entries: number
  /** Unterminated last lines of files (crash mid-append), skipped; the chain continues after them. */
  tornTails: number
  /** First problem, e.g. "audit-0000000002.jsonl line 3: hash mismatch". */
  problem?: string
}

/**
 * Verify the chain across every file of `dir`, oldest first: each line's hash is the SHA-256 of
 * the line without its hash, each line names the previous line's hash, seq increases by one.
 * The oldest file's first `prev` is trusted (older files may have been pruned after ack).
 * An unterminated last line of a file (crash mid-append) is counted in `tornTails`, not a break.
 * @example const r = verifyChain('/var/lib/adx-agent/audit'); if (!r.ok) alert(r.problem)
 */
export function verifyChain(dir: string): ChainReport {
  const files = listFiles(dir)
  let prev: string | undefined
  let seq: number | undefined
  let entries = 0
  let tornTails = 0
  for (const f of files) {
    const text = readFileSync(join(dir, f), 'utf8')
    const lines = text.split('\n')
    for (let i = 0; i < lines.length; i++) {
      const l = lines[i]!
      if (l.length === 0) continue
      const where = `${f} line ${i + 1}`
      let e: Record<string, unknown>
      try {
        e = JSON.parse(l) as Record<string, unknown>
      } catch {
        // A crash mid-append leaves an unterminated last line; the log then continues in a new
        // file from the last whole line (the torn entry's batch was not committed, so it is
        // decided and logged again). Anything else that is not JSON is damage.
        if (i === lines.length - 1 && !text.endsWith('\n')) {
          tornTails++
          continue
        }
        return { ok: false, files: files.length, entries, tornTails, problem: `${where}: not JSON` }
      }
      const { hash, ...rest } = e
      if (sha256(JSON.stringify(rest)) !== hash) return { ok: false, files: files.length, entries, tornTails, problem: `${where}: hash mismatch` }
      if (prev !== undefined && e.prev !== prev) return { ok: false, files: files.length, entries, tornTails, problem: `${where}: prev does not match the previous line` }
      if (seq !== undefined && e.seq !== seq + 1) return { ok: false, files: files.length, entries, tornTails, problem: `${where}: seq ${String(e.seq)} after ${seq}` }
      prev = hash as string
      seq = e.seq as number
      entries++
    }
  }
  return { ok: true, files: files.length, entries, tornTails }
}

/** Throwing form of verifyChain. @throws AdxError ADX_ERR_AGENT_AUDIT_CHAIN */
export function assertChain(dir: string): ChainReport {
  const r = verifyChain(dir)
  if (!r.ok) throw new AdxError('ADX_ERR_AGENT_AUDIT_CHAIN', r.problem ?? 'unknown')
  return r
}
