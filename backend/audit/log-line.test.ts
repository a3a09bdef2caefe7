import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { ExportRecord } from '../../shared/wire/index.ts'
import type { StoredRecord } from '../store/types.ts'
import { csvRow, exportLogEntry, exportLogEntryJson } from './entries.ts'
import { exportLogTexts } from './log-line.ts'

// Text that exercises JSON escaping, CSV quoting and the formula guard.
const text = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme' }),
  fc.string({ unit: 'binary' }),
  fc.constantFrom('', '=1+1', '+x', '-5', '@a', 'a,b', 'say "hi"', 'l1\nl2', 'cr\r', 'tab\t', '\u0000', '\ud800', '\udc00x', '🚗', '车辆', '\u2028', '__proto__', 'constructor', '1', '01'),
)
const num = fc.oneof(fc.integer(), fc.constantFrom(0, -0, 1e21, 2 ** 53 + 2, 1.5, Number.NaN, Number.POSITIVE_INFINITY, -1e-7))
const record: fc.Arbitrary<ExportRecord> = fc.record({
  recordId: text,
  payloadId: text,
  vehiclePseudonym: text,
  exportedMs: num,
  destination: text,
  recipient: text,
  purpose: text,
  kind: fc.integer({ min: -1, max: 8 }),
  categories: fc.array(text, { maxLength: 4 }),
  ruleIds: fc.array(text, { maxLength: 3 }),
  subjects: fc.array(fc.record({ pseudonym: text, kind: fc.oneof(text, fc.constantFrom('vin', 'phone', 'face')), sensitive: fc.boolean(), charging: fc.boolean() }), { maxLength: 5 }),
  originalBytes: num,
  exportedBytes: num,
  exemption: fc.option(fc.record({ exemption: fc.integer({ min: 0, max: 9 }), reference: text, purpose: text })),
  strippedItems: fc.nat(),
  cameraKm: num,
  cameraHours: num,
  rulePackVersion: text,
  policyVersion: num,
  leaseId: text,
})
const stored: fc.Arbitrary<StoredRecord> = fc.record({
  rowid: fc.nat(),
  vehicleId: text,
  recordId: text,
  year: fc.integer({ min: 1970, max: 2100 }),
  exportedMs: num,
  receivedMs: num,
  recipient: text,
  body: fc.constant(null),
})

describe('exportLogTexts', () => {
  it('writes exactly what exportLogEntryJson and csvRow write for the same entry', () => {
    fc.assert(
      fc.property(stored, fc.option(record, { nil: undefined }), (s, r) => {
        const e = exportLogEntry(s, r)
        expect(exportLogTexts(s, r)).toEqual({ json: exportLogEntryJson(e), csv: csvRow(e) })
      }),
      { numRuns: 3000 },
    )
  })
})
