/**
 * PRC resident identity card numbers (公民身份号码, GB 11643-1999), 18 characters:
 * 6-digit administrative region code + 8-digit birth date YYYYMMDD + 3-digit sequence +
 * ISO 7064 MOD 11-2 check character ('0'..'9' or 'X').
 *
 * Rules decided:
 * - The first two digits must be a real province-level code: 11–15, 21–23, 31–37, 41–46,
 *   50–54, 61–65, 71 (Taiwan), 81 (Hong Kong), 82 (Macau), 83 (residence permits for Taiwan
 *   residents). The remaining four region digits are not checked (codes are re-issued).
 * - The birth date must be a real calendar date from 1900-01-01 to today (Beijing time,
 *   with one day of slack for clock skew).
 * - The check character is required; a lowercase `x` is accepted and normalised to `X`.
 * - Free text: the token (text.ts) must be exactly these 18 characters and not part of a
 *   decimal number.
 * - The old 15-digit cards (pre-1999, no check digit) are not detected (see README).
 */
import type { IdentifierSpan } from './types.ts'
import { mod11_2CheckChar } from './checksum.ts'
import { allDigits, forEachToken, isPartOfDecimal } from './text.ts'

const PROVINCES = new Set([
  11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61,
  62, 63, 64, 65, 71, 81, 82, 83,
])

/** The province-level codes accepted as the first two digits. */
export const PROVINCE_CODES: ReadonlySet<number> = PROVINCES

function num(text: string, start: number, len: number): number {
  let v = 0
  for (let i = start; i < start + len; i++) v = v * 10 + (text.charCodeAt(i) - 48)
  return v
}

/** Today's date as YYYYMMDD in Beijing time (UTC+8), plus one day of slack. */
function latestBirthDate(nowMs: number): number {
  const d = new Date(nowMs + 8 * 3600_000 + 24 * 3600_000)
  return d.getUTCFullYear() * 10000 + (d.getUTCMonth() + 1) * 100 + d.getUTCDate()
}

function validDate(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) return false
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0
  const days = m === 2 ? (leap ? 29 : 28) : m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31
  return d <= days
}

/** The normalised ID if text[start, start+18) is a resident ID number, else ''. */
export function residentIdAt(text: string, start: number, nowMs: number = Date.now()): string {
  if (start < 0 || start + 18 > text.length) return ''
  if (!allDigits(text, start, start + 17)) return ''
  if (!PROVINCES.has(num(text, start, 2))) return ''
  const y = num(text, start + 6, 4)
  const m = num(text, start + 10, 2)
  const d = num(text, start + 12, 2)
  if (y < 1900 || !validDate(y, m, d)) return ''
  if (y * 10000 + m * 100 + d > latestBirthDate(nowMs)) return ''
  const check = mod11_2CheckChar(text, start)
  const c = text.charCodeAt(start + 17)
  if (c !== check.charCodeAt(0) && !(check === 'X' && c === 120 /* x */)) return ''
  return check === 'X' ? text.slice(start, start + 17) + 'X' : text.slice(start, start + 18)
}

/** Whether `s` is exactly a PRC resident ID number (rules in the module doc). */
export function isResidentId(s: string, nowMs: number = Date.now()): boolean {
  return s.length === 18 && residentIdAt(s, 0, nowMs) !== ''
}

/**
 * A resident ID number with its check character computed from the first 17 digits
 * (region, birth date, sequence). Does not validate region or date — the simulator may
 * want invalid ones for negative tests. Throws RangeError if `prefix17` is not 17 digits.
 */
export function makeResidentId(prefix17: string): string {
  if (prefix17.length !== 17 || !allDigits(prefix17, 0, 17)) {
    throw new RangeError(`makeResidentId: need 17 digits, got ${JSON.stringify(prefix17)}`)
  }
  return prefix17 + mod11_2CheckChar(prefix17, 0)
}

/** The span if the token text[start, end) is a resident ID number, else undefined. */
export function residentIdTokenSpan(text: string, start: number, end: number): IdentifierSpan | undefined {
  if (end - start !== 18 || isPartOfDecimal(text, start, end)) return undefined
  const value = residentIdAt(text, start)
  return value === '' ? undefined : { start, end, kind: 'resident-id', value }
}

/** Resident ID numbers in free text, in order. */
export function findResidentIds(text: string): IdentifierSpan[] {
  const out: IdentifierSpan[] = []
  forEachToken(text, 18, 18, (start, end) => {
    const span = residentIdTokenSpan(text, start, end)
    if (span) out.push(span)
  })
  return out
}
