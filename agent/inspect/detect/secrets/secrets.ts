/**
 * Facade of the key-material detectors: the pipeline calls these per string / bytes value.
 *
 * findSecretsInText runs, after a cheap prefilter, every text detector:
 *   PEM blocks (pem.ts), JWT/JWS/JWE and Authorization credentials (jwt.ts), JWKs in text
 *   (jwk.ts), secret-named `name=value` pairs and URL passwords (secret-field.ts), and
 *   base64 / hex runs whose decoding is a DER / SSH key, or text that again contains one of
 *   these (encoded.ts, recursively, `depth` decode layers; default 3).
 * findSecretsInBytes adds raw DER / SSH structures anywhere in the bytes and runs the text
 * detectors over the bytes when they are text, or over each printable ASCII run of >= 16
 * bytes when they are binary (a PEM inside a protobuf string field).
 *
 * PREFILTER (one O(n) pass, no allocation, no regex): a string is examined further only when
 * it contains `BEGIN`, a JOSE header opening (`eyJ` `eyAi` `ewo` `ew0K`), `kty`, an auth scheme
 * word (`bearer` `basic` any case, `token`/`TOKEN`), `://` with `@`, a run of >= 32 base64
 * chars, >= 24 separated hex pairs, or a `:`/`=` between a name containing a secret stem
 * (key, secret, token, pass, pwd, cred, priv, cert, auth, seed, ...) and >= 4 value chars.
 * Typical short values (VSS values, DTC codes, versions, log lines without tokens) return
 * the shared empty array.
 *
 * The returned arrays must not be mutated (the empty result is a shared frozen array).
 */
import { bytesAsText, latin1 } from './codec.ts'
import { findDer } from './der.ts'
import { findEncoded, type Range } from './encoded.ts'
import { findJwksInText } from './jwk.ts'
import { findAuthTokens, findJwts } from './jwt.ts'
import { findPem } from './pem.ts'
import { findFieldSecretsInText, findUrlCredentials } from './secret-field.ts'
import { findSsh } from './ssh.ts'
import {
  derKindToSecretKind,
  kindRank,
  pemKindToSecretKind,
  sshKindToSecretKind,
  strongerKind,
  type SecretKind,
  type SecretSpan,
} from './types.ts'

export type { SecretEncoding, SecretKind, SecretSpan } from './types.ts'

/** Default number of decode layers (base64 of PEM = 1, hex of base64 of DER = 2). */
export const DEFAULT_DEPTH = 3
/** Shortest string worth examining (`pwd=abcd`). */
const MIN_TEXT = 8
/** Printable runs in binary shorter than this are not examined. */
const MIN_PRINTABLE_RUN = 16

const EMPTY: SecretSpan[] = Object.freeze([]) as unknown as SecretSpan[]

const F_PEM = 1
const F_JWT = 2
const F_AUTH = 4
const F_JWK = 8
const F_ENC = 16
const F_FIELD = 32
const F_URL = 64

