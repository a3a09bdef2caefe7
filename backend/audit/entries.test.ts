import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { csvField, csvRow, exportLogColumns, type ExportLogEntry } from './entries.ts'

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
