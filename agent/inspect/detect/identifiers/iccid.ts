/**
 * SIM card ICCIDs (ITU-T E.118): `89` (telecom) + country code + issuer + account number +
 * Luhn check digit, 19 or 20 characters.
 *
 * Rules decided:
 * - `89` + 17–18 digits whose Luhn check (over all 19/20 digits) holds: an ICCID.
 * - `8986` (China) + 15–16 characters: an ICCID even without a valid Luhn digit, because
 *   Chinese operators' 20-character ICCIDs do not reliably carry one, and China Mobile /
 *   China Unicom ICCIDs may contain letters (card-supplier / IoT fields, e.g. `…0983S`).
 *   Letters are accepted only after the `8986` prefix, at most 4 of them; they are kept
 *   (uppercased) in the normalised value.
 * - A 20-character form ending in `F` whose first 19 are digits is the BCD-padded 19-digit
 *   ICCID as read from the SIM: the `F` is part of the span but dropped from the value (so
 *   both spellings pseudonymise alike); the 19 digits follow the rules above.
 * - Printed/grouped forms (`8986 0070 3101 …`) are not recognised (see README).
 */
import type { IdentifierSpan } from './types.ts'
import { luhnCheckDigit, luhnValid } from './checksum.ts'
import { allDigits, forEachToken, isAsciiLetterCode, isDigitCode, isPartOfDecimal } from './text.ts'

/** The normalised ICCID if text[start, end) is one, else ''. */
export function iccidAt(text: string, start: number, end: number): string {
  const len = end - start
  if (len !== 19 && len !== 20) return ''
  if (text.charCodeAt(start) !== 56 /* 8 */ || text.charCodeAt(start + 1) !== 57 /* 9 */) return ''
  // BCD padding: 19 digits + F.
  if (len === 20 && (text.charCodeAt(end - 1) | 32) === 102 /* f */ && allDigits(text, start, end - 1)) {
    return iccidAt(text, start, end - 1)
  }
  const china = text.charCodeAt(start + 2) === 56 && text.charCodeAt(start + 3) === 54 // '86'
  if (allDigits(text, start, end)) {
    return china || luhnValid(text, start, end) ? text.slice(start, end) : ''
  }
  if (!china) return ''
  let letters = 0
  for (let i = start + 4; i < end; i++) {
    const c = text.charCodeAt(i)
    if (isDigitCode(c)) continue
    if (!isAsciiLetterCode(c) || ++letters > 4) return ''
  }
  return text.slice(start, end).toUpperCase()
}

/** Whether `s` is exactly an ICCID (rules in the module doc). */
export function isIccid(s: string): boolean {
  return iccidAt(s, 0, s.length) !== ''
}

/**
 * An all-digit ICCID with its Luhn check digit appended: `body` is `89` + 16 or 17 digits
 * (→ 19 or 20 digits). For the simulator. Throws RangeError on other input.
 */
export function makeIccid(body: string): string {
  if ((body.length !== 18 && body.length !== 19) || !body.startsWith('89') || !allDigits(body, 0, body.length)) {
    throw new RangeError(`makeIccid: need '89' + 16 or 17 digits, got ${JSON.stringify(body)}`)
  }
  return body + luhnCheckDigit(body)
}

/** The span if the token text[start, end) is an ICCID, else undefined. */
export function iccidTokenSpan(text: string, start: number, end: number): IdentifierSpan | undefined {
  if (text.charCodeAt(start) !== 56 /* 8 */ || isPartOfDecimal(text, start, end)) return undefined
  const value = iccidAt(text, start, end)
  return value === '' ? undefined : { start, end, kind: 'iccid', value }
}

/** ICCIDs in free text, in order. */
export function findIccids(text: string): IdentifierSpan[] {
  const out: IdentifierSpan[] = []
  forEachToken(text, 19, 20, (start, end) => {
    const span = iccidTokenSpan(text, start, end)
    if (span) out.push(span)
  })
  return out
}