// char classes for the prefilter loop
const C_B64 = 1
const C_HEX = 2
const C_SEP = 4 // hex pair separators : - space , tab CR LF
const C_VAL = 8 // chars that may appear in an unquoted secret value
const C_TRIG = 16 // a rare char inside a marker: G J A w k K b B @ : =
const CLASS = (() => {
  const t = new Uint8Array(128)
  for (let c = 0; c < 128; c++) {
    const ch = String.fromCharCode(c)
    if (/[A-Za-z0-9+/_-]/.test(ch)) t[c]! |= C_B64
    if (/[0-9A-Fa-f]/.test(ch)) t[c]! |= C_HEX
    if (/[:\- ,\t\r\n]/.test(ch)) t[c]! |= C_SEP
    if (c > 32 && c < 127 && !/["'`,;&)\]}<>|\\]/.test(ch)) t[c]! |= C_VAL
    if ('GJAwkKbB@:='.includes(ch)) t[c]! |= C_TRIG
  }
  return t
})()

/** text[i + d] === code */
function at2(t: string, i: number, d: number, code: number): boolean {
  return t.charCodeAt(i + d) === code
}

/** Case-insensitive: t[i..] starts with the lower-case word w. */
function wordAt(t: string, i: number, w: string): boolean {
  for (let k = 0; k < w.length; k++) if ((t.charCodeAt(i + k) | 0x20) !== w.charCodeAt(k)) return false
  return true
}

const NAME_STEMS = ['key', 'secret', 'token', 'pass', 'pwd', 'cred', 'priv', 'cert', 'auth', 'seed', 'psk', 'pem', 'jwk', 'jwt', 'bearer', 'otp', 'hmac', 'cookie', 'crt', 'pfx', 'p12', 'pkcs']

/** Does the name ending right before the separator at i (after quotes/spaces) contain a secret stem? */
function nameBeforeHasStem(t: string, i: number): boolean {
  let e = i
  while (e > 0 && i - e < 6) {
    const c = t.charCodeAt(e - 1)
    if (c === 32 || c === 34 || c === 39 || c === 92 || c === 96) e--
    else break
  }
  let s = e
  while (s > 0 && e - s < 64) {
    const c = t.charCodeAt(s - 1)
    if ((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 45 || c === 46) s--
    else break
  }
  if (e - s < 2) return false
  for (const stem of NAME_STEMS) {
    const L = stem.length
    outer: for (let p = s; p + L <= e; p++) {
      for (let k = 0; k < L; k++) if ((t.charCodeAt(p + k) | 0x20) !== stem.charCodeAt(k)) continue outer
      return true
    }
  }
  return false
}

/**
 * Which detectors could fire on this text? 0 = none. One pass over the chars, no
 * allocation: markers are recognised at their last char by looking back.
 */
export function prefilter(text: string): number {
  const n = text.length
  if (n < MIN_TEXT) return 0
  let f = 0
  let run = 0
  let hexRun = 0
  let pairs = 0
  let prevBackslash = false
  let slashes = false
  let at = false
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i)
    const k = c < 128 ? CLASS[c]! : 0
    if (k & C_B64) {
      if (++run >= 32) f |= F_ENC
    } else if (c !== 61) {
      run = 0
    }
    if (k & C_HEX) {
      hexRun++
    } else {
      if (hexRun === 2) pairs++
      else if (hexRun > 2) pairs = 1
      if (!(k & C_SEP) && c !== 120 && c !== 88 && c !== 92 && c !== 37 && !(prevBackslash && (c === 110 || c === 114 || c === 116))) {
        pairs = 0
      }
      hexRun = 0
      if (pairs >= 24) f |= F_ENC
    }
    prevBackslash = c === 92
    if (!(k & C_TRIG)) continue
    // markers, recognised at a rare char inside them
    switch (c) {
      case 71: // G: BEGIN
        if (at2(text, i, -2, 66) && at2(text, i, -1, 69) && at2(text, i, 1, 73) && at2(text, i, 2, 78)) f |= F_PEM
        break
      case 74: // J: eyJ
      case 65: // A: eyAi
        if (at2(text, i, -2, 101) && at2(text, i, -1, 121)) f |= F_JWT
        break
      case 119: // w: ewo, ew0K
        if (at2(text, i, -1, 101) && (at2(text, i, 1, 111) || (at2(text, i, 1, 48) && at2(text, i, 2, 75)))) f |= F_JWT
        break
      case 107: // k: kty, token
        if (at2(text, i, 1, 116) && at2(text, i, 2, 121)) f |= F_JWK
        else if (at2(text, i, -1, 111) && at2(text, i, 1, 101) && at2(text, i, 2, 110)) f |= F_AUTH
        break
      case 75: // K: TOKEN
        if (at2(text, i, -1, 79) && at2(text, i, 1, 69) && at2(text, i, 2, 78)) f |= F_AUTH
        break
      case 98: // b / B: bearer, basic (any case)
      case 66:
        if (wordAt(text, i + 1, 'earer') || wordAt(text, i + 1, 'asic')) f |= F_AUTH
        break
      case 64: // @
        at = true
        break
      case 58: // :  (also ://)
      case 61: // =
        if (c === 58 && at2(text, i, 1, 47) && at2(text, i, 2, 47)) slashes = true
        if (!(f & F_FIELD) && valueFollows(text, i) && nameBeforeHasStem(text, i)) f |= F_FIELD
        break
    }
  }
  if (slashes && at) f |= F_URL
  return f
}

/** >= 4 value chars within a few chars after the separator at i. */
function valueFollows(text: string, i: number): boolean {
  const n = text.length
  let j = i + 1
  const lim = Math.min(n, i + 5)
  while (j < lim) {
    const d = text.charCodeAt(j)
    if (d === 32 || d === 34 || d === 39 || d === 92 || d === 62 || d === 9) j++
    else break
  }
  let v = 0
  while (j < n && v < 4) {
    const d = text.charCodeAt(j)
    if (d < 128 && CLASS[d]! & C_VAL && d !== 58) {
      v++
      j++
    } else break
  }
  return v >= 4
}

/**
 * Spans of key material in a string (UTF-16 indices), sorted, non-overlapping (overlaps
 * merged, keeping the highest-ranked kind). `depth` = decode layers allowed (default 3);
 * depth <= 0 still finds plain PEM / JWT / JWK / bearer / field secrets, decodes nothing.
 */
export function findSecretsInText(text: string, depth: number = DEFAULT_DEPTH): SecretSpan[] {
  const f = prefilter(text)
  if (f === 0) return EMPTY
  const spans: SecretSpan[] = []
  let pemRanges: Range[] | undefined
  if (f & F_PEM) {
    for (const b of findPem(text)) {
      spans.push({ start: b.start, end: b.end, kind: pemKindToSecretKind(b.kind), encoding: 'pem' })
      ;(pemRanges ??= []).push(b)
    }
  }
  if (f & F_JWT) for (const h of findJwts(text)) spans.push({ start: h.start, end: h.end, kind: 'jwt', encoding: 'jwt' })
  if (f & F_AUTH) for (const h of findAuthTokens(text)) spans.push({ start: h.start, end: h.end, kind: h.kind, encoding: 'text' })
  if (f & F_JWK) for (const h of findJwksInText(text)) spans.push({ start: h.start, end: h.end, kind: 'jwk', encoding: 'jwk' })
  if (f & F_FIELD) for (const h of findFieldSecretsInText(text)) spans.push({ start: h.start, end: h.end, kind: 'key-material', encoding: 'field' })
  if (f & F_URL) for (const h of findUrlCredentials(text)) spans.push({ start: h.start, end: h.end, kind: 'key-material', encoding: 'text' })
  if (f & F_ENC && depth >= 1) {
    for (const h of findEncoded(text, depth, inspectDecoded, pemRanges)) {
      spans.push({ start: h.start, end: h.end, kind: h.kind, encoding: h.encoding })
    }
  }
  return spans.length === 0 ? EMPTY : normaliseSpans(spans)
}

/** Inspector for decoded bytes: everything findSecretsInBytes finds, reduced to the strongest kind. */
function inspectDecoded(bytes: Uint8Array, depth: number): SecretKind | undefined {
  // (findEncoded only calls this for decodes that pass its cheap `mayHoldSecret` gate)
  let kind: SecretKind | undefined
  for (const s of findSecretsInBytes(bytes, depth)) kind = strongerKind(kind, s.kind)
  return kind
}

/**
 * Spans of key material in bytes: raw DER / SSH key structures anywhere, and everything
 * findSecretsInText finds when the bytes are mostly UTF-8 text (indices mapped back to byte
 * offsets) or, for binary, inside each printable ASCII run of >= 16 bytes.
 */
export function findSecretsInBytes(bytes: Uint8Array, depth: number = DEFAULT_DEPTH): SecretSpan[] {
  if (bytes.length < MIN_TEXT) return EMPTY
  const spans: SecretSpan[] = []
  for (const h of findDer(bytes)) spans.push({ start: h.start, end: h.end, kind: derKindToSecretKind(h.kind), encoding: 'der' })
  for (const h of findSsh(bytes)) spans.push({ start: h.start, end: h.end, kind: sshKindToSecretKind(h.kind), encoding: 'der' })
  const asText = bytesAsText(bytes)
  if (asText !== undefined) {
    const found = findSecretsInText(asText.text, depth)
    if (found.length > 0) {
      if (asText.ascii) for (const s of found) spans.push({ ...s })
      else for (const s of mapUtf16ToUtf8(asText.text, found)) spans.push(s)
    }
  } else {
    // binary: printable ASCII runs (TAB/CR/LF included)
    const n = bytes.length
    let i = 0
    while (i < n) {
      while (i < n && !printable(bytes[i]!)) i++
      const s = i
      while (i < n && printable(bytes[i]!)) i++
      if (i - s >= MIN_PRINTABLE_RUN) {
        for (const h of findSecretsInText(latin1(bytes, s, i), depth)) {
          spans.push({ start: h.start + s, end: h.end + s, kind: h.kind, encoding: h.encoding })
        }
      }
    }
  }
  return spans.length === 0 ? EMPTY : normaliseSpans(spans)
}

function printable(c: number): boolean {
  return (c >= 0x20 && c < 0x7f) || c === 9 || c === 10 || c === 13
}

/** Map UTF-16 spans of `text` (sorted) to UTF-8 byte offsets. */
function mapUtf16ToUtf8(text: string, spans: readonly SecretSpan[]): SecretSpan[] {
  const points: number[] = []
  for (const s of spans) points.push(s.start, s.end)
  const order = points.map((_, i) => i).sort((a, b) => points[a]! - points[b]!)
  const mapped = new Array<number>(points.length)
  let u = 0
  let b = 0
  for (const idx of order) {
    const target = points[idx]!
    while (u < target) {
      const c = text.charCodeAt(u)
      if (c < 0x80) b += 1
      else if (c < 0x800) b += 2
      else if (c >= 0xd800 && c <= 0xdbff && u + 1 < text.length) {
        const d = text.charCodeAt(u + 1)
        if (d >= 0xdc00 && d <= 0xdfff) {
          b += 4
          u++
        } else b += 3
      } else b += 3
      u++
    }
    mapped[idx] = b
  }
  return spans.map((s, i) => ({ start: mapped[2 * i]!, end: mapped[2 * i + 1]!, kind: s.kind, encoding: s.encoding }))
}

/** A field-name guess ranks below anything recognised by structure. */
function spanRank(s: SecretSpan): number {
  return s.encoding === 'field' ? 0 : kindRank(s.kind)
}

/**
 * Sort and merge overlapping spans. The merged span keeps the highest-ranked kind
 * (private-key > key-material > jwk > jwt > bearer-token > public-key > certificate), except
 * that a field-name guess (encoding 'field') yields to any structural finding.
 */
export function normaliseSpans(spans: readonly SecretSpan[]): SecretSpan[] {
  const sorted = spans.filter((s) => s.end > s.start).sort((a, b) => a.start - b.start || b.end - a.end)
  const out: SecretSpan[] = []
  for (const s of sorted) {
    const last = out[out.length - 1]
    if (last !== undefined && s.start < last.end) {
      if (s.end > last.end) last.end = s.end
      if (spanRank(s) > spanRank(last)) {
        last.kind = s.kind
        last.encoding = s.encoding
      }
    } else {
      out.push({ start: s.start, end: s.end, kind: s.kind, encoding: s.encoding })
    }
  }
  return out
}

const MARKER_PREFIX = '[ADX-STRIPPED:'

/** The marker that replaces a span. */
export function strippedMarker(kind: SecretKind): string {
  return `${MARKER_PREFIX}${kind}]`
}

/** Replace every span with the marker `[ADX-STRIPPED:<kind>]`. */
export function redactText(text: string, spans: SecretSpan[]): string {
  if (spans.length === 0) return text
  const norm = normaliseSpans(spans)
  let out = ''
  let last = 0
  for (const s of norm) {
    const start = Math.max(s.start, last)
    const end = Math.min(s.end, text.length)
    if (end <= start) continue
    out += text.slice(last, start) + strippedMarker(s.kind)
    last = end
  }
  return out + text.slice(last)
}

/** Remove every span, putting the same ASCII marker in its place. */
export function redactBytes(bytes: Uint8Array, spans: SecretSpan[]): Uint8Array {
  if (spans.length === 0) return bytes
  const norm = normaliseSpans(spans)
  const parts: Uint8Array[] = []
  let total = 0
  let last = 0
  for (const s of norm) {
    const start = Math.max(s.start, last)
    const end = Math.min(s.end, bytes.length)
    if (end <= start) continue
    const keep = bytes.subarray(last, start)
    const marker = asciiBytes(strippedMarker(s.kind))
    parts.push(keep, marker)
    total += keep.length + marker.length
    last = end
  }
  const tail = bytes.subarray(last)
  parts.push(tail)
  total += tail.length
  const out = new Uint8Array(total)
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return out
}

function asciiBytes(s: string): Uint8Array {
  const b = new Uint8Array(s.length)
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i)
  return b
}
