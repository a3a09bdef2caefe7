/**
 * Shared scanner for the two 15-digit mobile identifiers, IMSI and IMEI, which are the
 * same shape and must be told apart together (imsi.ts and imei.ts are thin views of it).
 *
 * For each digit-only token (text.ts) of 15 or 16 digits that is not part of a decimal
 * number, the label written just before it (`IMSI: `, `"imei":"`, `imei_sv=`, `deviceImei1 `
 * …, see labelBefore) decides first:
 *   label ends in imsi          15 digits → imsi (any MCC)
 *   label ends in imei/imeisv   15 digits → imei (check digit not required: the text says so)
 *                               16 digits → imei (an IMEISV; normalised to its IMEI: the
 *                               14-digit TAC+serial plus the computed Luhn digit, so the same
 *                               handset pseudonymises alike in both forms)
 * without a label, 15 digits only:
 *   starts with 460 (MCC China) → imsi, even if it also passes Luhn
 *   starts with 00861[3-9]      → nothing here (a 0086-prefixed mobile number: phone.ts)
 *   passes Luhn                 → imei
 * Anything else is not claimed (an unlabelled foreign-MCC IMSI is indistinguishable from
 * any other 15-digit number; 16 digits without a label are not claimed either).
 */
import type { IdentifierSpan } from './types.ts'
import { luhnCheckDigit, luhnValid } from './checksum.ts'
import { allDigits, forEachToken, isPartOfDecimal, labelBefore } from './text.ts'

export type CellularLabel = 'imsi' | 'imei' | ''

/** Which of IMSI / IMEI a normalised label word (see labelBefore) names, or ''. */
export function cellularLabel(word: string): CellularLabel {
  if (word === '') return ''
  if (word.endsWith('imeisv') || word.endsWith('imeisvn') || word.endsWith('imei')) return 'imei'
  if (word.endsWith('imsi')) return 'imsi'
  return ''
}

function isPhone0086(text: string, start: number): boolean {
  if (!text.startsWith('00861', start)) return false
  const c = text.charCodeAt(start + 5)
  return c >= 51 && c <= 57 // 3..9
}

/** The IMSI / IMEI span if the token text[start, end) is one (rules in the module doc), else undefined. */
export function cellularTokenSpan(text: string, start: number, end: number): IdentifierSpan | undefined {
  const len = end - start
  if ((len !== 15 && len !== 16) || !allDigits(text, start, end) || isPartOfDecimal(text, start, end)) return undefined
  const label = cellularLabel(labelBefore(text, start))
  if (len === 16) {
    if (label !== 'imei') return undefined
    const body = text.slice(start, start + 14)
    return { start, end, kind: 'imei', value: body + luhnCheckDigit(body) }
  }
  if (label === 'imsi') return { start, end, kind: 'imsi', value: text.slice(start, end) }
  if (label === 'imei') return { start, end, kind: 'imei', value: text.slice(start, end) }
  if (text.startsWith('460', start)) return { start, end, kind: 'imsi', value: text.slice(start, end) }
  if (isPhone0086(text, start)) return undefined
  if (luhnValid(text, start, end)) return { start, end, kind: 'imei', value: text.slice(start, end) }
  return undefined
}

/** All IMSIs and IMEIs in free text, in order. */
export function findCellularIds(text: string): IdentifierSpan[] {
  const out: IdentifierSpan[] = []
  forEachToken(text, 15, 16, (start, end) => {
    const span = cellularTokenSpan(text, start, end)
    if (span) out.push(span)
  })
  return out
}
