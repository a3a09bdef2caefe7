/**
 * A small, allocation-light ASN.1 DER reader that recognises keys and certificates
 * by STRUCTURE (never by a field name or a text label).
 *
 * Recognised shapes (all lengths must be minimal DER definite lengths, and every
 * constructed element must be filled exactly by its children):
 *
 *   certificate      SEQ{ SEQ tbs{ [0]{INT v}? INT serial, AlgId, Name, SEQ{Time,Time}, Name, SPKI, [1]?[2]?[3]? }, AlgId, BIT STRING }
 *   crl              SEQ{ SEQ tbs{ INT v?, AlgId, Name, Time, ... }, AlgId, BIT STRING }
 *   csr              SEQ{ SEQ info{ INT 0, Name, SPKI, [0] attrs }, AlgId, BIT STRING }
 *   spki             SEQ{ AlgId, BIT STRING (>= 16 key bytes, 0 unused bits) }
 *   pkcs8            SEQ{ INT 0|1, AlgId, OCTET STRING, [0]? [1]? }
 *   pkcs8-encrypted  SEQ{ AlgId (PKCS#5 / PKCS#12 PBE OID), OCTET STRING (>= 16 bytes) }
 *   rsa-private      SEQ{ INT 0|1, n, e, d, p, q, dp, dq, qi, SEQ otherPrimes? }  (n odd)
 *   rsa-public       SEQ{ INT n (odd, >= 64 magnitude bytes), INT e (odd, 3 .. 16 bytes) }
 *   ec-private       SEQ{ INT 1, OCTET STRING (16..72 bytes), [0]{OID}?, [1]{BIT STRING}? }
 *   pkcs12           SEQ{ INT 3, SEQ ContentInfo{ OID pkcs7-*, ... }, SEQ macData? }
 *
 * What is deliberately NOT a key:
 *   - SEQ{ INT r, INT s } with r, s <= 66 bytes: an ECDSA/DSA signature. RSAPublicKey
 *     requires a >= 64-byte ODD modulus AND a small odd exponent (<= 16 bytes), which a
 *     signature's second integer essentially never is.
 *   - DigestInfo SEQ{ AlgId, OCTET STRING }: only PBE algorithm OIDs make that shape an
 *     EncryptedPrivateKeyInfo.
 *
 * Truncated structures: `findDer` also reports a structure whose declared length runs past
 * the buffer (or whose tail is corrupt) when a strong, key-specific PREFIX is intact (see
 * `classifyDerPrefix`): e.g. a base64 blob cut off by a log line limit still leaks most of
 * the key. Such hits carry `truncated: true` and extend to min(declared end, buffer end).
 *
 * Work per candidate position is bounded by a constant (a fixed number of headers are
 * read, no recursion over arbitrary content), so `findDer` is O(n) on any input.
 */

export type DerKind =
  | 'certificate'
  | 'crl'
  | 'csr'
  | 'spki'
  | 'pkcs8'
  | 'pkcs8-encrypted'
  | 'rsa-private'
  | 'rsa-public'
  | 'ec-private'
  | 'pkcs12'

export interface DerMatch {
  kind: DerKind
  /** Total encoded length of the outer SEQUENCE (header + content). */
  length: number
}

export interface DerHit {
  kind: DerKind
  start: number
  /** Exclusive. */
  end: number
  /** Set when only a key-specific prefix was recognised (structure cut off or corrupt). */
  truncated?: boolean
}

/** Smallest total length findDer considers (an Ed25519 SPKI is 44 bytes, PKCS#8 48). */
export const MIN_DER_LENGTH = 24

// ---------------------------------------------------------------------------
// Header reader. Results go to module-level scratch registers: no allocation.
// (JS is single-threaded and none of these functions re-enter each other across an await.)

let hTag = 0
/** Tag of the last header read (a function so TS does not narrow it across calls). */
function tg(): number {
  return hTag
}
/** Start of content. */
let hC = 0
/** End of content (exclusive); may exceed `limit` only with readHeaderOpen. */
let hE = 0

