/**
 * PEM / RFC 7468 text blocks (and their mangled relatives) in arbitrary text.
 *
 *   -----BEGIN <LABEL>-----  <base64 body, optional RFC 1421 headers>  -----END <LABEL>-----
 *
 * Tolerated, because this is how key material shows up in telematics logs and payloads:
 *  - newlines as real CR/LF, as JSON escapes (`\n`, `\r\n`, `\t`, also double-escaped `\\n`),
 *    as URL escapes (`%0A`, `%0D`), or flattened to spaces;
 *  - JSON-escaped slash `\/` and URL-escaped `%2B` `%2F` `%3D` inside the body;
 *  - 3..10 dashes around the markers, an optional space inside them (RFC 4716 SSH2 keys use
 *    `---- BEGIN SSH2 PUBLIC KEY ----`), `%20` / `+` between label words (URL encoding);
 *  - header lines (`Proc-Type: 4,ENCRYPTED`, `DEK-Info: ...`, `Comment: "..."`);
 *  - a missing END (truncated): the block then runs from BEGIN to the end of the base64 run.
 *
 * The scanner is a hand-written linear pass (no regex), each body character is consumed once,
 * so adversarial input cannot trigger backtracking.
 */

export type PemKind = 'private-key' | 'certificate' | 'public-key' | 'other'

export interface PemBlock {
  /** Index of the first dash of the BEGIN marker. */
  start: number
  /** Exclusive: just after the END marker's last dash (or the last body char if truncated). */
  end: number
  label: string
  kind: PemKind
  truncated: boolean
}

const MAX_LABEL = 80

/** Classify a PEM label (case-insensitive, whitespace-normalised). */
export function classifyPemLabel(label: string): PemKind {
  const l = label.toUpperCase().replace(/\s+/g, ' ').trim()
  if (l.includes('PRIVATE KEY') || l === 'PRIVATE' || l.endsWith(' PRIVATE')) return 'private-key'
  if (l === 'X509 CRL' || l.endsWith('CERTIFICATE') || l === 'CERTIFICATE PAIR') return 'certificate'
  if (l.includes('PUBLIC KEY')) return 'public-key'
  return 'other'
}

function isB64(c: number): boolean {
  return (
    (c >= 65 && c <= 90) || // A-Z
    (c >= 97 && c <= 122) || // a-z
    (c >= 48 && c <= 57) || // 0-9
    c === 43 || // +
    c === 47 || // /
    c === 61 || // =
    c === 45 || // - (base64url)
    c === 95 // _ (base64url)
  )
}

/** Length of an escape sequence at i that stands for a line break/space, or 0. */
function lineEscapeLen(t: string, i: number): number {
  const c = t.charCodeAt(i)
  if (c === 92) {
    // run of backslashes then n / r / t
    let j = i
    while (j < t.length && t.charCodeAt(j) === 92 && j - i < 8) j++
    const d = t.charCodeAt(j)
    if (d === 110 || d === 114 || d === 116) return j + 1 - i
    return 0
  }
  if (c === 37) {
    // %0A %0D %09 %20
    const d1 = t.charCodeAt(i + 1)
    const d2 = t.charCodeAt(i + 2) | 0x20
    if (d1 === 48 && (d2 === 97 || d2 === 100 || d2 === 57)) return 3
    if (d1 === 50 && d2 === 48) return 3
  }
  return 0
}

/** Length of an escape sequence at i that stands for a base64 character, or 0. */
function b64EscapeLen(t: string, i: number): number {
  const c = t.charCodeAt(i)
  if (c === 92) {
    let j = i
    while (j < t.length && t.charCodeAt(j) === 92 && j - i < 8) j++
    if (t.charCodeAt(j) === 47) return j + 1 - i // \/
    return 0
  }
  if (c === 37) {
    const d1 = t.charCodeAt(i + 1)
    const d2 = t.charCodeAt(i + 2) | 0x20
    if (d1 === 50 && (d2 === 98 || d2 === 102)) return 3 // %2B %2F
    if (d1 === 51 && d2 === 100) return 3 // %3D
  }
  return 0
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13
}

/** Count dashes at i (max 10). */
function dashes(t: string, i: number): number {
  let n = 0
  while (n < 10 && t.charCodeAt(i + n) === 45) n++
  return n
}

/** Separator inside a label / between marker parts: ' ', '+', '%20', '_'. Returns its length or 0. */
function labelSep(t: string, i: number): number {
  const c = t.charCodeAt(i)
  if (c === 32 || c === 43 || c === 95) return 1
  if (c === 37 && t.charCodeAt(i + 1) === 50 && t.charCodeAt(i + 2) === 48) return 3
  return 0
}

let mEnd = 0
let mLabelStart = 0
let mLabelEnd = 0

/**
 * Parse a marker `-----<word> LABEL-----` whose dashes start at i. word = BEGIN | END.
 * On success sets mEnd (exclusive), mLabelStart/mLabelEnd.
 */
