/**
 * Mainland China mobile numbers: 11 digits `1[3-9]\d{9}`.
 *
 * Accepted written forms (span covers the whole form, value is the 11 digits):
 *   13812345678            contiguous
 *   138 1234 5678          3-4-4 grouping with one space, or one dash, used consistently
 *   138-1234-5678
 *   +86 / 0086 prefix      optionally followed by one space or dash: `+8613812345678`,
 *                          `+86 138-1234-5678`, `0086-13812345678`, `008613812345678`
 *   86 prefix              only with a space or dash after it (`86 13812345678`): a bare
 *                          `8613812345678` is a 13-digit number (like an epoch-ms timestamp)
 *
 * Boundaries: never inside a longer token (text.ts: no letter or digit adjacent), never
 * directly after `+` (that is another country code: `+13812345678` is +1 …), never part of
 * a decimal number. A grouped form must not continue a longer digit-group sequence
 * (`12 138 1234 5678`, `138-1234-5678-9`). So timestamps such as 1700000000000 and 11-digit
 * windows of longer digit runs never match.
 * Landlines, 400/800 numbers and other countries' numbers are out of scope.
 */
import type { IdentifierSpan } from './types.ts'
import { isDigitCode, isTokenCharAt } from './text.ts'

// Linear: no nested quantifiers; the only alternations are fixed-width.
const PHONE_RE = /(\+86[ -]?|0086[ -]?|86[ -])?1[3-9]\d(?:\d{8}|([ -])\d{4}\2\d{4})/g
const PHONE_BARE_RE = /^(?:(?:\+86|0086|86)[ -]?)?1[3-9]\d(?:\d{8}|([ -])\d{4}\1\d{4})$/

function isSep(c: number): boolean {
  return c === 32 || c === 45
}

function acceptable(text: string, s: number, e: number, prefixed: boolean, grouped: boolean): boolean {
  // Before.
  if (isTokenCharAt(text, s - 1)) return false
  const before = s > 0 ? text.charCodeAt(s - 1) : -1
  if (!prefixed) {
    if (before === 43 /* + */) return false
    if (before === 46 /* . */ && s >= 2 && isDigitCode(text.charCodeAt(s - 2))) return false
    if (grouped && isSep(before) && s >= 2 && isDigitCode(text.charCodeAt(s - 2))) return false
  }
  // After.
  if (isTokenCharAt(text, e)) return false
  if (e + 1 < text.length) {
    const after = text.charCodeAt(e)
    const next = text.charCodeAt(e + 1)
    if (after === 46 /* . */ && isDigitCode(next)) return false
    if (grouped && isSep(after) && isDigitCode(next)) return false
  }
  return true
}

/** The 11-digit number of a written phone form (prefix and separators dropped). */
function elevenDigits(form: string): string {
  let digits = ''
  for (let i = 0; i < form.length; i++) {
    const c = form.charCodeAt(i)
    if (isDigitCode(c)) digits += form[i]
  }
  return digits.slice(digits.length - 11)
}

/** Mainland mobile numbers in free text, in order (rules in the module doc). */
export function findPhones(text: string): IdentifierSpan[] {
  const out: IdentifierSpan[] = []
  PHONE_RE.lastIndex = 0
  let m: RegExpExecArray | null
  while ((m = PHONE_RE.exec(text)) !== null) {
    const s = m.index
    const e = s + m[0].length
    if (acceptable(text, s, e, m[1] !== undefined, m[2] !== undefined)) {
      out.push({ start: s, end: e, kind: 'phone', value: elevenDigits(m[0]) })
    } else {
      PHONE_RE.lastIndex = s + 1
    }
  }
  return out
}

/** Whether `s` (trimmed) is exactly one mainland mobile number in an accepted written form. */
export function isPhone(s: string): boolean {
  return PHONE_BARE_RE.test(s.trim())
}

/**
 * Best-effort normal form of a phone value: its digits, with a leading 86 / 0086 country
 * code dropped when that leaves an 11-digit mobile number.
 */
export function normalisePhone(s: string): string {
  let digits = ''
  for (let i = 0; i < s.length; i++) if (isDigitCode(s.charCodeAt(i))) digits += s[i]
  if (digits.length === 13 && digits.startsWith('861')) return digits.slice(2)
  if (digits.length === 15 && digits.startsWith('00861')) return digits.slice(4)
  return digits
}
