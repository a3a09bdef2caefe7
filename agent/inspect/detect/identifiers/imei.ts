/**
 * IMEI (3GPP TS 23.003): 8-digit TAC + 6-digit serial + Luhn check digit = 15 digits;
 * IMEISV: TAC + serial + 2-digit software version = 16 digits (no check digit).
 *
 * Rules decided (free text, see cellular.ts for the joint IMSI/IMEI resolution):
 * - Unlabelled: 15 digits passing Luhn, except 460-prefixed numbers (IMSI wins) and
 *   `00861[3-9]…` (a 0086-prefixed mobile number).
 * - Labelled IMEI (`IMEI: …`, `"imei":"…"`, `imei1=…`): 15 digits even if the Luhn digit is
 *   wrong (a value the text itself calls an IMEI is pseudonymised rather than leaked), and
 *   16 digits as an IMEISV.
 * - IMEISV values are normalised to the IMEI (14 digits + computed Luhn digit).
 * - The reporting-body prefix of the TAC is not checked (it would miss new allocations).
 */
import type { IdentifierSpan } from './types.ts'
import { luhnCheckDigit, luhnValid } from './checksum.ts'
import { findCellularIds } from './cellular.ts'
import { allDigits } from './text.ts'

/** Whether `s` is exactly a 15-digit IMEI with a valid Luhn check digit. */
export function isImei(s: string): boolean {
  return s.length === 15 && luhnValid(s, 0, 15)
}

/** Whether `s` is exactly 16 digits (an IMEISV; it has no check digit). */
export function isImeiSv(s: string): boolean {
  return s.length === 16 && allDigits(s, 0, 16)
}

/** The IMEI of an IMEISV (or of a 14-digit TAC+serial): the first 14 digits + Luhn digit. */
export function imeiFromImeiSv(s: string): string {
  if (s.length < 14 || !allDigits(s, 0, 14)) throw new RangeError('imeiFromImeiSv: need at least 14 leading digits')
  const body = s.slice(0, 14)
  return body + luhnCheckDigit(body)
}

/** An IMEI with its Luhn digit filled in from the 14-digit TAC + serial. */
export function makeImei(body14: string): string {
  if (body14.length !== 14 || !allDigits(body14, 0, 14)) throw new RangeError('makeImei: need 14 digits')
  return body14 + luhnCheckDigit(body14)
}

/** IMEIs (and labelled IMEISVs, normalised to the IMEI) in free text, in order. */
export function findImeis(text: string): IdentifierSpan[] {
  return findCellularIds(text).filter((s) => s.kind === 'imei')
}
