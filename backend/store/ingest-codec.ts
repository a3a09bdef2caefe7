/**
 * A batch of IngestRecords as one byte buffer, for handing it to the ingest thread: one
 * transferable buffer instead of a structured clone of thousands of small objects (which the
 * thread would hold all at once, long enough to reach the old generation). The thread decodes
 * one record at a time inside the transaction, so a record's strings die young.
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

  constructor(sizeHint: number) {
    this.buf = Buffer.allocUnsafe(Math.max(1 << 12, sizeHint))
  }

  private room(n: number): void {
    if (this.at + n <= this.buf.length) return
    let size = this.buf.length * 2
    while (size < this.at + n) size *= 2
    const next = Buffer.allocUnsafe(size)
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

/** Encodes records; the result owns its memory (transferable). */
export function encodeIngestBatch(records: readonly IngestRecord[]): Uint8Array {
  // Sized from the first record so that a batch rarely grows (each growth leaves a copy behind).
  const first = records[0]
  const per = first ? 96 + 2 * (first.vehicleId.length + first.recordId.length + first.recipient.length) + (first.body?.length ?? 0) + first.members.length * 96 : 0
  const w = new Writer(4 + Math.ceil(per * records.length * 1.25))
  w.u32(records.length)
  for (const r of records) {
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
  // The writer's buffers are never from Node's shared pool (≥ 4 KiB), so this one can be transferred.
  return w.buf.subarray(0, w.at)
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
