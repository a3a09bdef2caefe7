/**
 * PURE: an ExportRecordBatch's records, decoded as protobufjs's decode + toObject({ defaults,
 * arrays }) gives them, through the audit's record decoder (backend/audit/record-codec.ts:
 * straight from the bytes, no message instances, no conversion pass). The batch's one field
 * (`repeated ExportRecord records = 1`) is split here; anything unusual about it (another field,
 * a malformed length) or a record the fast decoder cannot take goes to protobufjs for the whole
 * batch, so what decodes (or fails, and with what message) is what protobufjs says.
 */
import { type ExportRecord, wire } from '../../shared/wire/index.ts'
import { decodeRecord } from '../audit/record-codec.ts'

/** protobufjs's decoding of a batch, the reference. */
export function decodeRecordBatchSlow(payload: Uint8Array): ExportRecord[] {
  const msg = wire.ExportRecordBatch.decode(payload)
  return (wire.ExportRecordBatch.toObject(msg, { defaults: true, arrays: true }) as { records: ExportRecord[] }).records
}

/** Each record's bytes, when the batch is only well-formed `records` fields; else undefined. */
function splitBatch(p: Uint8Array): Uint8Array[] | undefined {
  const out: Uint8Array[] = []
  let i = 0
  while (i < p.length) {
    if (p[i] !== 0x0a) return undefined // field 1, length-delimited
    i++
    let len = 0
    let shift = 0
    let b: number
    do {
      if (i >= p.length || shift > 28) return undefined
      b = p[i++]!
      len += (b & 0x7f) * 2 ** shift
      shift += 7
    } while (b & 0x80)
    if (i + len > p.length) return undefined
    out.push(p.subarray(i, i + len))
    i += len
  }
  return out
}

/**
 * The records of an ExportRecordBatch.
 * @throws what protobufjs throws on a batch it cannot decode.
 * @example decodeRecordBatchRecords(payload)[0].recordId
 */
export function decodeRecordBatchRecords(payload: Uint8Array): ExportRecord[] {
  const parts = splitBatch(payload)
  if (parts) {
    try {
      return parts.map((p) => decodeRecord(p))
    } catch {
      // A record protobufjs refuses: let it refuse the batch, with its own message.
    }
  }
  return decodeRecordBatchSlow(payload)
}
