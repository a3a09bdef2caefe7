/**
 * JSON Web Keys (RFC 7517 / 7518 / 8037).
 *
 *  - `isJwk(obj)`: a parsed object with `kty` RSA | EC | OKP | oct and that type's key
 *    members as base64url strings: RSA n+e (or d), EC crv+x+y (or d), OKP crv+x (or d),
 *    oct k. Public JWKs count too (public key material is still key material).
 *  - `isJwkSet(obj)`: `{ keys: [...] }` with at least one JWK.
 *  - `findJwksInText(text)`: JWK-shaped objects inside text that is not (necessarily) valid
 *    JSON: JSON, JSON escaped inside a JSON string (`{\"kty\":...}`), single-quoted
 *    (Python repr / JS literals), or cut off (truncated logs). Found around each `kty` by a
 *    lenient linear member scan; each hit spans the object's braces (or, when the closing
 *    brace is missing, up to the end of the last key member).
 */

const KTY = new Set(['RSA', 'EC', 'OKP', 'oct'])
const B64URL = /^[A-Za-z0-9_-]+={0,2}$/

function b64u(v: unknown, minLen = 1): boolean {
  return typeof v === 'string' && v.length >= minLen && B64URL.test(v)
}

/** Is this parsed JSON value a JWK? */
export function isJwk(obj: unknown): boolean {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return false
  const o = obj as Record<string, unknown>
  const kty = o.kty
  if (typeof kty !== 'string' || !KTY.has(kty)) return false
  const hasD = b64u(o.d, 16)
  switch (kty) {
    case 'RSA':
      return (b64u(o.n, 64) && b64u(o.e)) || (hasD && b64u(o.n, 16))
    case 'EC':
      return (typeof o.crv === 'string' || hasD) && ((b64u(o.x, 16) && b64u(o.y, 16)) || hasD)
    case 'OKP':
      return (typeof o.crv === 'string' || hasD) && (b64u(o.x, 16) || hasD)
    case 'oct':
      return b64u(o.k, 8)
  }
  return false
}

/** Does the JWK carry private (or symmetric) key material? */
export function isPrivateJwk(obj: unknown): boolean {
  if (!isJwk(obj)) return false
  const o = obj as Record<string, unknown>
  return o.kty === 'oct' || typeof o.d === 'string'
}

/** `{ keys: [ jwk, ... ] }` with at least one JWK. */
export function isJwkSet(obj: unknown): boolean {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return false
  const keys = (obj as Record<string, unknown>).keys
  return Array.isArray(keys) && keys.some(isJwk)
}

export interface JwkHit {
  start: number
  end: number
  private: boolean
}

const MEMBERS = new Set(['kty', 'crv', 'n', 'e', 'd', 'p', 'q', 'dp', 'dq', 'qi', 'x', 'y', 'k'])
const KEY_MEMBERS = new Set(['n', 'd', 'p', 'q', 'dp', 'dq', 'qi', 'x', 'y', 'k'])
const BACK_LIMIT = 16384
const FORWARD_LIMIT = 65536

/** Quote at i: `"`, `'`, or a backslash-escaped quote (`\"`, `\\\"`). Returns its length or 0. */
function quoteLen(t: string, i: number): number {
  const c = t.charCodeAt(i)
  if (c === 34 || c === 39) return 1
  if (c === 92) {
    let j = i
    while (j < t.length && t.charCodeAt(j) === 92 && j - i < 8) j++
    const d = t.charCodeAt(j)
    if (d === 34 || d === 39) return j + 1 - i
  }
  return 0
}

/** Closing brace matching the '{' at s before limit, or -1. String-aware unless `raw`. */
function matchBrace(t: string, s: number, limit: number, raw: boolean): number {
  let depth = 0
  let inStr = false
  for (let i = s; i < limit; i++) {
    const c = t.charCodeAt(i)
    if (inStr) {
      if (c === 92) i++
      else if (c === 34) inStr = false
      continue
    }
    if (c === 34 && !raw) inStr = true
    else if (c === 123) depth++
    else if (c === 125) {
      depth--
      if (depth === 0) return i + 1
    }
  }
  return -1
}
/**
 * Lenient member scan of t[s, e): `<q>name<q> (:|=|=>) <q>value<q>` for JWK member names.
 * Returns the parsed members and the end of the last key member's value.
 */