/** Reads a TLV header at pos; the whole element must fit before limit. */
function rh(b: Uint8Array, pos: number, limit: number): boolean {
  if (!rhOpen(b, pos, limit)) return false
  return hE <= limit
}

/** Reads a TLV header at pos; only the header must fit before limit (content may not). */
function rhOpen(b: Uint8Array, pos: number, limit: number): boolean {
  if (pos + 2 > limit) return false
  const tag = b[pos]!
  if ((tag & 0x1f) === 0x1f) return false // high-tag-number form: never used by our shapes
  let l = b[pos + 1]!
  let p = pos + 2
  if (l & 0x80) {
    const n = l & 0x7f
    if (n === 0 || n > 4) return false // indefinite length (BER) or absurd
    if (p + n > limit) return false
    if (b[p] === 0) return false // non-minimal
    l = 0
    for (let k = 0; k < n; k++) l = l * 256 + b[p + k]!
    p += n
    if (l < 0x80) return false // non-minimal: must have used the short form
  }
  hTag = tag
  hC = p
  hE = p + l
  return true
}

/** Valid DER INTEGER content (minimal two's complement). */
function intOk(b: Uint8Array, c: number, e: number): boolean {
  const len = e - c
  if (len < 1) return false
  if (len >= 2) {
    const b0 = b[c]!
    const b1 = b[c + 1]!
    if (b0 === 0 && b1 < 0x80) return false
    if (b0 === 0xff && b1 >= 0x80) return false
  }
  return true
}

/** Non-negative INTEGER: number of magnitude bytes (leading 0x00 stripped), or -1. */
function posIntMagnitude(b: Uint8Array, c: number, e: number): number {
  if (!intOk(b, c, e)) return -1
  if (b[c]! & 0x80) return -1 // negative
  return b[c] === 0 ? e - c - 1 : e - c
}

function isSmallInt(b: Uint8Array, c: number, e: number, v: number): boolean {
  return e - c === 1 && b[c] === v
}

/** Valid OID content: minimal base-128 sub-identifiers, last one terminated. */
function oidOk(b: Uint8Array, c: number, e: number): boolean {
  const len = e - c
  if (len < 1 || len > 64) return false
  if (b[e - 1]! & 0x80) return false
  let atStart = true
  for (let i = c; i < e; i++) {
    const x = b[i]!
    if (atStart && x === 0x80) return false
    atStart = (x & 0x80) === 0
  }
  return true
}

let oidC = 0
let oidE = 0

/**
 * AlgorithmIdentifier: SEQ{ OID, ANY? } filling exactly. Returns its end or -1 and leaves
 * the OID's content range in oidC/oidE.
 */
function algId(b: Uint8Array, pos: number, limit: number): number {
  if (!rh(b, pos, limit) || tg() !== 0x30) return -1
  const end = hE
  if (!rh(b, hC, end) || tg() !== 0x06 || !oidOk(b, hC, hE)) return -1
  oidC = hC
  oidE = hE
  const p = hE
  if (p === end) return end
  if (!rh(b, p, end)) return -1
  return hE === end ? end : -1
}

function oidHasPrefix(b: Uint8Array, prefix: readonly number[]): boolean {
  if (oidE - oidC < prefix.length) return false
  for (let i = 0; i < prefix.length; i++) if (b[oidC + i] !== prefix[i]) return false
  return true
}

