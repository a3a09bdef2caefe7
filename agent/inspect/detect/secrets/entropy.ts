/**
 * Does a string VALUE look like a secret (a random key, token or credential) on its own?
 *
 * THRESHOLDS (calibrated on 20,000 random strings per length; see entropy.test.ts):
 *
 *  - Shannon entropy H (bits per char of the empirical character distribution) depends on
 *    the length L: a random string of L chars cannot show more than log2(L) bits/char. So the
 *    threshold is the 1st percentile of H for uniformly random strings of that length and
 *    alphabet, minus 0.1 (so ~99.5% of real random tokens of the alphabet pass), interpolated
 *    in log2(L) between these points and flat above 64 chars:
 *
 *        L          16    20    24    32    40    64
 *        hex        2.56  2.77  2.94  3.17  3.31  3.53   (alphabet 16)
 *        base32     2.98  3.25  3.44  3.72  3.92  4.26   (single-case letters + digits)
 *        base64     3.28  3.55  3.79  4.13  4.36  4.82   (mixed case, + / - _)
 *
 *    With `secretField: true` (the field NAME already says "secret") every threshold is
 *    lowered by 0.3.
 *
 *  - Minimum length: by default 16 chars (96 bits of base64), 32 for pure hex (128 bits);
 *    with `secretField` 8 chars, 16 for pure hex. 64-bit hex values (trace/span ids, CAN
 *    payloads, serials) are too common to call secret without a field name.
 *
 *  - Alphabet: by default only token alphabets (base64/base64url/hex plus `. ~`); with
 *    `secretField` any printable non-space ASCII (passwords like `MyS3cretP@ssw0rd!`).
 *
 *  - Structure, because entropy alone cannot tell `ThisIsAVeryLongIdentifierName` (H=4.14)
 *    from a 29-char token:
 *      * default mode: non-hex values need BOTH letter cases AND a digit (random base64 of
 *        >= 24 chars lacks a digit < 2% of the time; identifiers, VINs, words almost always
 *        fail); single-case values (base32 seeds) only count with `secretField`;
 *      * the rate of adjacent character pairs that switch class (lower/upper/digit/other)
 *        must reach 60% of the rate expected if the classes were independent (catches
 *        `aaaaBBBB1111` blocks);
 *      * less than half of the characters may sit in word-like letter runs (>= 4 letters,
 *        one case or Capitalised, 20..70% vowels; for single-case values >= 5 letters and
 *        30..70% vowels, since random base32 has long single-case runs);
 *      * not a segmented identifier: >= 2 separators (`_ - . : , = ;`) with >= 75% of the
 *        characters in segments without an internal case switch (`TLS_AES_256_GCM_SHA384`,
 *        `de_DE.UTF-8`, `CN=test,O=Example`); random base64url segments switch case;
 *      * not patterned: periodic with a period <= 8, or > 40% of adjacent pairs are equal
 *        or consecutive chars (`0123456789abcdef…`).
 *
 *    Measured on random strings (5,000 per cell), share accepted, default / secretField:
 *        length                 16          24          32          64
 *        base64 / base64url     ~89 / 95%   ~96 / 98%   ~99 / 99%   100 / 100%
 *        alphanumeric           ~88 / 94%   ~96 / 98%   ~98 / 99%   100 / 100%
 *        hex                     0 / 99%     0 / 99%    ~99.7 / 99.8%  100 / 100%
 *        base32                  0 / ~79%    0 / ~85%    0 / ~89%    0 / ~96%
 *
 * Rejected outright (both modes): whitespace or control chars inside (prose, passphrases:
 * those are the business of `isSecretMember` for password-like names), numbers, version strings (`1.2.3-rc.4`, `v2.0.1+build.7`), ISO-8601 / RFC 3339 timestamps,
 * dotted identifiers (`Vehicle.Cabin.Door.Row1.IsOpen`), file names and paths, URLs WITHOUT
 * credentials, placeholders (`***`, `<redacted>`, `changeme`), and VINs.
 *
 * UUIDs: NOT secret by default. Telematics payloads are full of UUID message / trip / request
 * ids and a UUID cannot be told from a UUID-shaped API key by its value. With `secretField`
 * (e.g. `apiKey: "<uuid>"`) a UUID IS a secret.
 *
 * URLs WITH credentials (`scheme://user:password@host`) ARE secret in both modes.
 *
 * Hex digests: a 64-hex SHA-256 value is indistinguishable from a 256-bit key, so this
 * function (which judges the value alone) returns TRUE for it. Whether it is a digest is the
 * field name's business: `isSecretMember('sha256', v)` is false, `isSecretMember('aesKey', v)`
 * is true (secret-field.ts).
 */

