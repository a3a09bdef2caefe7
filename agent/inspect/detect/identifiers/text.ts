/**
 * Character-level helpers shared by the identifier detectors. Everything works on UTF-16
 * code units via charCodeAt: no regex, no allocation (except labelBefore, which is only
 * called for the rare candidate that needs label context).
 *
 * Token rule used by all ASCII detectors: an identifier is a maximal run of ASCII letters
 * and digits ("token"); anything else (space, punctuation, CJK, '_') is a boundary. So
 * `vin_LSVAU…`, `电话13812345678。`, `"imei":"35…"` all delimit the identifier, while
 * `abc13812345678` or a 64-char hex digest are one longer token and never match. A letter
 * of a literal backslash escape (`\n`, `\r`, `\t`, as found in double-encoded JSON or log
 * text) is also a boundary, so `…\n13812345678` is found.
 */

export function isDigitCode(c: number): boolean {
  return c >= 48 && c <= 57
}

export function isAsciiLetterCode(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122)
}

export function isAsciiAlnumCode(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122)
}

/** Whether text[i] is a token character (ASCII alnum, not the letter of a `\n`/`\r`/`\t` escape). */
export function isTokenCharAt(text: string, i: number): boolean {
  if (i < 0 || i >= text.length) return false
  const c = text.charCodeAt(i)
  if (!isAsciiAlnumCode(c)) return false
  if ((c === 110 || c === 114 || c === 116) && i > 0 && text.charCodeAt(i - 1) === 92) return false
  return true
}

// 1 = token char, 2 = token char unless it follows a backslash (n r t), 0 = boundary.
const TOKEN_CLASS = new Uint8Array(128)
for (let c = 48; c <= 57; c++) TOKEN_CLASS[c] = 1
for (let c = 65; c <= 90; c++) TOKEN_CLASS[c] = TOKEN_CLASS[c + 32] = 1
TOKEN_CLASS[110] = TOKEN_CLASS[114] = TOKEN_CLASS[116] = 2

/**
 * Calls visit(start, end) for every maximal token (see module doc) whose length is within
 * [minLen, maxLen].
 */
export function forEachToken(
  text: string,
  minLen: number,
  maxLen: number,
  visit: (start: number, end: number) => void,
): void {
  const n = text.length
  let start = -1
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i)
    const t = c < 128 ? TOKEN_CLASS[c]! : 0
    if (t === 1 || (t === 2 && (i === 0 || text.charCodeAt(i - 1) !== 92))) {
      if (start < 0) start = i
    } else if (start >= 0) {
      const len = i - start
      if (len >= minLen && len <= maxLen) visit(start, i)
      start = -1
    }
  }
  if (start >= 0) {
    const len = n - start
    if (len >= minLen && len <= maxLen) visit(start, n)
  }
}

/** Whether text[start, end) is all ASCII digits. */
export function allDigits(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    if (!isDigitCode(text.charCodeAt(i))) return false
  }
  return end > start
}

/**
 * Whether the digit token text[start, end) is the integer or fractional part of a decimal
 * number (`123456.7`, `0.13812345678`), in which case numeric identifiers are not claimed.
 * A sentence-ending full stop (`call 13812345678.`) is not a decimal point.
 */
export function isPartOfDecimal(text: string, start: number, end: number): boolean {
  if (start >= 2 && text.charCodeAt(start - 1) === 46 && isDigitCode(text.charCodeAt(start - 2))) return true
  if (end + 1 < text.length && text.charCodeAt(end) === 46 && isDigitCode(text.charCodeAt(end + 1))) return true
  return false
}

// Characters skipped between a label and its value: whitespace, quotes, : ： = ( [ { # , > |
function isLabelGap(c: number): boolean {
  return (
    c === 32 || c === 9 || c === 10 || c === 13 || c === 34 || c === 39 || c === 58 || c === 0xff1a ||
    c === 61 || c === 40 || c === 91 || c === 123 || c === 35 || c === 44 || c === 62 || c === 124
  )
}

function isLabelChar(c: number): boolean {
  return isAsciiAlnumCode(c) || c === 95 || c === 45 || c === 46 // _ - .
}

/**
 * The label written just before text[start]: skips up to 6 gap characters (spaces, quotes,
 * `:`, `：`, `=`, brackets …), then takes the preceding word of [A-Za-z0-9_.-] (at most 32
 * chars) and returns it lowercased with `_ - .` and trailing digits removed. So
 * `IMSI: 4600…` → 'imsi', `"imei_sv":"…"` → 'imeisv', `deviceImei1=…` → 'deviceimei',
 * and '' when there is no label.
 */
export function labelBefore(text: string, start: number): string {
  let i = start - 1
  let gaps = 0
  while (i >= 0 && gaps < 6 && isLabelGap(text.charCodeAt(i))) {
    i--
    gaps++
  }
  const wordEnd = i + 1
  while (i >= 0 && wordEnd - i <= 32 && isLabelChar(text.charCodeAt(i))) i--
  const wordStart = i + 1
  if (wordStart >= wordEnd) return ''
  let out = ''
  for (let k = wordStart; k < wordEnd; k++) {
    const c = text.charCodeAt(k)
    if (c >= 65 && c <= 90) out += String.fromCharCode(c + 32)
    else if (isAsciiAlnumCode(c)) out += text[k]
  }
  let e = out.length
  while (e > 0 && isDigitCode(out.charCodeAt(e - 1))) e--
  return out.slice(0, e)
}
