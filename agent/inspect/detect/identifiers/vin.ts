/**
 * Vehicle Identification Numbers (ISO 3779; GB 16735 in China; 49 CFR 565 in North America).
 *
 * A VIN is 17 characters from [A-HJ-NPR-Z0-9] (no I, O, Q). Position 9 is the check digit:
 * each character is transliterated (digits as themselves, A1 B2 C3 D4 E5 F6 G7 H8 J1 K2 L3
 * M4 N5 P7 R9 S2 T3 U4 V5 W6 X7 Y8 Z9), multiplied by 8,7,6,5,4,3,2,10,0,9,8,7,6,5,4,3,2,
 * summed, and the remainder mod 11 is the check digit ('X' for 10). ISO 3779 makes the
 * check digit optional, but North America and China (GB 16735) require it, so a valid
 * check digit is required here — without it any 17-char token would be a "VIN".
 *
 * Rules decided:
 * - Case-insensitive; the normalised value is uppercase.
 * - `isVin(s)` (a bare value, e.g. a field that says it is a VIN): charset + check digit.
 * - `findVins(text)` (free text) is stricter, to keep false positives down: the token (see
 *   text.ts) must be exactly 17 chars, pass the check digit, have its last four characters
 *   numeric (ISO 3779 / GB 16735 rule for the VIS serial) and contain at least one letter
 *   (a bare 17-digit number is far more often a counter than a VIN).
 */
import type { IdentifierSpan } from './types.ts'
import { forEachToken, isDigitCode, isAsciiLetterCode } from './text.ts'

// Transliteration value per ASCII code (upper and lower case); -1 = not allowed (I, O, Q, other).
const VALUE = new Int8Array(128).fill(-1)
for (let d = 0; d <= 9; d++) VALUE[48 + d] = d
const LETTERS = 'ABCDEFGHJKLMNPRSTUVWXYZ'
const LETTER_VALUES = [1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 7, 9, 2, 3, 4, 5, 6, 7, 8, 9]
for (let k = 0; k < LETTERS.length; k++) {
  VALUE[LETTERS.charCodeAt(k)] = LETTER_VALUES[k]!
  VALUE[LETTERS.charCodeAt(k) + 32] = LETTER_VALUES[k]!
}
const WEIGHTS = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2] as const

/** Remainder (0..10) of the weighted sum of text[start, start+17), or -1 if a char is not allowed. */
function remainderAt(text: string, start: number): number {
  let sum = 0
  for (let i = 0; i < 17; i++) {
    const c = text.charCodeAt(start + i)
    const v = c < 128 ? VALUE[c]! : -1
    if (v < 0) return -1
    sum += v * WEIGHTS[i]!
  }
  return sum % 11
}

function checkCharCode(remainder: number): number {
  return remainder === 10 ? 88 /* X */ : 48 + remainder
}

/** Whether text[start, start+17) is a VIN with a valid check digit (no extra free-text rules). */
export function vinValidAt(text: string, start: number): boolean {
  if (start < 0 || start + 17 > text.length) return false
  const r = remainderAt(text, start)
  if (r < 0) return false
  const c = text.charCodeAt(start + 8)
  return c === checkCharCode(r) || (r === 10 && c === 120) /* x */
}

/**
 * The check digit ('0'..'9' or 'X') for a 17-character VIN (its own position 9 is ignored:
 * weight 0). Throws RangeError if `vin` is not 17 characters from [A-HJ-NPR-Z0-9]
 * (case-insensitive).
 */
export function vinCheckDigit(vin: string): string {
  if (vin.length !== 17) throw new RangeError(`vinCheckDigit: need 17 characters, got ${vin.length}`)
  const r = remainderAt(vin, 0)
  if (r < 0) throw new RangeError(`vinCheckDigit: invalid VIN character in ${JSON.stringify(vin)}`)
  return String.fromCharCode(checkCharCode(r))
}

/** Whether `s` is exactly a VIN: 17 chars from [A-HJ-NPR-Z0-9] (any case) with a valid check digit. */
export function isVin(s: string): boolean {
  return s.length === 17 && vinValidAt(s, 0)
}

/**
 * A VIN with its check digit filled in, uppercase. `chars` is either the 16 characters
 * other than the check digit (positions 1–8 and 10–17, e.g. 'LSVAU218' + 'N2183294'), or
 * 17 characters whose position 9 (any placeholder) is replaced. Throws RangeError on bad input.
 */
export function makeVin(chars: string): string {
  let full: string
  if (chars.length === 16) full = chars.slice(0, 8) + '0' + chars.slice(8)
  else if (chars.length === 17) full = chars.slice(0, 8) + '0' + chars.slice(9)
  else throw new RangeError(`makeVin: need 16 (or 17) characters, got ${chars.length}`)
  const check = vinCheckDigit(full)
  return (full.slice(0, 8) + check + full.slice(9)).toUpperCase()
}

/** Free-text plausibility on top of the check digit: last four numeric, at least one letter. */
function plausibleAt(text: string, start: number): boolean {
  for (let i = start + 13; i < start + 17; i++) if (!isDigitCode(text.charCodeAt(i))) return false
  for (let i = start; i < start + 13; i++) if (isAsciiLetterCode(text.charCodeAt(i))) return true
  return false
}

/** The span if the token text[start, end) is a VIN under the free-text rules, else undefined. */
export function vinTokenSpan(text: string, start: number, end: number): IdentifierSpan | undefined {
  if (end - start !== 17 || !plausibleAt(text, start) || !vinValidAt(text, start)) return undefined
  return { start, end, kind: 'vin', value: text.slice(start, end).toUpperCase() }
}

/** VINs in free text (see module doc for the extra free-text rules), in order. */
export function findVins(text: string): IdentifierSpan[] {
  const out: IdentifierSpan[] = []
  forEachToken(text, 17, 17, (start, end) => {
    const span = vinTokenSpan(text, start, end)
    if (span) out.push(span)
  })
  return out
}
