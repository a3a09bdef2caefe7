/**
 * E-mail addresses, pragmatic and bounded (no regex: a scan out from each '@').
 *
 *   local part  1–64 chars of [A-Za-z0-9._%+-], not starting or ending with '.', no '..'
 *   domain      2+ labels of [A-Za-z0-9-] (1–63 chars, no leading/trailing '-'), total
 *               ≤ 253, last label (TLD) 2–24 letters
 * A trailing '.' or '-' is not part of the domain (sentence punctuation). The span stops at
 * any other character, so `mailto:a@b.cn`, `<a@b.cn>`, `邮箱a@b.cn联系` all work. Value: lowercase.
 * Deliberately not recognised: quoted local parts, IP-literal domains, internationalised
 * (non-ASCII) addresses, and asset names like `icon@2x.png` (first domain label /\d+x/).
 */
import type { IdentifierSpan } from './types.ts'
import { isAsciiAlnumCode, isAsciiLetterCode, isDigitCode, isTokenCharAt } from './text.ts'

function isLocalCode(c: number): boolean {
  return isAsciiAlnumCode(c) || c === 46 || c === 95 || c === 37 || c === 43 || c === 45 // . _ % + -
}

/** Local-part character at text[i]; the letter of a `\n`/`\r`/`\t` escape is not one. */
function isLocalAt(text: string, i: number): boolean {
  const c = text.charCodeAt(i)
  return isAsciiAlnumCode(c) ? isTokenCharAt(text, i) : isLocalCode(c)
}

function isDomainCode(c: number): boolean {
  return isAsciiAlnumCode(c) || c === 46 || c === 45
}

/** The span [start, end) of the address around the '@' at `at`, or undefined. */
function emailAround(text: string, at: number): { start: number; end: number } | undefined {
  // Local part: scan left.
  let s = at
  while (s > 0 && at - s <= 64 && isLocalAt(text, s - 1)) s--
  if (at - s > 64) return undefined
  while (s < at && text.charCodeAt(s) === 46) s++ // leading dots belong to the prose ("...a@b")
  if (s === at || text.charCodeAt(at - 1) === 46) return undefined
  for (let i = s + 1; i < at; i++) if (text.charCodeAt(i) === 46 && text.charCodeAt(i - 1) === 46) return undefined
  // Domain: scan right.
  const n = text.length
  let e = at + 1
  while (e < n && e - at - 1 <= 253 && isDomainCode(text.charCodeAt(e))) e++
  if (e - at - 1 > 253) return undefined
  while (e > at + 1 && (text.charCodeAt(e - 1) === 46 || text.charCodeAt(e - 1) === 45)) e--
  // Labels.
  let labelStart = at + 1
  let labels = 0
  for (let i = at + 1; i <= e; i++) {
    if (i < e && text.charCodeAt(i) !== 46) continue
    const len = i - labelStart
    if (len < 1 || len > 63) return undefined
    if (text.charCodeAt(labelStart) === 45 || text.charCodeAt(i - 1) === 45) return undefined
    if (labels === 0 && isRetinaSuffix(text, labelStart, i)) return undefined
    labels++
    if (i === e) {
      // TLD: 2–24 letters.
      if (labels < 2 || len < 2 || len > 24) return undefined
      for (let k = labelStart; k < i; k++) if (!isAsciiLetterCode(text.charCodeAt(k))) return undefined
    }
    labelStart = i + 1
  }
  return { start: s, end: e }
}

/** `2x`, `3x` … as in icon@2x.png. */
function isRetinaSuffix(text: string, start: number, end: number): boolean {
  if (end - start < 2 || (text.charCodeAt(end - 1) | 32) !== 120) return false
  for (let i = start; i < end - 1; i++) if (!isDigitCode(text.charCodeAt(i))) return false
  return true
}

/** E-mail addresses in free text, in order. */
export function findEmails(text: string): IdentifierSpan[] {
  const out: IdentifierSpan[] = []
  let from = 0
  for (;;) {
    const at = text.indexOf('@', from)
    if (at < 0) break
    const span = emailAround(text, at)
    if (span) {
      out.push({ start: span.start, end: span.end, kind: 'email', value: text.slice(span.start, span.end).toLowerCase() })
      from = span.end
    } else {
      from = at + 1
    }
  }
  return out
}

/** Whether `s` (trimmed) is exactly one e-mail address. */
export function isEmail(s: string): boolean {
  const t = s.trim()
  const at = t.indexOf('@')
  if (at < 0) return false
  const span = emailAround(t, at)
  return span !== undefined && span.start === 0 && span.end === t.length
}
