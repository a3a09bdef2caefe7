import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { ExportRecord } from '../../shared/wire/index.ts'
import { type PackedRow, rowText } from '../store/record-pack.ts'
import { ensure, type Growable, LineEncoder } from './line-encoder.ts'
import { csvRow, exportLogEntry, exportLogEntryJson } from './entries.ts'

// Text that exercises JSON escaping, CSV quoting and the formula guard; ids also as raw bytes
// (not always UTF-8), as they lie in a packed page.
const text = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme' }),
  fc.string({ unit: 'binary' }),
  fc.constantFrom('', '=1+1', '+x', '-5', '@a', 'a,b', 'say "hi"', 'back\\slash', 'l1\nl2', 'cr\r', 'tab\t', 'del\u007f', '\u0000', '\ud800', '\udc00x', '🚗', '车辆', '\u2028', 'vin', 'phone'),
)
const idBytes = fc.oneof(
  text.map((s) => Buffer.from(s, 'utf8')),
  fc.uint8Array({ maxLength: 12 }).map((a) => Buffer.from(a)),
  fc.constantFrom('VIN-LSVAU2180N2183001', 'rec-1', '', 'a-b_c.d').map((s) => Buffer.from(s)),
)
const num = fc.oneof(fc.integer(), fc.nat(), fc.constantFrom(0, -0, 9, 10, 1_770_000_000_000, 1e21, 2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2, -(2 ** 53), 1.5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -1e-7))
const few = fc.constantFrom('', 'oem-cloud', 'location', '=x', 'a,b', 'naïve')
const record: fc.Arbitrary<ExportRecord> = fc.record({
  recordId: fc.constant(''),
  payloadId: fc.constant(''),
  vehiclePseudonym: fc.constant(''),
  exportedMs: num,
  destination: fc.oneof(few, text),
  recipient: fc.constant(''),
  purpose: fc.oneof(few, text),
  kind: fc.integer({ min: -1, max: 8 }),
  categories: fc.array(fc.oneof(few, text), { maxLength: 4 }),
  ruleIds: fc.array(fc.oneof(few, text), { maxLength: 3 }),
  subjects: fc.array(fc.record({ pseudonym: fc.constant(''), kind: fc.oneof(fc.constantFrom('vin', 'phone', 'face', 'Vin', 'é'), text), sensitive: fc.boolean(), charging: fc.boolean() }), { maxLength: 6 }),
  originalBytes: num,
  exportedBytes: num,
  exemption: fc.option(fc.record({ exemption: fc.integer({ min: 0, max: 9 }), reference: text, purpose: text })),
  strippedItems: fc.nat(),
  cameraKm: num,
  cameraHours: num,
  rulePackVersion: fc.oneof(few, text),
  policyVersion: num,
  leaseId: fc.oneof(few, text),
})
const row = fc.record({ rowid: fc.nat(), year: fc.integer({ min: 1970, max: 2100 }), exportedMs: num, receivedMs: num, vehicle: idBytes, record: idBytes, pad: fc.nat(5), recipient: fc.oneof(few, text) })

describe('LineEncoder', () => {
  it('writes the bytes of exportLogEntryJson and csvRow, record after record (memos kept and changed), into buffers that grow', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(row, fc.option(record, { nil: undefined })), { minLength: 1, maxLength: 24 }), fc.integer({ min: 1, max: 4096 }), (rows, size) => {
        const enc = new LineEncoder()
        const json: Growable = { buf: Buffer.alloc(size), at: 0 }
        const csv: Growable = { buf: Buffer.alloc(size), at: 0 }
        const want: { json: Buffer[]; csv: Buffer[] } = { json: [], csv: [] }
        for (const [x, r] of rows) {
          const page = Buffer.concat([Buffer.alloc(x.pad, 0x22), x.vehicle, x.record, Buffer.alloc(x.pad, 0x2c)])
          const packed: PackedRow = {
            ...x,
            page,
            vehicleStart: x.pad,
            vehicleEnd: x.pad + x.vehicle.length,
            recordStart: x.pad + x.vehicle.length,
            recordEnd: x.pad + x.vehicle.length + x.record.length,
            body: null,
          }
          const stored = { ...x, vehicleId: rowText(packed, packed.vehicleStart, packed.vehicleEnd), recordId: rowText(packed, packed.recordStart, packed.recordEnd), body: null }
          const e = exportLogEntry(stored, r)
          want.json.push(Buffer.from(exportLogEntryJson(e), 'utf8'))
          want.csv.push(Buffer.from(`${csvRow(e)}\r\n`, 'utf8'))
          enc.encode(packed, r, json, csv)
        }
        expect(json.buf.subarray(0, json.at).toString('hex')).toBe(Buffer.concat(want.json).toString('hex'))
        expect(csv.buf.subarray(0, csv.at).toString('hex')).toBe(Buffer.concat(want.csv).toString('hex'))
      }),
      { numRuns: 3000 },
    )
  })

  it('ensure keeps the bytes written when it grows the buffer', () => {
    const g: Growable = { buf: Buffer.from('abc'), at: 3 }
    ensure(g, 0)
    expect(g.buf.length).toBe(3)
    ensure(g, 10)
    expect(g.buf.length).toBeGreaterThanOrEqual(13)
    expect(g.buf.subarray(0, 3).toString()).toBe('abc')
  })
})
