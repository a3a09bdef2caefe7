/**
 * Chinese motor-vehicle licence plates (GA 36): province abbreviation + issuing-authority
 * letter + serial.
 *
 * Accepted (case-insensitive; the value is uppercase with separators removed):
 *   京A12345 / 京A·12345 / 京A 12345 / 京A-12345   ordinary: 5 chars of [A-HJ-NP-Z0-9]
 *                                                (no I/O), at most 3 of them letters
 *   粤BD12345 / 粤B D12345 / 粤B·FA1234          new energy, small: D or F, one alnum, 4 digits
 *   粤B12345D                                    new energy, large: 5 digits, D or F
 *   粤B1234学 / 京A1234警 / 粤Z1234港 …           4 alnum + 学 警 挂 港 澳 领 试 超
 * Province characters: 京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼, plus
 * 使 and 领 (embassy / consulate). The separator is optional: one of `·` (U+00B7), `•`,
 * `・`, a space or `-`.
 * Not recognised (documented limits): military (e.g. `VA12345`) and armed-police (`WJ…`)
 * plates, which have no province prefix; the older embassy format with digits first
 * (`123456使`); plates written with a space between the province and the letter.
 * The serial must end the token: `京A123456` (6 digits, not a new-energy form) is rejected,
 * not truncated.
 */
import type { IdentifierSpan } from './types.ts'
import { isAsciiLetterCode, isDigitCode, isTokenCharAt } from './text.ts'

export const PLATE_PROVINCES = '京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼使领'
const SUFFIXES = '学警挂港澳领试超'

const CJK_BASE = 0x4e00
const provinceTable = new Uint8Array(0xa000 - CJK_BASE)
for (let i = 0; i < PLATE_PROVINCES.length; i++) provinceTable[PLATE_PROVINCES.charCodeAt(i) - CJK_BASE] = 1

/** Whether UTF-16 code `c` is a plate province character. */
export function isPlateProvinceCode(c: number): boolean {
  return c >= CJK_BASE && c < 0xa000 && provinceTable[c - CJK_BASE] === 1
}

function isPlateSep(c: number): boolean {
  return c === 0xb7 || c === 0x2022 || c === 0x30fb || c === 32 || c === 45
}

/** Serial character: ASCII digit or letter other than I / O. */
function isSerialCode(c: number): boolean {
  if (isDigitCode(c)) return true
  if (!isAsciiLetterCode(c)) return false
  const u = c & ~32
  return u !== 73 /* I */ && u !== 79 /* O */
}

function isDF(c: number): boolean {
  const u = c & ~32
  return u === 68 || u === 70
}

/** Where the plate starting at text[i] (a province char) ends and its serial starts, or undefined. */
function plateEndAt(text: string, i: number): { end: number; serialStart: number } | undefined {
  if (!isPlateProvinceCode(text.charCodeAt(i))) return undefined
  if (!isAsciiLetterCode(text.charCodeAt(i + 1))) return undefined
  let k = i + 2
  if (k < text.length && isPlateSep(text.charCodeAt(k))) k++
  const serialStart = k
  let j = k
  while (j < text.length && isTokenCharAt(text, j)) j++
  const len = j - serialStart
  if (len === 5) {
    let letters = 0
    for (let p = serialStart; p < j; p++) {
      const c = text.charCodeAt(p)
      if (!isSerialCode(c)) return undefined
      if (!isDigitCode(c)) letters++
    }
    return letters <= 3 ? { end: j, serialStart } : undefined
  }
  if (len === 6) {
    const first = text.charCodeAt(serialStart)
    const last = text.charCodeAt(j - 1)
    if (isDF(first) && isSerialCode(text.charCodeAt(serialStart + 1))) {
      for (let p = serialStart + 2; p < j; p++) if (!isDigitCode(text.charCodeAt(p))) return undefined
      return { end: j, serialStart }
    }
    if (isDF(last)) {
      for (let p = serialStart; p < j - 1; p++) if (!isDigitCode(text.charCodeAt(p))) return undefined
      return { end: j, serialStart }
    }
    return undefined
  }
  if (len === 4 && j < text.length && SUFFIXES.includes(text[j]!)) {
    for (let p = serialStart; p < j; p++) if (!isSerialCode(text.charCodeAt(p))) return undefined
    return { end: j + 1, serialStart }
  }
  return undefined
}

function plateValue(text: string, i: number, serialStart: number, end: number): string {
  return text[i]! + text.slice(i + 1, i + 2).toUpperCase() + text.slice(serialStart, end).toUpperCase()
}

/** Licence plates in free text, in order (rules in the module doc). */
export function findPlates(text: string): IdentifierSpan[] {
  const out: IdentifierSpan[] = []
  const n = text.length
  for (let i = 0; i < n; i++) {
    if (!isPlateProvinceCode(text.charCodeAt(i))) continue
    const p = plateEndAt(text, i)
    if (p) {
      out.push({ start: i, end: p.end, kind: 'plate', value: plateValue(text, i, p.serialStart, p.end) })
      i = p.end - 1
    }
  }
  return out
}

/** Whether `s` (trimmed) is exactly one licence plate (rules in the module doc). */
export function isPlate(s: string): boolean {
  const t = s.trim()
  const p = plateEndAt(t, 0)
  return p !== undefined && p.end === t.length
}

/** Best-effort normal form of a plate value: uppercase, separators and whitespace removed. */
export function normalisePlate(s: string): string {
  let out = ''
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (isPlateSep(c) || c === 9 || c === 10 || c === 13 || c === 0x3000) continue
    out += s[i]
  }
  return out.toUpperCase()
}
