/**
 * Counting years in China Standard Time. The guidelines count persons "from 1 January of the
 * current year": the year turns at 00:00 CST on 1 January, which is 16:00 UTC on 31 December.
 * China has no daylight saving, so a fixed offset (minutes east of UTC, default +480) is exact.
 * Pure: no I/O, no clock.
 */

/** China Standard Time: UTC+8, in minutes east of UTC. */
export const CST_OFFSET_MINUTES = 480

const MINUTE_MS = 60_000

/** Validates an offset the way the rule pack does (-12:00 … +14:00, whole minutes). */
function checkOffset(utcOffsetMinutes: number): void {
  if (!Number.isInteger(utcOffsetMinutes) || utcOffsetMinutes < -720 || utcOffsetMinutes > 840) {
    throw new RangeError(`utcOffsetMinutes must be an integer in [-720, 840], got ${utcOffsetMinutes}`)
  }
}

/**
 * The counting year an instant belongs to: the calendar year on the wall clock at the given
 * UTC offset.
 * @example countingYear(Date.UTC(2025, 11, 31, 16, 0, 0)) // 2026 (00:00 CST, 1 Jan 2026)
 * @example countingYear(Date.UTC(2025, 11, 31, 15, 59, 59, 999)) // 2025
 */
export function countingYear(ms: number, utcOffsetMinutes: number = CST_OFFSET_MINUTES): number {
  checkOffset(utcOffsetMinutes)
  if (!Number.isFinite(ms)) throw new RangeError(`ms must be a finite number, got ${ms}`)
  return new Date(ms + utcOffsetMinutes * MINUTE_MS).getUTCFullYear()
}

/** Half-open window [startMs, endMs) of one counting year, in Unix epoch milliseconds. */
export interface YearWindow {
  /** First millisecond of the year (00:00:00.000 local time on 1 January). */
  startMs: number
  /** First millisecond of the following year (exclusive end). */
  endMs: number
}

/**
 * The window of a counting year.
 * @example yearWindow(2026) // { startMs: Date.UTC(2025, 11, 31, 16), endMs: Date.UTC(2026, 11, 31, 16) }
 */
export function yearWindow(year: number, utcOffsetMinutes: number = CST_OFFSET_MINUTES): YearWindow {
  checkOffset(utcOffsetMinutes)
  if (!Number.isInteger(year)) throw new RangeError(`year must be an integer, got ${year}`)
  const offsetMs = utcOffsetMinutes * MINUTE_MS
  // Date.UTC maps years 0..99 to 1900+; setUTCFullYear does not.
  const start = new Date(0)
  start.setUTCFullYear(year, 0, 1)
  const end = new Date(0)
  end.setUTCFullYear(year + 1, 0, 1)
  return { startMs: start.getTime() - offsetMs, endMs: end.getTime() - offsetMs }
}
