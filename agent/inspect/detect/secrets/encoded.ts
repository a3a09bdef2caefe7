/**
 * Key material hidden in base64 / base64url / hex runs inside text.
 *
 * BASE64 RUNS: maximal runs of [A-Za-z0-9+/_-] and '=' (padding, and `key=` glued on), with
 *   `\/` and `%2B %2F %3D` escapes, continuing across a line break (CR/LF, escaped `\n`
 *   `\r\n`, double-escaped `\\n`, then optional indentation) when the line before it carries
 *   >= 32 base64 chars (wrapped MIME / PEM-less blobs). A run of >= 40 base64 chars is decoded
 *   at the 4 possible alignments (`=` dropped), because an unrelated alphanumeric prefix
 *   (`key=`, `secret`, a word glued on) may shift it.
 *
 * HEX RUNS: >= 64 contiguous hex digits (also across line breaks after >= 32-digit lines),
 *   decoded at both alignments; or >= 32 byte pairs separated by `:` `-` space `,` or
 *   prefixed `0x` / `\x` / `%` (`30:82:01:0a`, `0x30, 0x82`, `\x30\x82`, `%30%82`); a longer
 *   hex token glued before the first separator contributes its last two digits.
 *
 * Each decoded buffer is handed to `inspect(bytes, depth - 1)` (default: DER + SSH structures
 * only; secrets.ts passes a recursive inspector that also looks for PEM / JWT / JWK / nested
 * encodings in decoded TEXT). When it finds anything, the WHOLE run is reported.
 *
 * Linear: each char is visited by the run scanners once; decoding is O(run) x alignments.
 */
import { B64_VALUE, hexValue, sextetsInto } from './codec.ts'
import { findDer } from './der.ts'
import { findSsh } from './ssh.ts'
import { derKindToSecretKind, sshKindToSecretKind, strongerKind, type SecretKind } from './types.ts'

export const MIN_BASE64_RUN = 40
export const MIN_HEX_DIGITS = 64
export const MIN_HEX_PAIRS = 32
/** A line must carry this many chars for a run to continue past its line break. */
const MIN_LINE = 32

export interface EncodedHit {
  start: number
  end: number
  encoding: 'base64' | 'hex'
  kind: SecretKind
}

/** Inspect decoded bytes: the strongest secret kind inside, or undefined. */
export type DecodedInspector = (bytes: Uint8Array, depth: number) => SecretKind | undefined

/** Default inspector: DER and SSH key structures anywhere in the bytes. */
export function inspectStructures(bytes: Uint8Array): SecretKind | undefined {
  let kind: SecretKind | undefined
  for (const h of findDer(bytes)) kind = strongerKind(kind, derKindToSecretKind(h.kind))
  for (const h of findSsh(bytes)) kind = strongerKind(kind, sshKindToSecretKind(h.kind))
  return kind
}

export interface Range {
  start: number
  end: number
}

// growable scratch for sextets / nibbles
let scratch = new Uint8Array(4096)
/** The scratch buffer, grown to >= n symbols; what it held so far is kept. */
function ensure(n: number): Uint8Array {
  if (scratch.length < n) {
    const grown = new Uint8Array(Math.max(n, scratch.length * 2))
    grown.set(scratch)
    scratch = grown
  }
  return scratch
}

/** Length of a line break at i (real or escaped) plus following indentation, or 0. */
function lineBreakLen(t: string, i: number): number {
  let j = i
  const c = t.charCodeAt(j)
  if (c === 13) {
    j++
    if (t.charCodeAt(j) === 10) j++
  } else if (c === 10) {
    j++
  } else if (c === 92) {
    // \n, \r\n, \\n, \\r\\n
    for (let k = 0; k < 2; k++) {
      let b = j
      while (b < t.length && t.charCodeAt(b) === 92 && b - j < 4) b++
      if (b === j) break
      const d = t.charCodeAt(b)
      if (d === 114 || d === 110) j = b + 1
      else break
      if (d === 110) break
    }
    if (j === i) return 0
  } else {
    return 0
  }
  while (j < t.length && j - i < 24 && (t.charCodeAt(j) === 32 || t.charCodeAt(j) === 9)) j++
  return j - i
}

function b64ValueAt(t: string, i: number): number {
  const c = t.charCodeAt(i)
  return c < 128 ? B64_VALUE[c]! : -1
}