// OID prefixes (encoded content bytes).
const OID_PKCS5 = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05] // 1.2.840.113549.1.5 (PBES1/PBES2)
const OID_PKCS12_PBE = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x01] // 1.2.840.113549.1.12.1
const OID_PKCS7 = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07] // 1.2.840.113549.1.7
/** Key algorithm families, used only to confirm truncated prefixes. */
const KEY_ALG_PREFIXES: readonly (readonly number[])[] = [
  [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01], // 1.2.840.113549.1.1 PKCS#1 (rsaEncryption, RSASSA-PSS, ...)
  [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x03], // 1.2.840.113549.1.3 PKCS#3 (dh)
  [0x2a, 0x86, 0x48, 0xce, 0x3d], //                   1.2.840.10045 ANSI X9.62 (ecPublicKey)
  [0x2a, 0x86, 0x48, 0xce, 0x38, 0x04], //             1.2.840.10040.4 (dsa)
  [0x2a, 0x86, 0x48, 0xce, 0x3e], //                   1.2.840.10046 (dhpublicnumber)
  [0x2b, 0x65], //                                     1.3.101 (X25519, X448, Ed25519, Ed448)
  [0x2a, 0x81, 0x1c, 0xcf, 0x55], //                   1.2.156.10197 (SM2 / Chinese GM)
  [0x2a, 0x85, 0x03], //                               1.2.643 (GOST)
]

function oidIsKeyAlg(b: Uint8Array): boolean {
  for (const p of KEY_ALG_PREFIXES) if (oidHasPrefix(b, p)) return true
  return false
}

function oidIsPbe(b: Uint8Array): boolean {
  return oidHasPrefix(b, OID_PKCS5) || oidHasPrefix(b, OID_PKCS12_PBE)
}

// ---------------------------------------------------------------------------
// Shapes. Each takes the content range [c, e) of the outer SEQUENCE.

/** SPKI at pos (a full TLV); returns its end or -1. */
function spkiAt(b: Uint8Array, pos: number, limit: number): number {
  if (!rh(b, pos, limit) || tg() !== 0x30) return -1
  const end = hE
  return spkiBody(b, hC, end) ? end : -1
}

function spkiBody(b: Uint8Array, c: number, e: number): boolean {
  const p = algId(b, c, e)
  if (p < 0) return false
  if (!rh(b, p, e) || tg() !== 0x03 || hE !== e) return false
  // unused-bits octet must be 0 for a key; at least 16 key bytes (X25519/Ed25519 are 32)
  return hE - hC >= 17 && b[hC] === 0
}

function nameAt(b: Uint8Array, pos: number, limit: number): number {
  if (!rh(b, pos, limit) || tg() !== 0x30) return -1
  const end = hE
  if (hC < end && b[hC] !== 0x31) return -1 // RDNSequence: SEQUENCE OF SET
  return end
}

function isTime(tag: number): boolean {
  return tag === 0x17 || tag === 0x18 // UTCTime / GeneralizedTime
}

function tbsCertificate(b: Uint8Array, c: number, e: number): boolean {
  let p = c
  if (b[p] === 0xa0) {
    if (!rh(b, p, e)) return false
    const vEnd = hE
    if (!rh(b, hC, vEnd) || tg() !== 0x02 || hE !== vEnd || hE - hC !== 1 || b[hC]! > 2) return false
    p = vEnd
  }
  if (!rh(b, p, e) || tg() !== 0x02 || !intOk(b, hC, hE) || hE - hC > 64) return false
  p = hE
  p = algId(b, p, e)
  if (p < 0) return false
  p = nameAt(b, p, e)
  if (p < 0) return false
  // validity
  if (!rh(b, p, e) || tg() !== 0x30) return false
  const vEnd = hE
  if (!rh(b, hC, vEnd) || !isTime(tg())) return false
  if (!rh(b, hE, vEnd) || !isTime(tg()) || hE !== vEnd) return false
  p = vEnd
  p = nameAt(b, p, e)
  if (p < 0) return false
  p = spkiAt(b, p, e)
  if (p < 0) return false
  // issuerUniqueID [1], subjectUniqueID [2], extensions [3]: just well-formed TLVs filling
  for (let k = 0; k < 3 && p < e; k++) {
    if (!rh(b, p, e)) return false
    const t = hTag & 0xdf
    if (t !== 0x81 && t !== 0x82 && t !== 0x83) return false
    p = hE
  }
  return p === e
}

