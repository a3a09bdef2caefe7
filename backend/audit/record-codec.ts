/**
 * PURE: a fast decoder of stored ExportRecord bodies for the audit export, the hot loop of a
 * year's export (1,000,000 records). It gives exactly what
 * `wire.ExportRecord.toObject(wire.ExportRecord.decode(body), { defaults: true, arrays: true })`
 * gives (int64 as numbers, enums as numbers, absent exemption as null), but reads the bytes
 * directly: no Reader, no message instance, no conversion pass.
 *
 * It only takes the common, well-formed path: every field with its expected wire type, varints
 * that fit their type, strings inside the body. Anything else (an unknown field, a field with an
 * unexpected wire type, an over-long or truncated varint, a string past the end) falls back to
 * protobufjs itself, so unusual bodies decode (or fail) exactly as they always did.
 */
import protobuf from 'protobufjs'
import { type ExemptionClaim, type ExportRecord, type Subject, wire } from '../../shared/wire/index.ts'
import type { NameTable } from './name-table.ts'

/** Thrown inside the fast path when protobufjs must decide. */
class Unusual extends Error {}
const UNUSUAL = new Unusual('unusual body')

const NONE = new Uint8Array(0)
const NONE_BUF = Buffer.alloc(0)
let buf: Uint8Array = NONE
let text: Buffer = NONE_BUF
let isBuffer = false
let pos = 0

/** A varint of at most 5 bytes whose value fits 32 bits (as protobufjs's uint32 reads it). */
function u32(end: number): number {
  let v = 0
  for (let shift = 0; shift < 28; shift += 7) {
    if (pos >= end) throw UNUSUAL
    const b = buf[pos++]!
    v |= (b & 127) << shift
    if (b < 128) return v >>> 0
  }
  if (pos >= end) throw UNUSUAL
  const b = buf[pos++]!
  if (b >= 16) throw UNUSUAL
  return (v | (b << 28)) >>> 0
}

/** A 64-bit varint as protobufjs's LongBits.toNumber(unsigned) gives it. */
function u64(end: number, unsigned: boolean): number {
  const start = pos
  let lo = 0
  let hi = 0
  let b = 0
  let i = 0
  for (; i < 4; i++) {
    if (pos >= end) throw UNUSUAL
    b = buf[pos++]!
    lo = (lo | ((b & 127) << (i * 7))) >>> 0
    if (b < 128) break
  }
  if (i === 4) {
    if (pos >= end) throw UNUSUAL
    b = buf[pos++]!
    lo = (lo | ((b & 127) << 28)) >>> 0
    hi = (hi | ((b & 127) >> 4)) >>> 0
    if (b >= 128) {
      for (i = 0; ; i++) {
        if (i === 5 || pos >= end) throw UNUSUAL
        b = buf[pos++]!
        hi = (hi | ((b & 127) << (i * 7 + 3))) >>> 0
        if (b < 128) break
      }
    }
  }
  // protobufjs reads varints of 4 bytes or more differently within 4 bytes of the end.
  if (pos - start >= 4 && end - start <= 4) throw UNUSUAL
  if (!unsigned && hi >>> 31) {
    const l = (~lo + 1) >>> 0
    let h = ~hi >>> 0
    if (!l) h = (h + 1) >>> 0
    return -(l + h * 4294967296)
  }
  return lo + hi * 4294967296
}

/**
 * The last string each field decoded (its bytes and its string): fields like a subject's kind,
 * the destination, purpose, categories or rule pack version repeat from record to record, and
 * comparing a few bytes is cheaper than making (and later collecting) the same string again.
 */
const MEMO_MAX = 48
const memoBytes: Uint8Array[] = []
const memoText: string[] = []
/**
 * Memo slots: one per repeating field, and for lists one per position (a record's categories
 * are often the same two, in the same order, as the last record's).
 */
const Slot = { Kind: 0, Destination: 4, Purpose: 5, Category: 6, RuleId: 10, RulePackVersion: 14, LeaseId: 15, Count: 16 } as const
/** Positions of a list with a slot of their own (Kind, Category, RuleId: 4 each). */
const LISTED = 4
for (let k = 0; k < Slot.Count; k++) {
  memoBytes.push(new Uint8Array(MEMO_MAX))
  memoText.push('')
}
const memoLen = new Int32Array(Slot.Count).fill(-1)

