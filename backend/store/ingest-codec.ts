/**
 * A batch of IngestRecords as one byte buffer, for handing it to the ingest thread: one
 * transferable buffer instead of a structured clone of thousands of small objects (which the
 * thread would hold all at once, long enough to reach the old generation). The thread decodes
 * one record at a time inside the transaction, so a record's strings die young. The group-commit
 * queue encodes each message into its batch as it arrives (BatchBuilder), so on the event loop's
 * side too a waiting record is bytes, not objects.
 *
 *   batch  := count:u32 record*
 *   record := vehicleId recordId year:f64 exportedMs:f64 recipient leaseId body
 *             members:u32 (counter category member)* sums:u32 (counter category amount:f64)*
 *   body   := len:u32 bytes      (len 0xffffffff = null)
 *   string := len:u32 utf-8 bytes
 * (little endian)
 */
import type { IngestRecord, MemberUpdate, SumUpdate } from './types.ts'

const NULL_BODY = 0xffffffff

class Writer {
  buf: Buffer
  at = 0

  constructor(initial: Buffer) {
    this.buf = initial
  }

  room(n: number): void {
    if (this.at + n <= this.buf.length) return
    let size = this.buf.length * 2
    while (size < this.at + n) size *= 2
    const next = Buffer.allocUnsafeSlow(size)
    this.buf.copy(next, 0, 0, this.at)
    this.buf = next
  }

  u32(v: number): void {
    this.room(4)
    this.buf.writeUInt32LE(v, this.at)
    this.at += 4
  }

  f64(v: number): void {
    this.room(8)
    this.buf.writeDoubleLE(v, this.at)
    this.at += 8
  }

  str(s: string): void {
    this.room(4 + s.length * 3)
    const n = this.buf.write(s, this.at + 4, 'utf8')
    this.buf.writeUInt32LE(n, this.at)
    this.at += 4 + n
  }

  bytes(b: Uint8Array | null): void {
    if (b === null) return this.u32(NULL_BODY)
    this.room(4 + b.length)
    this.buf.writeUInt32LE(b.length, this.at)
    this.buf.set(b, this.at + 4)
    this.at += 4 + b.length
  }
}

function writeRecord(w: Writer, r: IngestRecord): void {
  w.str(r.vehicleId)
  w.str(r.recordId)
  w.f64(r.year)
  w.f64(r.exportedMs)
  w.str(r.recipient)
  w.str(r.leaseId)
  w.bytes(r.body)
  w.u32(r.members.length)
  for (const [counter, category, member] of r.members) {
    w.str(counter)
    w.str(category)
    w.str(member)
  }
  w.u32(r.sums.length)
  for (const [counter, category, amount] of r.sums) {
    w.str(counter)
    w.str(category)
    w.f64(amount)
  }
}

/**
 * A batch being gathered: the records of several messages encoded back to back into one buffer
 * (~0.7 KB a record instead of ~2 KB of objects, nothing for the collector to trace or promote),
 * with room for the count in front. Its buffer is meant to be reused (see `reset`).
 */
export class BatchBuilder {
  private readonly w: Writer
  /** Records in the batch. */
  count = 0

  /** `buffer`: where to start (it grows by doubling when a batch needs more). */
  constructor(buffer: Buffer = Buffer.allocUnsafeSlow(1 << 12)) {
    this.w = new Writer(buffer.length >= 4 ? buffer : Buffer.allocUnsafeSlow(1 << 12))
    this.w.at = 4
  }

  /** Bytes of the batch so far (count included). */
  get bytes(): number {
    return this.w.at
  }

  /** Appends records; returns where they start and end in the batch (for `slice`). */
  append(records: readonly IngestRecord[]): { start: number; end: number } {
    const start = this.w.at
    for (const r of records) writeRecord(this.w, r)
    this.count += records.length
    return { start, end: this.w.at }
  }

  /** Takes back the last append (bytes from `start` on, `count` records). */
  truncate(start: number, count: number): void {
    this.w.at = start
    this.count -= count
  }

  /** The batch (count, then the records): a view of this builder's buffer, valid until `reset`. */
  finish(): Uint8Array {
    this.w.buf.writeUInt32LE(this.count, 0)
    return this.w.buf.subarray(0, this.w.at)
  }

  /** A batch of its own (a copy) holding the records from `start` to `end`. */
  slice(start: number, end: number, count: number): Uint8Array {
    const out = Buffer.allocUnsafeSlow(4 + end - start)
    out.writeUInt32LE(count, 0)
    this.w.buf.copy(out, 4, start, end)
    return out
  }

  /** Copies the records from `start` to `end` of another builder's batch into this one. */
  appendFrom(other: BatchBuilder, start: number, end: number, count: number): { start: number; end: number } {
    const at = this.w.at
    this.w.room(end - start)
    other.w.buf.copy(this.w.buf, at, start, end)
    this.w.at += end - start
    this.count += count
    return { start: at, end: this.w.at }
  }

  /** Empties the builder and hands its buffer over (for the next builder). */
  release(): Buffer {
    const b = this.w.buf
    this.w.buf = Buffer.alloc(0)
    this.w.at = 0
    this.count = 0
    return b
  }
}

/**
 * Copies a batch into `into` when it is large enough, else into a new buffer with room to spare
 * (rounded up to 1 MiB), so that a buffer handed back by the ingest thread serves the next
 * batches. Returns the copy's view (offset 0 of its own, transferable buffer).
 */
export function copyBatch(batch: Uint8Array, into?: ArrayBuffer): Uint8Array {
  const buffer = into && into.byteLength >= batch.length ? into : new ArrayBuffer(Math.ceil(batch.length / 2 ** 20) * 2 ** 20)
  const out = new Uint8Array(buffer, 0, batch.length)
  out.set(batch)
  return out
}

/** Encodes records as one batch; the result owns its memory (transferable). */
export function encodeIngestBatch(records: readonly IngestRecord[]): Uint8Array {
  const b = new BatchBuilder()
  b.append(records)
  return b.finish()
}

/** Number of records in an encoded batch. */
export function batchLength(bytes: Uint8Array): number {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).readUInt32LE(0)
}

/** Decodes an encoded batch lazily, one record at a time (iterate again to start over). */
export function* decodeIngestBatch(bytes: Uint8Array): Generator<IngestRecord> {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let at = 0
  const u32 = () => {
    const v = b.readUInt32LE(at)
    at += 4
    return v
  }
  const f64 = () => {
    const v = b.readDoubleLE(at)
    at += 8
    return v
  }
  const str = () => {
    const n = u32()
    const s = b.toString('utf8', at, at + n)
    at += n
    return s
  }
  const count = u32()
  for (let i = 0; i < count; i++) {
    const vehicleId = str()
    const recordId = str()
    const year = f64()
    const exportedMs = f64()
    const recipient = str()
    const leaseId = str()
    const len = u32()
    let body: Uint8Array | null = null
    if (len !== NULL_BODY) {
      body = b.subarray(at, at + len)
      at += len
    }
    const members: MemberUpdate[] = new Array(u32())
    for (let m = 0; m < members.length; m++) members[m] = [str(), str(), str()]
    const sums: SumUpdate[] = new Array(u32())
    for (let s = 0; s < sums.length; s++) sums[s] = [str(), str(), f64()]
    yield { vehicleId, recordId, year, exportedMs, recipient, leaseId, body, members, sums }
  }
}