function tbsCrl(b: Uint8Array, c: number, e: number): boolean {
  let p = c
  if (b[p] === 0x02) {
    if (!rh(b, p, e) || !isSmallInt(b, hC, hE, 1)) return false
    p = hE
  }
  p = algId(b, p, e)
  if (p < 0) return false
  p = nameAt(b, p, e)
  if (p < 0) return false
  return rh(b, p, e) && isTime(tg())
}

function csrInfo(b: Uint8Array, c: number, e: number): boolean {
  if (!rh(b, c, e) || tg() !== 0x02 || !isSmallInt(b, hC, hE, 0)) return false
  let p = nameAt(b, hE, e)
  if (p < 0) return false
  p = spkiAt(b, p, e)
  if (p < 0) return false
  return rh(b, p, e) && tg() === 0xa0 && hE === e
}

/** SEQ{ SEQ tbs, AlgId, BIT STRING }: certificate, CRL or CSR. */
function signed(b: Uint8Array, c: number, e: number): DerKind | undefined {
  if (!rh(b, c, e) || tg() !== 0x30) return undefined
  const tC = hC
  const tE = hE
  const p = algId(b, tE, e)
  if (p < 0) return undefined
  if (!rh(b, p, e) || tg() !== 0x03 || hE !== e || hE - hC < 2 || b[hC] !== 0) return undefined
  if (tbsCertificate(b, tC, tE)) return 'certificate'
  if (tbsCrl(b, tC, tE)) return 'crl'
  if (csrInfo(b, tC, tE)) return 'csr'
  return undefined
}

function encryptedPkcs8(b: Uint8Array, c: number, e: number): boolean {
  const p = algId(b, c, e)
  if (p < 0 || !oidIsPbe(b)) return false
  return rh(b, p, e) && tg() === 0x04 && hE === e && hE - hC >= 16
}

function pkcs8(b: Uint8Array, c: number, e: number): boolean {
  if (!rh(b, c, e) || tg() !== 0x02 || hE - hC !== 1 || b[hC]! > 1) return false
  let p = algId(b, hE, e)
  if (p < 0) return false
  if (!rh(b, p, e) || tg() !== 0x04 || hE - hC < 16) return false
  p = hE
  if (p < e && b[p] === 0xa0) {
    if (!rh(b, p, e)) return false
    p = hE
  }
  if (p < e && (b[p] === 0x81 || b[p] === 0xa1)) {
    if (!rh(b, p, e)) return false
    p = hE
  }
  return p === e
}

function rsaPrivate(b: Uint8Array, c: number, e: number): boolean {
  if (!rh(b, c, e) || tg() !== 0x02 || hE - hC !== 1 || b[hC]! > 1) return false
  const version = b[hC]!
  let p = hE
  for (let k = 0; k < 8; k++) {
    if (!rh(b, p, e) || tg() !== 0x02) return false
    const mag = posIntMagnitude(b, hC, hE)
    if (mag < 1) return false
    if (k === 0 && (mag < 32 || (b[hE - 1]! & 1) === 0)) return false // modulus: >= 256 bits, odd
    p = hE
  }
  if (version === 1 && p < e) {
    if (!rh(b, p, e) || tg() !== 0x30) return false
    p = hE
  }
  return p === e
}

function rsaPublic(b: Uint8Array, c: number, e: number): boolean {
  if (!rh(b, c, e) || tg() !== 0x02) return false
  const nMag = posIntMagnitude(b, hC, hE)
  if (nMag < 64 || (b[hE - 1]! & 1) === 0) return false // >= 505 bits and odd
  if (!rh(b, hE, e) || tg() !== 0x02 || hE !== e) return false
  const eMag = posIntMagnitude(b, hC, hE)
  if (eMag < 1 || eMag > 16 || (b[hE - 1]! & 1) === 0) return false
  return !(eMag === 1 && b[hE - 1]! < 3)
}

