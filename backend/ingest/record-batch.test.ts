import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { exportRecordArb, textArb } from '../../test/helpers/export-record-arbitrary.ts'
import { wire } from '../../shared/wire/index.ts'
import { decodeRecordBatchRecords, decodeRecordBatchSlow } from './record-batch.ts'

const text = textArb('veh-1')
const record = exportRecordArb(text)
const batch = (records: unknown[]) => wire.ExportRecordBatch.encode(wire.ExportRecordBatch.fromObject({ records })).finish()
/** What a call gives: its value, or that it threw and with what message. */
const outcome = (f: () => unknown) => {
  try {
    return { value: f() }
  } catch (e) {
    return { error: (e as Error).message }
  }
}

describe('ExportRecordBatch decoding', () => {
  it('gives what protobufjs decode + toObject gives', () => {
    fc.assert(
      fc.property(fc.array(record, { maxLength: 5 }), (rs) => {
        const bytes = batch(rs)
        expect(decodeRecordBatchRecords(bytes)).toEqual(decodeRecordBatchSlow(bytes))
      }),
      { numRuns: 300 },
    )
  })

  it('decodes or refuses damaged batches exactly as protobufjs does (same records, same message)', () => {
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 3 }), fc.nat(), fc.integer({ min: 0, max: 255 }), fc.nat({ max: 8 }), (rs, at, byte, cut) => {
        const bytes = Buffer.from(batch(rs))
        bytes[at % bytes.length] = byte
        const damaged = bytes.subarray(0, Math.max(0, bytes.length - cut))
        expect(outcome(() => decodeRecordBatchRecords(damaged))).toEqual(outcome(() => decodeRecordBatchSlow(damaged)))
      }),
      { numRuns: 500 },
    )
  })

  it('takes a batch with another field through protobufjs', () => {
    const bytes = Buffer.concat([batch([{ recordId: 'a' }]), Buffer.from([0x10, 0x01])])
    expect(decodeRecordBatchRecords(bytes)).toEqual(decodeRecordBatchSlow(bytes))
  })
})