export interface SecretValueContext {
  /** The value sits under a secret-like field name: use relaxed thresholds. */
  secretField?: boolean
}

// Per-char classes: 1 lower, 2 upper, 3 digit, 4 other.
function cls(c: number): number {
  if (c >= 97 && c <= 122) return 1
  if (c >= 65 && c <= 90) return 2
  if (c >= 48 && c <= 57) return 3
  return 4
}

const counts = new Int32Array(128)

/**
 * Shannon entropy in bits per character of text[start..end) (empirical distribution).
 * Non-ASCII UTF-16 units share one bucket. No allocation.
 */
export function shannonEntropy(text: string, start = 0, end = text.length): number {
  const n = end - start
  if (n <= 0) return 0
  counts.fill(0)
  let other = 0
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i)
    if (c < 128) counts[c]!++
    else other++
  }
  let h = 0
  for (let k = 0; k < 128; k++) {
    const v = counts[k]!
    if (v > 0) {
      const p = v / n
      h -= p * Math.log2(p)
    }
  }
  if (other > 0) {
    const p = other / n
    h -= p * Math.log2(p)
  }
  return h
}

const T_LOG = [4, 4.3219, 4.585, 5, 5.3219, 6] // log2 of 16 20 24 32 40 64
const T_HEX = [2.56, 2.77, 2.94, 3.17, 3.31, 3.53]
const T_B32 = [2.98, 3.25, 3.44, 3.72, 3.92, 4.26]
const T_B64 = [3.28, 3.55, 3.79, 4.13, 4.36, 4.82]

/** Entropy threshold for a random string of `len` chars over the given alphabet. */
export function entropyThreshold(len: number, alphabet: 'hex' | 'base32' | 'base64'): number {
  const t = alphabet === 'hex' ? T_HEX : alphabet === 'base32' ? T_B32 : T_B64
  const x = Math.log2(Math.max(1, len))
  if (x <= T_LOG[0]!) {
    // below 16 chars: extrapolate with the 16..20 slope (only used with secretField)
    const slope = (t[1]! - t[0]!) / (T_LOG[1]! - T_LOG[0]!)
    return t[0]! - slope * (T_LOG[0]! - x)
  }
  for (let i = 1; i < T_LOG.length; i++) {
    if (x <= T_LOG[i]!) {
      const f = (x - T_LOG[i - 1]!) / (T_LOG[i]! - T_LOG[i - 1]!)
      return t[i - 1]! + f * (t[i]! - t[i - 1]!)
    }
  }
  return t[t.length - 1]!
}

