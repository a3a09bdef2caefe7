/**
 * Bearer credentials in text:
 *
 *  - JWT / JWS / JWE compact serialisations: a base64url header that decodes to a JSON object
 *    with a string "alg" (JWS/JWT) or "enc" (JWE), followed by '.' and the other segments.
 *    Headers are searched by their base64url openings: `eyJ` (`{"`), `eyAi` (`{ "`),
 *    `ewo` (`{\n`), `ew0K` (`{\r\n`). With or without a `Bearer ` prefix, glued to other
 *    text or not. The span is the token only (the word "Bearer" is not secret).
 *  - Authorization schemes in logs:  `Bearer <b64token>=*` with >= 20 chars that is not a
 *    plain word (`Bearer authentication_required_here` is text, not a token);
 *    `Basic <base64>` that decodes to printable `user:password`;
 *    `Token <value>` (DRF style) when the value looks like a secret (entropy.ts, with the
 *    relaxed `secretField` thresholds: the scheme word already says it is a credential).
 *    The scheme may be separated by spaces/tabs or `%20` (URL-encoded headers).
 */
import { decodeBase64Range, utf8OrUndefined } from './codec.ts'
import { looksLikeSecretValue } from './entropy.ts'

export interface TokenHit {
  start: number
  end: number
  kind: 'jwt' | 'bearer-token'
}

const MAX_HEADER = 4096
const MIN_BEARER = 20
const HEADER_OPENINGS = ['eyJ', 'eyAi', 'ewo', 'ew0K'] as const

function isB64Url(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45 || c === 95
}

/** End of a base64url segment starting at i (with optional '=' padding). */
function segEnd(t: string, i: number, max: number): number {
  let j = i
  const lim = Math.min(t.length, i + max)
  while (j < lim && isB64Url(t.charCodeAt(j))) j++
  while (j < t.length && t.charCodeAt(j) === 61 && j - i < max + 2) j++
  return j
}

/** Does base64url text[start..end) decode to a JOSE header (JSON object with "alg" or "enc")? */
export function isJoseHeader(text: string, start: number, end: number): boolean {
  if (end - start < 16) return false
  const s = utf8OrUndefined(decodeBase64Range(text, start, end))
  if (s === undefined) return false
  const trimmed = s.trimStart()
  if (!trimmed.startsWith('{')) return false
  let obj: unknown
  try {
    obj = JSON.parse(trimmed)
  } catch {
    return false
  }
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return false
  const o = obj as Record<string, unknown>
  return typeof o.alg === 'string' || typeof o.enc === 'string'
}

/** Find JWT/JWS/JWE compact tokens. Sorted, non-overlapping. */
export function findJwts(text: string): TokenHit[] {
  let cands: number[] | undefined
  for (const o of HEADER_OPENINGS) {
    let i = text.indexOf(o)
    while (i >= 0) {
      ;(cands ??= []).push(i)
      i = text.indexOf(o, i + o.length)
    }
  }
  if (cands === undefined) return []
  cands.sort((a, b) => a - b)
  const out: TokenHit[] = []
  let lastEnd = -1
  let runEnd = -1 // end of the base64url run the previous candidate sat in (shared: linear)
  for (const i of cands) {
    if (i < lastEnd) continue
    if (i >= runEnd) {
      runEnd = i
      while (runEnd < text.length && isB64Url(text.charCodeAt(runEnd))) runEnd++
    }
    if (runEnd - i > MAX_HEADER) continue
    const h = segEnd(text, i, MAX_HEADER)
    if (text.charCodeAt(h) !== 46 /* . */) continue
    if (!isJoseHeader(text, i, h)) continue
    // up to 4 more segments (JWS: 2, JWE: 4)
    let end = h + 1
    let p = h
    for (let k = 0; k < 4 && text.charCodeAt(p) === 46; k++) {
      p = segEnd(text, p + 1, Number.MAX_SAFE_INTEGER)
      end = p
    }
    out.push({ start: i, end, kind: 'jwt' })
    lastEnd = end
  }
  return out
}

const SCHEME = /(?:^|[^A-Za-z0-9])(bearer|basic|token)(?:[ \t]+|%20)/gi

function isTokenChar(c: number): boolean {
  // RFC 6750 b64token: ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/"
  return isB64Url(c) || c === 46 || c === 126 || c === 43 || c === 47
}

function isPlainWord(t: string, s: number, e: number): boolean {
  for (let i = s; i < e; i++) {
    const c = t.charCodeAt(i)
    if (!((c >= 97 && c <= 122) || c === 95 || c === 45 || c === 46)) return false
  }
  return true
}

/** `Bearer` / `Basic` / `Token` authorization credentials in text. */
export function findAuthTokens(text: string): TokenHit[] {
  const out: TokenHit[] = []
  SCHEME.lastIndex = 0
  let m: RegExpExecArray | null
  while ((m = SCHEME.exec(text)) !== null) {
    const scheme = m[1]!.toLowerCase()
    const s = SCHEME.lastIndex
    let e = s
    while (e < text.length && isTokenChar(text.charCodeAt(e))) e++
    while (e < text.length && text.charCodeAt(e) === 61) e++
    const len = e - s
    let hit = false
    if (scheme === 'bearer') {
      hit = len >= MIN_BEARER && !isPlainWord(text, s, e)
    } else if (scheme === 'basic') {
      if (len >= 8) {
        const dec = utf8OrUndefined(decodeBase64Range(text, s, e))
        hit = dec !== undefined && dec.includes(':') && /^[\x20-\x7e]+$/.test(dec)
      }
    } else if (len >= MIN_BEARER) {
      hit = looksLikeSecretValue(text.slice(s, e), { secretField: true })
    }
    if (hit) {
      out.push({ start: s, end: e, kind: 'bearer-token' })
      SCHEME.lastIndex = e
    } else if (SCHEME.lastIndex === m.index) {
      SCHEME.lastIndex++
    }
  }
  return out
}