function ecPrivate(b: Uint8Array, c: number, e: number): boolean {
  if (!rh(b, c, e) || tg() !== 0x02 || !isSmallInt(b, hC, hE, 1)) return false
  if (!rh(b, hE, e) || tg() !== 0x04 || hE - hC < 16 || hE - hC > 72) return false
  let p = hE
  if (p < e && b[p] === 0xa0) {
    if (!rh(b, p, e)) return false
    const end = hE
    if (!rh(b, hC, end) || tg() !== 0x06 || hE !== end || !oidOk(b, hC, hE)) return false
    p = end
  }
  if (p < e && b[p] === 0xa1) {
    if (!rh(b, p, e)) return false
    const end = hE
    if (!rh(b, hC, end) || tg() !== 0x03 || hE !== end) return false
    p = end
  }
  return p === e
}

function pkcs12(b: Uint8Array, c: number, e: number): boolean {
  if (!rh(b, c, e) || tg() !== 0x02 || !isSmallInt(b, hC, hE, 3)) return false
  if (!rh(b, hE, e) || tg() !== 0x30) return false
  let p = hE
  if (!rh(b, hC, p) || tg() !== 0x06 || !oidOk(b, hC, hE)) return false
  oidC = hC
  oidE = hE
  if (!oidHasPrefix(b, OID_PKCS7)) return false
  if (p < e) {
    if (!rh(b, p, e) || tg() !== 0x30) return false
    p = hE
  }
  return p === e
}

function classifyBody(b: Uint8Array, c: number, e: number): DerKind | undefined {
  if (c + 2 > e) return undefined
  const t0 = b[c]
  if (t0 === 0x02) {
    // first child INTEGER
    if (!rh(b, c, e)) return undefined
    const next = hE < e ? b[hE] : -1
    if (next === 0x30) {
      if (pkcs8(b, c, e)) return 'pkcs8'
      if (pkcs12(b, c, e)) return 'pkcs12'
      return undefined
    }
    if (next === 0x04) return ecPrivate(b, c, e) ? 'ec-private' : undefined
    if (next === 0x02) {
      if (rsaPrivate(b, c, e)) return 'rsa-private'
      if (rsaPublic(b, c, e)) return 'rsa-public'
    }
    return undefined
  }
  if (t0 === 0x30) {
    if (!rh(b, c, e)) return undefined
    const next = hE < e ? b[hE] : -1
    if (next === 0x03) return spkiBody(b, c, e) ? 'spki' : undefined
    if (next === 0x04) return encryptedPkcs8(b, c, e) ? 'pkcs8-encrypted' : undefined
    if (next === 0x30) return signed(b, c, e)
  }
  return undefined
}

/**
 * Classify the DER element starting at `offset`: a key or certificate recognised by
 * structure, or undefined. Never throws; never reads outside `bytes`.
 */
export function classifyDer(bytes: Uint8Array, offset = 0): DerMatch | undefined {
  if (offset < 0 || bytes[offset] !== 0x30) return undefined
  if (!rh(bytes, offset, bytes.length)) return undefined
  const c = hC
  const e = hE
  if (e - offset < MIN_DER_LENGTH) return undefined
  const kind = classifyBody(bytes, c, e)
  return kind === undefined ? undefined : { kind, length: e - offset }
}

/**
 * Recognise a key-specific PREFIX of a structure that is cut off or corrupt further on.
 * Returns the kind and the length through min(declared end, end of buffer), or undefined.
 * Only distinctive prefixes count: PKCS#8 / SPKI need a key-algorithm OID, encrypted
 * PKCS#8 a PBE OID, RSA private keys a complete odd modulus and small exponent, SEC1 a
 * complete private-key octet string, certificates an explicit [0] version + serial + AlgId.
 */
