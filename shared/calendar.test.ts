import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { countingYear, CST_OFFSET_MINUTES, yearWindow } from './calendar.ts'

/** 00:00 CST on 1 January 2026 = 16:00 UTC on 31 December 2025. */
const TURN_2026 = Date.UTC(2025, 11, 31, 16, 0, 0, 0)

describe('countingYear', () => {
  it('turns at 00:00 CST on 1 January, to the millisecond', () => {
    expect(countingYear(TURN_2026 - 1)).toBe(2025)
    expect(countingYear(TURN_2026)).toBe(2026)
    expect(countingYear(TURN_2026 + 1)).toBe(2026)
  })

  it('turns at 24:00 CST on 31 December (16:00 UTC), not at UTC midnight', () => {
    const turn2027 = Date.UTC(2026, 11, 31, 16)
    expect(countingYear(turn2027 - 1)).toBe(2026)
    expect(countingYear(turn2027)).toBe(2027)
    // UTC midnight of 1 Jan 2027 is already 08:00 CST: long into 2027.
    expect(countingYear(Date.UTC(2027, 0, 1))).toBe(2027)
    // 20:00 UTC 31 Dec 2026 is 04:00 CST 1 Jan 2027.
    expect(countingYear(Date.UTC(2026, 11, 31, 20))).toBe(2027)
  })

  it('defaults to China Standard Time', () => {
    expect(CST_OFFSET_MINUTES).toBe(480)
    expect(countingYear(TURN_2026, 0)).toBe(2025)
    expect(countingYear(Date.UTC(2026, 0, 1), 0)).toBe(2026)
    expect(countingYear(Date.UTC(2026, 0, 1) - 1, 0)).toBe(2025)
  })

  it('handles negative offsets and leap years', () => {
    expect(countingYear(Date.UTC(2025, 0, 1, 5) - 1, -300)).toBe(2024)
    expect(countingYear(Date.UTC(2025, 0, 1, 5), -300)).toBe(2025)
    expect(countingYear(Date.UTC(2024, 1, 29, 12))).toBe(2024)
  })

  it('rejects a bad offset or instant', () => {
    expect(() => countingYear(0, 481.5)).toThrow(RangeError)
    expect(() => countingYear(0, 900)).toThrow(RangeError)
    expect(() => countingYear(Number.NaN)).toThrow(RangeError)
  })
})

describe('yearWindow', () => {
  it('gives the exact CST window', () => {
    expect(yearWindow(2026)).toEqual({ startMs: TURN_2026, endMs: Date.UTC(2026, 11, 31, 16) })
    expect(yearWindow(2026, 0)).toEqual({ startMs: Date.UTC(2026, 0, 1), endMs: Date.UTC(2027, 0, 1) })
  })

  it('has startMs inside the year and endMs - 1 the last millisecond of it', () => {
    const w = yearWindow(2026)
    expect(countingYear(w.startMs)).toBe(2026)
    expect(countingYear(w.startMs - 1)).toBe(2025)
    expect(countingYear(w.endMs - 1)).toBe(2026)
    expect(countingYear(w.endMs)).toBe(2027)
  })

  it('works for years 0..99 (no Date.UTC two-digit quirk)', () => {
    const w = yearWindow(50, 0)
    expect(new Date(w.startMs).getUTCFullYear()).toBe(50)
  })
})

/** Reference computed another way: walk calendar arithmetic by hand (days from civil). */
function referenceYear(ms: number, offsetMinutes: number): number {
  const localMs = ms + offsetMinutes * 60_000
  const days = Math.floor(localMs / 86_400_000)
  // Howard Hinnant's civil_from_days.
  const z = days + 719_468
  const era = Math.floor(z / 146_097)
  const doe = z - era * 146_097
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365)
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100))
  const mp = Math.floor((5 * doy + 2) / 153)
  const month = mp < 10 ? mp + 3 : mp - 9
  const y = yoe + era * 400
  return month <= 2 ? y + 1 : y
}

describe('properties', () => {
  const instant = fc.integer({ min: Date.UTC(1971, 0, 1), max: Date.UTC(2200, 0, 1) })
  const offset = fc.integer({ min: -720, max: 840 })

  it('countingYear agrees with a days-from-civil reference', () => {
    fc.assert(
      fc.property(instant, offset, (ms, off) => {
        expect(countingYear(ms, off)).toBe(referenceYear(ms, off))
      }),
      { numRuns: 5000 },
    )
  })

  it('every instant lies in the window of its year', () => {
    fc.assert(
      fc.property(instant, offset, (ms, off) => {
        const w = yearWindow(countingYear(ms, off), off)
        expect(w.startMs <= ms && ms < w.endMs).toBe(true)
      }),
      { numRuns: 5000 },
    )
  })

  it('windows of consecutive years tile the time line', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1971, max: 2199 }), offset, (y, off) => {
        expect(yearWindow(y, off).endMs).toBe(yearWindow(y + 1, off).startMs)
        expect(countingYear(yearWindow(y, off).startMs, off)).toBe(y)
        expect(countingYear(yearWindow(y, off).startMs - 1, off)).toBe(y - 1)
      }),
    )
  })
})