function parseMarker(t: string, i: number, word: string): boolean {
  const d = dashes(t, i)
  if (d < 3) return false
  let p = i + d
  p += labelSep(t, p) // optional space
  for (let k = 0; k < word.length; k++) if (t.charCodeAt(p + k) !== word.charCodeAt(k)) return false
  p += word.length
  const s = labelSep(t, p)
  if (s === 0) return false
  p += s
  const ls = p
  // label: letters/digits/space/separators/dot, ends at dashes
  while (p < t.length && p - ls <= MAX_LABEL) {
    const c = t.charCodeAt(p)
    if (c === 45) break
    if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 46 || c === 32 || c === 43 || c === 95 || c === 37) {
      p++
      continue
    }
    return false
  }
  let le = p
  // trim trailing separators (SSH2: "---- BEGIN SSH2 PUBLIC KEY ----")
  while (le > ls && (t.charCodeAt(le - 1) === 32 || t.charCodeAt(le - 1) === 43 || t.charCodeAt(le - 1) === 95)) le--
  if (le - ls < 2) return false
  const d2 = dashes(t, p)
  if (d2 < 3) return false
  mLabelStart = ls
  mLabelEnd = le
  mEnd = p + d2
  return true
}

function normLabel(t: string, s: number, e: number): string {
  return t
    .slice(s, e)
    .replace(/%20|[+_]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
}

/** Is position i the start of a `Name:` header line (RFC 1421 / RFC 4716)? Returns name length. */
function headerNameLen(t: string, i: number): number {
  let j = i
  while (j < t.length && j - i < 32) {
    const c = t.charCodeAt(j)
    if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c === 45 && j > i)) j++
    else break
  }
  if (j - i >= 3 && t.charCodeAt(j) === 58) return j + 1 - i
  return 0
}

/** Skip to the end of the line at i (a real or escaped line break); returns index after it. */
function skipHeaderLine(t: string, i: number, limit: number): number {
  let j = i
  while (j < limit) {
    const c = t.charCodeAt(j)
    if (c === 10) return j + 1
    const el = lineEscapeLen(t, j)
    if (el > 0 && (t.charCodeAt(j + el - 1) === 110 || (c === 37 && (t.charCodeAt(j + 2) | 0x20) === 97))) return j + el
    j++
  }
  return j
}

/**
 * Find PEM blocks. Blocks never overlap; a BEGIN inside an unterminated block ends it.
 */
export function findPem(text: string): PemBlock[] {
  const out: PemBlock[] = []
  let from = 0
  for (;;) {
    const k = text.indexOf('BEGIN', from)
    if (k < 0) break
    from = k + 5
    // walk back over an optional space and the dashes
    let s = k
    const pc = text.charCodeAt(s - 1)
    if (pc === 32) s--
    else if (pc === 48 && text.charCodeAt(s - 2) === 50 && text.charCodeAt(s - 3) === 37) s -= 3
    let nd = 0
    while (nd < 10 && text.charCodeAt(s - 1) === 45) {
      s--
      nd++
    }
    if (nd < 3 || !parseMarker(text, s, 'BEGIN')) continue
    const label = normLabel(text, mLabelStart, mLabelEnd)
    const block = scanBody(text, mEnd)
    out.push({ start: s, end: block.end, label, kind: classifyPemLabel(label), truncated: block.truncated })
    from = Math.max(from, block.end)
  }
  return out
}

/** Scan a PEM body starting right after the BEGIN marker. */
function scanBody(t: string, p: number): { end: number; truncated: boolean } {
  const n = t.length
  let lastB64 = p // end of the last body character consumed (exclusive)
  let atLineStart = true
  let i = p
  while (i < n) {
    const c = t.charCodeAt(i)
    if (c === 45) {
      if (dashes(t, i) >= 3) {
        if (parseMarker(t, i, 'END')) return { end: mEnd, truncated: false }
        if (parseMarker(t, i, 'BEGIN')) break // a new block starts: this one was truncated
      }
      if (atLineStart || !isB64(t.charCodeAt(i - 1))) break
      // '-' inside a base64url body
      i++
      lastB64 = i
      continue
    }
    if (isB64(c)) {
      if (atLineStart) {
        const h = headerNameLen(t, i)
        if (h > 0) {
          i = skipHeaderLine(t, i + h, n)
          lastB64 = i
          atLineStart = true
          continue
        }
      }
      i++
      lastB64 = i
      atLineStart = false
      continue
    }
    if (isSpace(c)) {
      if (c === 10) atLineStart = true
      i++
      continue
    }
    const el = lineEscapeLen(t, i)
    if (el > 0) {
      i += el
      atLineStart = true
      continue
    }
    const be = b64EscapeLen(t, i)
    if (be > 0) {
      i += be
      lastB64 = i
      atLineStart = false
      continue
    }
    break // anything else (a quote, punctuation, text) ends the body
  }
  return { end: lastB64, truncated: true }
}