function scanMembers(t: string, s: number, e: number): { obj: Record<string, string>; lastEnd: number } {
  const obj: Record<string, string> = {}
  let lastEnd = -1
  let i = s
  while (i < e) {
    const q = quoteLen(t, i)
    if (q === 0) {
      i++
      continue
    }
    // name
    const ns = i + q
    let j = ns
    while (j < e && j - ns <= 4) {
      const c = t.charCodeAt(j)
      if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90)) j++
      else break
    }
    const ql = quoteLen(t, j)
    if (j === ns || ql === 0) {
      i = ns
      continue
    }
    const name = t.slice(ns, j)
    let p = j + ql
    while (p < e && (t.charCodeAt(p) === 32 || t.charCodeAt(p) === 9)) p++
    const sep = t.charCodeAt(p)
    if (sep === 58) p++
    else if (sep === 61) p += t.charCodeAt(p + 1) === 62 ? 2 : 1
    else {
      i = j + ql
      continue
    }
    while (p < e && (t.charCodeAt(p) === 32 || t.charCodeAt(p) === 9)) p++
    const vq = quoteLen(t, p)
    if (vq === 0) {
      i = p
      continue
    }
    const vs = p + vq
    let ve = vs
    while (ve < e) {
      const c = t.charCodeAt(ve)
      if ((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 45 || c === 95 || c === 61) ve++
      else break
    }
    if (MEMBERS.has(name) && !(name in obj)) {
      obj[name] = t.slice(vs, ve)
      if (KEY_MEMBERS.has(name)) lastEnd = ve + quoteLen(t, ve)
    }
    i = Math.max(ve, vs)
  }
  return { obj, lastEnd }
}

/** Next `kty` at or after `from` that sits right after a quote (`"kty"`, `'kty'`, `\"kty\"`). */
function nextKty(t: string, from: number): number {
  let k = t.indexOf('kty', from)
  while (k >= 0) {
    const c = t.charCodeAt(k - 1)
    if (c === 34 || c === 39) return k
    k = t.indexOf('kty', k + 3)
  }
  return -1
}

/**
 * JWK objects inside arbitrary text (see header). Sorted, non-overlapping.
 * Linear: the region examined for one `kty` is [object start, next kty), and object starts
 * are never searched behind the previous `kty`, so regions do not overlap.
 */
export function findJwksInText(text: string): JwkHit[] {
  const out: JwkHit[] = []
  let k = nextKty(text, 0)
  let prevK = -BACK_LIMIT
  let lastBrace = -1
  let braceScan = 0
  let lastEnd = 0
  while (k >= 0) {
    const nk = nextKty(text, k + 3)
    // nearest '{' before k (incremental scan: amortised O(n))
    for (let i = Math.max(braceScan, k - BACK_LIMIT); i < k; i++) if (text.charCodeAt(i) === 123) lastBrace = i
    braceScan = k
    let s = lastBrace > prevK + 2 && lastBrace >= k - BACK_LIMIT ? lastBrace : k
    if (s < lastEnd) s = Math.max(lastEnd, Math.min(k, s))
    const limit = Math.min(nk < 0 ? text.length : nk, s + FORWARD_LIMIT)
    const escaped = text.charCodeAt(k - 2) === 92
    let e = text.charCodeAt(s) === 123 ? matchBrace(text, s, limit, escaped) : -1
    const closed = e > 0
    if (!closed) e = limit
    if (k >= lastEnd) {
      const { obj, lastEnd: le } = scanMembers(text, s, e)
      if (isJwk(obj)) {
        const end = closed ? e : Math.max(le, k + 3)
        out.push({ start: s, end, private: isPrivateJwk(obj) })
        lastEnd = end
      }
    }
    prevK = k
    k = nk
  }
  return out
}
