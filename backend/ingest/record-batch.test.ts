import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { wire } from '../../shared/wire/index.ts'
import { decodeRecordBatchRecords, decodeRecordBatchSlow } from './record-batch.ts'

const text = fc.oneof(fc.string({ maxLength: 12 }), fc.string({ unit: 'grapheme', maxLength: 6 }), fc.constantFrom('', 'psn:phone:3f9c', 'veh-1'))
const u64 = fc.oneof(fc.nat(), fc.constantFrom(0, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1))
const record = fc.record({
  recordId: text,
  payloadId: text,
  vehiclePseudonym: text,
  exportedMs: fc.oneof(fc.integer({ min: -(2 ** 40), max: 2 ** 45 }), fc.constant(0)),
  destination: text,
  recipient: text,
  purpose: text,
  kind: fc.integer({ min: 0, max: 7 }),
  categories: fc.array(text, { maxLength: 3 }),
  ruleIds: fc.array(text, { maxLength: 3 }),
  subjects: fc.array(fc.record({ pseudonym: text, kind: fc.constantFrom('vin', 'phone', '1', 'é'), sensitive: fc.boolean(), charging: fc.boolean() }), { maxLength: 3 }),
  originalBytes: u64,
  exportedBytes: u64,
  exemption: fc.option(fc.record({ exemption: fc.integer({ min: 0, max: 9 }), reference: text, purpose: text }), { nil: null }),
  strippedItems: fc.nat(),
  cameraKm: fc.double({ noNaN: true }),
  cameraHours: fc.double({ noNaN: true }),
  rulePackVersion: text,
  policyVersion: u64,
  leaseId: text,
})
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