function inSkip(skip: readonly Range[] | undefined, pos: number, hint: { i: number }): number {
  if (skip === undefined) return -1
  while (hint.i < skip.length && skip[hint.i]!.end <= pos) hint.i++
  const r = skip[hint.i]
  return r !== undefined && r.start <= pos ? r.end : -1
}

/**
 * Find base64 and hex runs that decode to key material. `skip` (sorted, non-overlapping)
 * ranges are not scanned (e.g. PEM blocks already found). depth < 1: nothing is decoded.
 */
export function findEncoded(
  text: string,
  depth = 3,
  inspect: DecodedInspector = inspectStructures,
  skip?: readonly Range[],
): EncodedHit[] {
  if (depth < 1) return []
  const out: EncodedHit[] = []
  scanBase64(text, depth, inspect, skip, out)
  scanHex(text, depth, inspect, skip, out)
  out.sort((a, b) => a.start - b.start)
  return out
}

function scanBase64(text: string, depth: number, inspect: DecodedInspector, skip: readonly Range[] | undefined, out: EncodedHit[]): void {
  const n = text.length
  const hint = { i: 0 }
  let i = 0
  while (i < n) {
    const v0 = b64ValueAt(text, i)
    if (v0 < 0) {
      i++
      continue
    }
    const sk = inSkip(skip, i, hint)
    if (sk >= 0) {
      i = sk
      continue
    }
    const start = i
    let buf = ensure(64)
    let nv = 0
    let seg = 0
    let lastEnd = i
    let j = i
    // is the run hex digits of one case only? (then it is hex, not base64; see below)
    let hexLower = false
    let hexUpper = false
    let nonHex = false
    while (j < n) {
      const c = text.charCodeAt(j)
      const v = c < 128 ? B64_VALUE[c]! : -1
      if (v >= 0) {
        if (nv >= buf.length) buf = ensure(nv + 1)
        buf[nv++] = v
        if (c >= 97 && c <= 102) hexLower = true
        else if (c >= 65 && c <= 70) hexUpper = true
        else if (c > 57 || c < 48) nonHex = true
        seg++
        j++
        lastEnd = j
        continue
      }
      if (c === 61) {
        j++
        lastEnd = j
        continue
      }
      if (c === 92) {
        // \/ (JSON-escaped slash)
        let b = j
        while (b < n && text.charCodeAt(b) === 92 && b - j < 4) b++
        if (text.charCodeAt(b) === 47) {
          if (nv >= buf.length) buf = ensure(nv + 1)
          buf[nv++] = 63
          seg++
          j = b + 1
          lastEnd = j
          continue
        }
      } else if (c === 37) {
        const d1 = text.charCodeAt(j + 1)
        const d2 = text.charCodeAt(j + 2) | 0x20
        let val = -2
        if (d1 === 50 && d2 === 98) val = 62 // %2B
        else if (d1 === 50 && d2 === 102) val = 63 // %2F
        else if (d1 === 51 && d2 === 100) val = -1 // %3D
        if (val !== -2) {
          if (val >= 0) {
            if (nv >= buf.length) buf = ensure(nv + 1)
            buf[nv++] = val
            seg++
          }
          j += 3
          lastEnd = j
          continue
        }
      }
      if (seg >= MIN_LINE) {
        const lb = lineBreakLen(text, j)
        if (lb > 0 && b64ValueAt(text, j + lb) >= 0) {
          j += lb
          seg = 0
          continue
        }
      }
      break
    }
    // a run made only of hex digits of one case is hex, not base64 (random base64 of >= 40
    // chars is all-hex with probability (16/64)^40): the hex scanner handles it
    const hexOnly = !nonHex && !(hexLower && hexUpper) && lastEnd - start === nv
    if (nv >= MIN_BASE64_RUN && !hexOnly) {
      const kind = decodeAndInspect(buf, nv, 4, depth, inspect, false)
      if (kind !== undefined) out.push({ start, end: lastEnd, encoding: 'base64', kind })
    }
    i = Math.max(j, i + 1)
  }
}

/**
 * Could these decoded bytes b[0..n) hold anything? One tight pass: a SEQUENCE tag with a
 * plausible length (DER), three zero bytes or the `ope` of `openssh-key-v1` (SSH), or a
 * printable run of >= 16 bytes (text). Misaligned / random decodes almost never pass, which
 * keeps base64 and hex runs (digests, signatures, nonces) cheap and allocation-free.
 */