/** str(end) through memo slot `slot`. */
function strMemo(end: number, slot: number): string {
  const save = pos
  const n = u32(end)
  const s = pos
  if (n > MEMO_MAX || s + n > end) {
    pos = save
    return str(end)
  }
  const m = memoBytes[slot]!
  if (memoLen[slot] === n) {
    let k = 0
    while (k < n && buf[s + k] === m[k]) k++
    if (k === n) {
      pos = s + n
      return memoText[slot]!
    }
  }
  pos = save
  const t = str(end)
  m.set(buf.subarray(s, s + n))
  memoLen[slot] = n
  memoText[slot] = t
  return t
}

/** Skips a length-delimited field (a string the caller does not want). */
function skip(end: number): string {
  const n = u32(end)
  if (pos + n > end) throw UNUSUAL
  pos += n
  return ''
}

/** Whether the record being decoded skips the strings the audit export takes from the store. */
let lean = false
/** decodeAuditRecord's table of person pseudonyms, if it was given one. */
let persons: NameTable | undefined

/** A subject as decodeAuditRecord gives it when given a name table: the pseudonym as its id there. */
export interface AuditSubject extends Subject {
  /** The pseudonym's id in the table (its text then is ''). */
  person?: number
}

/** An export record as decodeAuditRecord gives it. */
export type AuditRecord = Omit<ExportRecord, 'subjects'> & { subjects: AuditSubject[] }

function str(end: number): string {
  const n = u32(end)
  const s = pos
  const e = s + n
  if (e > end) throw UNUSUAL
  pos = e
  for (let k = s; k < e; k++) if (buf[k]! >= 128) return isBuffer ? text.toString('utf8', s, e) : protobuf.util.utf8.read(buf.subarray(s, e), 0, n)
  return (text as Buffer & { latin1Slice(s: number, e: number): string }).latin1Slice(s, e)
}

function f64(end: number): number {
  if (pos + 8 > end) throw UNUSUAL
  const v = text.readDoubleLE(pos)
  pos += 8
  return v
}

/** Wire type of a tag must be `wt`. */
function expect(tag: number, wt: number): void {
  if ((tag & 7) !== wt) throw UNUSUAL
}

function subject(end: number, index: number): Subject {
  const s: AuditSubject = persons ? { pseudonym: '', kind: '', sensitive: false, charging: false, person: -1 } : { pseudonym: '', kind: '', sensitive: false, charging: false }
  while (pos < end) {
    const t = u32(end)
    switch (t >>> 3) {
      case 1:
        expect(t, 2)
        if (persons) {
          const n = u32(end)
          if (pos + n > end) throw UNUSUAL
          s.person = persons.idOfBytes(buf, pos, (pos += n))
        } else s.pseudonym = str(end)
        break
      case 2:
        expect(t, 2)
        s.kind = index < LISTED ? strMemo(end, Slot.Kind + index) : str(end)
        break
      case 3:
        expect(t, 0)
        s.sensitive = u32(end) !== 0
        break
      case 4:
        expect(t, 0)
        s.charging = u32(end) !== 0
        break
      default:
        throw UNUSUAL
    }
  }
  if (pos !== end) throw UNUSUAL
  // No pseudonym on the wire: the empty one.
  if (s.person === -1) s.person = persons!.id('')
  return s
}

function exemption(end: number): ExemptionClaim {
  const x = { exemption: 0, reference: '', purpose: '' }
  while (pos < end) {
    const t = u32(end)
    switch (t >>> 3) {
      case 1:
        expect(t, 0)
        x.exemption = u32(end) | 0
        break
      case 2:
        expect(t, 2)
        x.reference = str(end)
        break
      case 3:
        expect(t, 2)
        x.purpose = str(end)
        break
      default:
        throw UNUSUAL
    }
  }
  if (pos !== end) throw UNUSUAL
  return x
}

function nested(end: number): number {
  const n = u32(end)
  const e = pos + n
  if (e > end) throw UNUSUAL
  return e
}

