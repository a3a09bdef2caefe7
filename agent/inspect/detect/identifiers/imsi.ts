/**
 * IMSI (3GPP TS 23.003): MCC (3 digits) + MNC (2–3) + MSIN, 15 digits in practice.
 *
 * Rules decided (free text, see cellular.ts for the joint IMSI/IMEI resolution):
 * - `460` (China) + 12 digits is an IMSI without any label; the MNC is not checked
 *   (00–11, 15, 20 … are all in use and the list keeps growing).
 * - Other MCCs only when labelled (`IMSI: 310260123456789`, `"imsi":"…"`, `ueImsi=…`):
 *   unlabelled, a foreign IMSI is indistinguishable from any 15-digit number.
 * - `isImsi(s)` for a bare value whose field already says it is an IMSI: exactly 15 digits,
 *   any MCC.
 */
import type { IdentifierSpan } from './types.ts'
import { findCellularIds } from './cellular.ts'
import { allDigits } from './text.ts'

/** Whether `s` is exactly 15 ASCII digits (a bare IMSI value; any MCC). */
export function isImsi(s: string): boolean {
  return s.length === 15 && allDigits(s, 0, 15)
}

/** Whether `s` is a Chinese IMSI: 15 digits starting with MCC 460. */
export function isChinaImsi(s: string): boolean {
  return isImsi(s) && s.startsWith('460')
}

/** IMSIs in free text, in order. */
export function findImsis(text: string): IdentifierSpan[] {
  return findCellularIds(text).filter((s) => s.kind === 'imsi')
}