export function classifyDerPrefix(b: Uint8Array, offset = 0): DerMatch | undefined {
  if (offset < 0 || b[offset] !== 0x30) return undefined
  if (!rhOpen(b, offset, b.length)) return undefined
  const c = hC
  const declared = hE
  const e = Math.min(declared, b.length)
  if (declared - offset < MIN_DER_LENGTH || e - c < 8) return undefined
  let kind: DerKind | undefined
  const t0 = b[c]
  if (t0 === 0x02) {
    if (!rh(b, c, e) || hE - hC !== 1) return undefined
    const v = b[hC]!
    const p = hE
    const next = b[p]
    if (next === 0x30 && v <= 1) {
      const q = algId(b, p, e)
      if (q >= 0 && oidIsKeyAlg(b) && rhOpen(b, q, e) && tg() === 0x04 && hE - hC >= 16) kind = 'pkcs8'
    } else if (next === 0x04 && v === 1) {
      if (rh(b, p, e) && hE - hC >= 16 && hE - hC <= 72 && rhOpen(b, hE, e) && (tg() === 0xa0 || tg() === 0xa1)) {
        kind = 'ec-private'
      }
    } else if (next === 0x02 && v <= 1) {
      if (rh(b, p, e) && posIntMagnitude(b, hC, hE) >= 64 && b[hE - 1]! & 1) {
        if (rh(b, hE, e) && tg() === 0x02) {
          const eMag = posIntMagnitude(b, hC, hE)
          if (eMag >= 1 && eMag <= 16 && b[hE - 1]! & 1 && rhOpen(b, hE, e) && tg() === 0x02) kind = 'rsa-private'
        }
      }
    }
  } else if (t0 === 0x30) {
    if (!rhOpen(b, c, e)) return undefined
    if (b[hC] === 0xa0) {
      // certificate: SEQ{ SEQ tbs{ [0]{INT v} INT serial AlgId ...
      const tbsLimit = Math.min(hE, e)
      let p = hC
      if (rh(b, p, tbsLimit)) {
        const vEnd = hE
        if (rh(b, hC, vEnd) && tg() === 0x02 && hE === vEnd && hE - hC === 1 && b[hC]! <= 2) {
          p = vEnd
          if (rh(b, p, tbsLimit) && tg() === 0x02 && intOk(b, hC, hE) && hE - hC <= 64) {
            const q = algId(b, hE, tbsLimit)
            if (q >= 0 && rhOpen(b, q, tbsLimit) && tg() === 0x30) kind = 'certificate'
          }
        }
      }
    } else {
      const q = algId(b, c, e)
      if (q >= 0 && rhOpen(b, q, e)) {
        if (tg() === 0x03 && oidIsKeyAlg(b)) kind = 'spki'
        else if (tg() === 0x04 && oidIsPbe(b)) kind = 'pkcs8-encrypted'
      }
    }
  }
  return kind === undefined ? undefined : { kind, length: e - offset }
}

/**
 * Scan a buffer for embedded DER keys / certificates. Outermost matches only (a
 * certificate's SPKI is not reported separately). O(n): each candidate SEQUENCE costs a
 * bounded number of header reads.
 */
export function findDer(bytes: Uint8Array): DerHit[] {
  const out: DerHit[] = []
  const n = bytes.length
  let i = bytes.indexOf(0x30)
  while (i >= 0 && i + MIN_DER_LENGTH <= n) {
    // cheap gate: long-form or short-form length >= MIN, first child INTEGER or SEQUENCE
    const l = bytes[i + 1]!
    if ((l >= MIN_DER_LENGTH - 2 && l < 0x80) || (l >= 0x81 && l <= 0x84)) {
      const firstChild = bytes[i + 2 + (l & 0x80 ? l & 0x7f : 0)]
      if (firstChild === 0x02 || firstChild === 0x30) {
        const m = classifyDer(bytes, i)
        if (m !== undefined) {
          out.push({ kind: m.kind, start: i, end: i + m.length })
          i = bytes.indexOf(0x30, i + m.length)
          continue
        }
        const pm = classifyDerPrefix(bytes, i)
        if (pm !== undefined) {
          out.push({ kind: pm.kind, start: i, end: i + pm.length, truncated: true })
          i = bytes.indexOf(0x30, i + pm.length)
          continue
        }
      }
    }
    i = bytes.indexOf(0x30, i + 1)
  }
  return out
}
