import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { ExportRecord } from '../../shared/wire/index.ts'
import type { StoredRecord } from '../store/types.ts'
import { csvField, csvRow, exportLogColumns, exportLogEntry, exportLogEntryJson, type ExportLogEntry } from './entries.ts'
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

// csvField (no memo) is the reference for csvRow over any parsed entry.
describe('csvRow', () => {
  it('writes what csvField writes for every column of any parsed entry, row after row', () => {
    // Few distinct values, so that columns repeat (the memo's path) and change (its reset).
    const value = fc.oneof(
      fc.constantFrom('a', 'a', '=x', 'b,c', '', 0, 1, -0, Number.NaN, null, true),
      fc.constantFrom(['x'], ['x', 'y'], ['x', null], [1, 'x'], [], [['n']]),
      fc.constantFrom({ vin: 1 }, { vin: 1, phone: 2 }, { phone: 2, vin: 1 }, { vin: '1' }, { vin: { a: 1 } }, {}, JSON.parse('{"__proto__":1}') as object),
      fc.jsonValue(),
    )
    const entry = fc.array(value, { minLength: exportLogColumns.length, maxLength: exportLogColumns.length })
    fc.assert(
      fc.property(fc.array(entry, { minLength: 1, maxLength: 8 }), (rows) => {
        for (const vals of rows) {
          const e = JSON.parse(JSON.stringify(Object.fromEntries(exportLogColumns.map((c, k) => [c, vals[k]])))) as ExportLogEntry
          // Both throw (a value String() cannot convert) or both write the same row.
          const outcome = (f: () => string) => {
            try {
              return f()
            } catch {
              return 'throws'
            }
          }
          expect(outcome(() => csvRow(e))).toBe(outcome(() => exportLogColumns.map((c) => csvField(e[c])).join(',')))
        }
      }),
      { numRuns: 1000 },
    )
  })
})