function fast(body: Uint8Array): ExportRecord {
  buf = body
  isBuffer = Buffer.isBuffer(body)
  text = isBuffer ? (body as Buffer) : Buffer.from(body.buffer, body.byteOffset, body.byteLength)
  pos = 0
  const end = body.length
  const r: ExportRecord = {
    recordId: '',
    payloadId: '',
    vehiclePseudonym: '',
    exportedMs: 0,
    destination: '',
    recipient: '',
    purpose: '',
    kind: 0,
    categories: [],
    ruleIds: [],
    subjects: [],
    originalBytes: 0,
    exportedBytes: 0,
    exemption: null,
    strippedItems: 0,
    cameraKm: 0,
    cameraHours: 0,
    rulePackVersion: '',
    policyVersion: 0,
    leaseId: '',
  }
  while (pos < end) {
    const t = u32(end)
    switch (t >>> 3) {
      case 1:
        expect(t, 2)
        r.recordId = lean ? skip(end) : str(end)
        break
      case 2:
        expect(t, 2)
        r.payloadId = lean ? skip(end) : str(end)
        break
      case 3:
        expect(t, 2)
        r.vehiclePseudonym = lean ? skip(end) : str(end)
        break
      case 4:
        expect(t, 0)
        r.exportedMs = u64(end, false)
        break
      case 5:
        expect(t, 2)
        r.destination = strMemo(end, Slot.Destination)
        break
      case 6:
        expect(t, 2)
        r.recipient = lean ? skip(end) : str(end)
        break
      case 7:
        expect(t, 2)
        r.purpose = strMemo(end, Slot.Purpose)
        break
      case 8:
        expect(t, 0)
        r.kind = u32(end) | 0
        break
      case 9:
        expect(t, 2)
        r.categories.push(r.categories.length < LISTED ? strMemo(end, Slot.Category + r.categories.length) : str(end))
        break
      case 10:
        expect(t, 2)
        r.ruleIds.push(r.ruleIds.length < LISTED ? strMemo(end, Slot.RuleId + r.ruleIds.length) : str(end))
        break
      case 11: {
        expect(t, 2)
        r.subjects.push(subject(nested(end), r.subjects.length))
        break
      }
      case 12:
        expect(t, 0)
        r.originalBytes = u64(end, true)
        break
      case 13:
        expect(t, 0)
        r.exportedBytes = u64(end, true)
        break
      case 14:
        expect(t, 2)
        r.exemption = exemption(nested(end))
        break
      case 15:
        expect(t, 0)
        r.strippedItems = u32(end)
        break
      case 16:
        expect(t, 1)
        r.cameraKm = f64(end)
        break
      case 17:
        expect(t, 1)
        r.cameraHours = f64(end)
        break
      case 18:
        expect(t, 2)
        r.rulePackVersion = strMemo(end, Slot.RulePackVersion)
        break
      case 19:
        expect(t, 0)
        r.policyVersion = u64(end, true)
        break
      case 20:
        expect(t, 2)
        r.leaseId = strMemo(end, Slot.LeaseId)
        break
      default:
        throw UNUSUAL
    }
  }
  return r
}

/** protobufjs's own decoding, the reference. */
export function decodeRecordSlow(body: Uint8Array): ExportRecord {
  return wire.ExportRecord.toObject(wire.ExportRecord.decode(body), { defaults: true, arrays: true }) as ExportRecord
}

/**
 * Decodes a stored ExportRecord body as protobufjs's decode + toObject({ defaults, arrays }) does.
 * @throws what protobufjs throws on a body it cannot decode.
 * @example decodeRecord(stored.body).ruleIds
 */
export function decodeRecord(body: Uint8Array): ExportRecord {
  try {
    return fast(body)
  } catch (e) {
    if (e !== UNUSUAL) throw e
    return decodeRecordSlow(body)
  } finally {
    buf = NONE
    text = NONE_BUF
  }
}

/**
 * decodeRecord for the audit export, which takes the record id, vehicle and recipient from the
 * store's columns: recordId, payloadId, vehiclePseudonym and recipient are left '' (when the
 * body takes the fast path; protobufjs's fallback fills them). Given a name table, each subject's
 * pseudonym is interned there from its bytes and given as `person` (its text left ''), no string
 * made. Everything else is decodeRecord's.
 * @throws what protobufjs throws on a body it cannot decode.
 * @example decodeAuditRecord(stored.body, catalogue.persons).subjects
 */
export function decodeAuditRecord(body: Uint8Array, table?: NameTable): AuditRecord {
  lean = true
  persons = table
  try {
    return decodeRecord(body)
  } finally {
    lean = false
    persons = undefined
  }
}