export function mayHoldSecret(b: Uint8Array, n = b.length): boolean {
  let zeros = 0
  let run = 0
  for (let i = 0; i < n; i++) {
    const c = b[i]!
    const t = BYTE_CLASS[c]!
    if (t & B_PRINT) {
      if (++run >= 16) return true
    } else run = 0
    if (t & B_ZERO) {
      if (++zeros >= 3) return true
      continue
    }
    zeros = 0
    if (t & B_SPECIAL) {
      if (c === 0x30) {
        // SEQUENCE, plausible length, first child INTEGER or SEQUENCE (or cut off here)
        const l = i + 1 < n ? b[i + 1]! : -1
        let child = -1
        if (l >= 22 && l < 0x80) child = i + 2
        else if (l >= 0x81 && l <= 0x84) child = i + 2 + (l & 0x7f)
        if (child > 0 && (child >= n || b[child] === 0x02 || b[child] === 0x30)) return true
      } else if (i + 2 < n && b[i + 1] === 0x70 && b[i + 2] === 0x65) return true // "ope"nssh-key-v1
    }
  }
  return false
}

const B_PRINT = 1
const B_ZERO = 2
const B_SPECIAL = 4
const BYTE_CLASS = (() => {
  const t = new Uint8Array(256)
  for (let c = 0; c < 256; c++) {
    if ((c >= 0x20 && c < 0x7f) || c === 9 || c === 10 || c === 13) t[c]! |= B_PRINT
  }
  t[0] = B_ZERO
  t[0x30]! |= B_SPECIAL
  t[0x6f]! |= B_SPECIAL
  return t
})()

let decoded = new Uint8Array(4096)

/** Decode vals[from..to) into the `decoded` scratch; returns the byte count. */
function decodeInto(vals: Uint8Array, from: number, to: number, hex: boolean): number {
  const cap = hex ? (to - from) >> 1 : ((to - from) * 6) >> 3
  if (decoded.length < cap) decoded = new Uint8Array(Math.max(cap, decoded.length * 2))
  const out = decoded
  if (hex) {
    let o = 0
    for (let i = from; i + 1 < to; i += 2) out[o++] = (vals[i]! << 4) | vals[i + 1]!
    return o
  }
  return sextetsInto(vals, from, to, out)
}

/**
 * Decode `vals[0..nv)` at each alignment (skip 0..aligns-1 leading symbols) and inspect.
 * hex: nibbles; otherwise sextets. Decodes into scratch and allocates only for an alignment
 * that passes `mayHoldSecret` (the inspector may recurse and reuse the scratch buffers, so
 * what it gets, and the symbols still needed, are copied first).
 */
function decodeAndInspect(vals: Uint8Array, nv: number, aligns: number, depth: number, inspect: DecodedInspector, hex: boolean): SecretKind | undefined {
  let own: Uint8Array | undefined
  for (let a = 0; a < aligns && nv - a > 0; a++) {
    const src: Uint8Array = own ?? vals
    const len = decodeInto(src, a, nv, hex)
    if (!mayHoldSecret(decoded, len)) continue
    own ??= vals.slice(0, nv)
    const bytes = decoded.slice(0, len)
    const k = inspect(bytes, depth - 1)
    if (k !== undefined) return k
  }
  return undefined
}

function isHexChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102)
}

/** Separator between hex pairs at i (bounded): returns its length (0 = none). */
function hexSepLen(t: string, i: number): number {
  let j = i
  const n = t.length
  while (j < n && j - i < 10) {
    const c = t.charCodeAt(j)
    if (c === 58 || c === 45 || c === 32 || c === 44 || c === 9 || c === 10 || c === 13) {
      j++
      continue
    }
    if (c === 92) {
      const d = t.charCodeAt(j + 1)
      if (d === 120 && isHexChar(t.charCodeAt(j + 2))) {
        j += 2 // \x
        break
      }
      if (d === 110 || d === 114 || d === 116) {
        j += 2 // escaped newline / tab
        continue
      }
      break
    }
    if (c === 48 && (t.charCodeAt(j + 1) | 0x20) === 120 && isHexChar(t.charCodeAt(j + 2))) {
      j += 2 // 0x
      break
    }
    if (c === 37 && isHexChar(t.charCodeAt(j + 1)) && isHexChar(t.charCodeAt(j + 2))) {
      j += 1 // %
      break
    }
    break
  }
  return j - i
}