const RE_NUMBER = /^[+-]?(?:\d+(?:[.,]\d+)*|\d*\.\d+)(?:e[+-]?\d+)?$/i
const RE_VERSION = /^v?\d+(?:\.\d+){1,3}(?:[-+~][0-9A-Za-z.+-]*)?$/i
const RE_TIMESTAMP = /^\d{4}-?\d{2}-?\d{2}(?:[T ]\d{2}:?\d{2}(?::?\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i
const RE_UUID = /^\{?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}?$/i
const RE_URL_CREDS = /^[a-z][a-z0-9+.-]{0,20}:\/\/[^/\s:@]+:[^/\s@]+@/i
const RE_URL = /^[a-z][a-z0-9+.-]{0,20}:\/\//i
const RE_DOTTED_ID = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+$/
const RE_FILE = /^(?:[.~]?[\\/])?(?:[\w.@ -]+[\\/])*[\w.@ -]*\.[A-Za-z][A-Za-z0-9]{0,5}$/
const RE_PATH = /^(?:[A-Za-z]:)?[\\/][\w.@ -]+(?:[\\/][\w.@ -]+)*[\\/]?$/
const RE_VIN = /^[A-HJ-NPR-Z0-9]{17}$/
const PLACEHOLDERS = new Set([
  'null', 'undefined', 'none', 'nil', 'true', 'false', 'empty', 'redacted', 'hidden', 'masked',
  'changeme', 'change_me', 'secret', 'password', 'xxx', 'todo', 'tbd', 'n/a', 'na', 'unknown',
  'notset', 'not_set', 'placeholder', 'example', 'default',
])

/** Placeholder / masked value (`***`, `<redacted>`, `${SECRET}`, `changeme`, ...). */
export function isPlaceholder(v: string): boolean {
  const t = v.trim()
  if (t.length === 0) return true
  if (/^[*xX•#.\-_?]+$/.test(t)) return true // masks: ****, xxxx, ----
  if (/^[<[{(].*[>\]})]$/.test(t) && t.length <= 48 && !/[A-Za-z0-9+/]{24}/.test(t)) return true
  if (/^\$\{?[A-Za-z_][A-Za-z0-9_]*\}?$/.test(t)) return true // $VAR / ${VAR}
  return PLACEHOLDERS.has(t.toLowerCase())
}

function isVowel(c: number): boolean {
  const l = c | 0x20
  return l === 97 || l === 101 || l === 105 || l === 111 || l === 117 || l === 121
}

/**
 * Fraction of characters inside word-like letter runs: maximal runs split at case changes
 * (a leading capital stays with its lowercase tail), >= 4 letters, 20..60% vowels.
 */
export function wordlikeFraction(v: string, minWord = MIN_WORD, minVowels = 0.2): number {
  let inWords = 0
  let i = 0
  const n = v.length
  while (i < n) {
    const c = v.charCodeAt(i)
    const k = cls(c)
    if (k !== 1 && k !== 2) {
      i++
      continue
    }
    let j = i + 1
    if (k === 2) {
      // Capitalised word (Xxxx) or an upper-case run (XXXX)
      if (j < n && cls(v.charCodeAt(j)) === 1) {
        while (j < n && cls(v.charCodeAt(j)) === 1) j++
      } else {
        while (j < n && cls(v.charCodeAt(j)) === 2) j++
        // "ABCDef": the last capital starts the next word
        if (j < n && cls(v.charCodeAt(j)) === 1 && j - i > 1) j--
      }
    } else {
      while (j < n && cls(v.charCodeAt(j)) === 1) j++
    }
    const len = j - i
    if (len >= minWord) {
      let vow = 0
      for (let q = i; q < j; q++) if (isVowel(v.charCodeAt(q))) vow++
      const r = vow / len
      if (r >= minVowels && r <= 0.7) inWords += len
    }
    i = j
  }
  return n === 0 ? 0 : inWords / n
}

const MIN_WORD = 4

/** Fraction of adjacent pairs whose character classes differ. */
export function classTransitionRate(v: string): number {
  if (v.length < 2) return 0
  let t = 0
  let prev = cls(v.charCodeAt(0))
  for (let i = 1; i < v.length; i++) {
    const k = cls(v.charCodeAt(i))
    if (k !== prev) t++
    prev = k
  }
  return t / (v.length - 1)
}

/** Expected class-transition rate if the classes of this string's chars were independent. */
function expectedTransitionRate(lower: number, upper: number, digit: number, other: number): number {
  const n = lower + upper + digit + other
  if (n === 0) return 0
  const sq = (lower * lower + upper * upper + digit * digit + other * other) / (n * n)
  return 1 - sq
}

/** Periodic (`abcabcabc`) or mostly sequential (`0123456789abcdef`) strings. */
function isPatterned(v: string): boolean {
  const n = v.length
  let seq = 0
  for (let i = 1; i < n; i++) {
    const d = v.charCodeAt(i) - v.charCodeAt(i - 1)
    if (d === 1 || d === -1 || d === 0) seq++
  }
  if (seq > (n - 1) * 0.4) return true
  for (let p = 1; p <= 8 && p <= n >> 1; p++) {
    let ok = true
    for (let i = p; i < n && ok; i++) if (v.charCodeAt(i) !== v.charCodeAt(i - p)) ok = false
    if (ok) return true
  }
  return false
}

/** A segment with no internal case switch: `abc`, `ABC`, `Abc`, `abc12`, `1234`. */
function homogeneous(v: string, s: number, e: number): boolean {
  let lower = false
  let upperAfterFirst = false
  for (let i = s; i < e; i++) {
    const k = cls(v.charCodeAt(i))
    if (k === 1) lower = true
    else if (k === 2 && i > s) upperAfterFirst = true
  }
  if (!lower) return true // upper-case / digits only
  return !upperAfterFirst
}

/**
 * Identifier-like: >= 2 separators (_ - . : , = ;) and >= 75% of the characters in
 * homogeneous segments (`TLS_AES_256_GCM_SHA384`, `de_DE.UTF-8`, `CN=test,O=Example`).
 * Random base64url segments switch case internally.
 */
function isSegmentedIdentifier(v: string): boolean {
  let seps = 0
  let homo = 0
  let segStart = 0
  for (let i = 0; i <= v.length; i++) {
    const c = i < v.length ? v.charCodeAt(i) : 44
    if (c === 95 || c === 45 || c === 46 || c === 58 || c === 44 || c === 61 || c === 59) {
      if (i < v.length) seps++
      if (homogeneous(v, segStart, i)) homo += i - segStart
      segStart = i + 1
    }
  }
  if (seps < 2) return false
  return homo >= (v.length - seps) * 0.75
}

const RE_DIGEST_LABEL = /^(?:sha|md|blake|sm3|crc|xxh|murmur)[\w-]*[:=]/i

/**
 * Is this value a random-looking secret? See the header for thresholds. Cheap: O(n) with
 * a handful of anchored, backtracking-safe regexes on values <= 4 KB (longer values are
 * judged on their first 4 KB).
 */
export function looksLikeSecretValue(value: string, context?: SecretValueContext): boolean {
  const relaxed = context?.secretField === true
  let v = value.trim()
  if (v.length > 4096) v = v.slice(0, 4096)
  // strip one layer of surrounding quotes
  if (v.length >= 2 && (v[0] === '"' || v[0] === "'") && v[v.length - 1] === v[0]) v = v.slice(1, -1)
  const minLen = relaxed ? 8 : 16
  if (v.length < minLen) return false
  if (RE_URL_CREDS.test(v)) return true
  if (isPlaceholder(v)) return false
  if (RE_NUMBER.test(v) || RE_VERSION.test(v) || RE_TIMESTAMP.test(v)) return false
  if (RE_UUID.test(v)) return relaxed
  if (RE_URL.test(v) || RE_VIN.test(v) || RE_DIGEST_LABEL.test(v)) return false
  if (RE_DOTTED_ID.test(v) && wordlikeFraction(v) >= 0.3) return false
  if (RE_FILE.test(v) || RE_PATH.test(v)) {
    // names/paths made of words, e.g. firmware_v1.2.3.bin or /var/log/adx/agent.log
    if (wordlikeFraction(v) >= 0.3 || !/[0-9]/.test(v)) return false
  }

  let lower = 0
  let upper = 0
  let digit = 0
  let other = 0
  let b64 = true
  let hexDigits = 0
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i)
    const k = cls(c)
    if (k === 1) lower++
    else if (k === 2) upper++
    else if (k === 3) digit++
    else {
      other++
      if (c <= 32 || c === 127) return false // whitespace / control: text, not a token
      if (!(c === 43 || c === 47 || c === 61 || c === 45 || c === 95 || c === 46 || c === 126)) b64 = false
    }
    if (k === 3 || ((c | 0x20) >= 97 && (c | 0x20) <= 102 && k !== 4)) hexDigits++
  }
  const n = v.length
  if (isPatterned(v)) return false

  // pure hex (one case)
  if (hexDigits === n && !(lower > 0 && upper > 0)) {
    if (n < (relaxed ? 16 : 32)) return false
    if (digit === 0 || digit === n) return false
    return shannonEntropy(v) >= entropyThreshold(n, 'hex') - (relaxed ? 0.3 : 0)
  }

  if (!b64 && !relaxed) return false // strict: token alphabets only
  if (isSegmentedIdentifier(v)) return false
  const mixed = lower > 0 && upper > 0
  if (mixed) {
    if (!relaxed && digit === 0) return false
  } else {
    // single-case: base32-ish; only with a secret field name
    if (!relaxed || digit === 0) return false
  }
  // Under a secret field name a value with all three classes (lower and upper case) is judged
  // more leniently: random tokens show word-like runs (`SGIBZA`, `Idndyi`) more often than one
  // in a hundred, and missing a token under `token:` is worse than holding an odd identifier.
  const lenient = relaxed && mixed
  const h = shannonEntropy(v)
  const threshold = entropyThreshold(n, mixed ? 'base64' : 'base32') - (relaxed ? 0.3 : 0)
  // far above the random-string threshold: no identifier of this length gets there
  if (lenient && n >= 24 && h >= threshold + 0.5) return true
  const expected = expectedTransitionRate(lower, upper, digit, other)
  if (classTransitionRate(v) < expected * (lenient ? 0.45 : 0.6)) return false
  // single-case runs are long in random base32 too: only count longer, vowel-richer runs
  // (lenient: camelCase identifiers are mostly 3+-letter words, random tokens rarely are)
  if (lenient ? wordlikeFraction(v, 3) >= 0.7 : (mixed ? wordlikeFraction(v) : wordlikeFraction(v, 5, 0.3)) >= 0.5) return false
  return h >= threshold
}