function scanHex(text: string, depth: number, inspect: DecodedInspector, skip: readonly Range[] | undefined, out: EncodedHit[]): void {
  const n = text.length
  const hint = { i: 0 }
  let i = 0
  while (i < n) {
    const c0 = text.charCodeAt(i)
    // a sequence may start with a digit group, or with a 0x / \x / % prefix
    const start = i
    let p = i
    if (!isHexChar(c0)) {
      if (c0 === 92 && text.charCodeAt(i + 1) === 120 && isHexChar(text.charCodeAt(i + 2))) {
        p = i + 2 // \x30
      } else if (c0 === 37 && isHexChar(text.charCodeAt(i + 1)) && isHexChar(text.charCodeAt(i + 2))) {
        p = i + 1 // %30
      } else {
        i++
        continue
      }
    } else if (c0 === 48 && (text.charCodeAt(i + 1) | 0x20) === 120 && isHexChar(text.charCodeAt(i + 2))) {
      p = i + 2
    }
    const sk = inSkip(skip, i, hint)
    if (sk >= 0) {
      i = Math.max(sk, i + 1)
      continue
    }
    // first group (its nibbles are collected on the way)
    let buf = ensure(64)
    let g = p
    for (;;) {
      const v = g < n ? hexValue(text.charCodeAt(g)) : -1
      if (v < 0) break
      if (g - p >= buf.length) buf = ensure(g - p + 1)
      buf[g - p] = v
      g++
    }
    const firstLen = g - p
    if (firstLen === 0) {
      i++
      continue
    }
    let nv = 0
    let end = g
    if (firstLen >= MIN_HEX_DIGITS || (firstLen >= MIN_LINE && lineBreakLen(text, g) > 0)) {
      // contiguous mode (with line continuation), continuing after the first group
      nv = firstLen
      let q = g
      let seg = firstLen
      while (q < n) {
        const c = text.charCodeAt(q)
        if (isHexChar(c)) {
          if (nv >= buf.length) buf = ensure(nv + 1)
          buf[nv++] = hexValue(c)
          seg++
          q++
          end = q
          continue
        }
        if (seg >= MIN_LINE) {
          const lb = lineBreakLen(text, q)
          if (lb > 0 && isHexChar(text.charCodeAt(q + lb))) {
            q += lb
            seg = 0
            continue
          }
        }
        break
      }
      if (nv >= MIN_HEX_DIGITS) {
        const kind = decodeAndInspect(buf, nv, 2, depth, inspect, true)
        if (kind !== undefined) out.push({ start, end, encoding: 'hex', kind })
      }
      i = Math.max(end, i + 1)
      continue
    }
    if (firstLen >= 2) {
      // pair mode: the first group contributes its last two digits
      let resume = -1
      buf[0] = buf[firstLen - 2]!
      buf[1] = buf[firstLen - 1]!
      nv = 2
      let q = g
      for (;;) {
        const sl = hexSepLen(text, q)
        if (sl === 0) break
        const gs = q + sl
        let ge = gs
        while (ge < n && ge - gs < 3 && isHexChar(text.charCodeAt(ge))) ge++
        const gl = ge - gs
        if (gl < 2) break
        if (gl > 2) {
          while (ge < n && isHexChar(text.charCodeAt(ge))) ge++
          // a long hex token is a run of its own: leave it to the contiguous scan
          if (ge - gs >= MIN_LINE) break
          // a token followed by more pairs is ambiguous (`…:01` + `0:aa`, or `aa:0` + `30:82:…`):
          // its first two digits end this sequence AND it is scanned again as the start of
          // the next one (its last two digits then being the first pair)
          const sl2 = hexSepLen(text, ge)
          if (sl2 > 0 && isHexChar(text.charCodeAt(ge + sl2)) && isHexChar(text.charCodeAt(ge + sl2 + 1))) resume = gs
        }
        if (nv + 2 > buf.length) buf = ensure(nv + 2)
        buf[nv++] = hexValue(text.charCodeAt(gs))
        buf[nv++] = hexValue(text.charCodeAt(gs + 1))
        if (gl > 2) {
          // a longer token glued on ends the sequence (its first two digits were the last pair)
          end = ge
          break
        }
        end = ge
        q = ge
      }
      if (nv >= MIN_HEX_PAIRS * 2) {
        const kind = decodeAndInspect(buf, nv, 1, depth, inspect, true)
        if (kind !== undefined) out.push({ start, end, encoding: 'hex', kind })
      }
      i = resume > i ? resume : Math.max(end, i + 1)
      continue
    }
    i = Math.max(g, i + 1)
  }
}
