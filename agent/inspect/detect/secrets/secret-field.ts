/**
 * Field NAMES that announce a secret (`password`, `aesKey`, `client_secret`, `x-api-key`, ...)
 * and the field-aware decision `isSecretMember(name, value)`.
 *
 * A name is split into lower-case words at camelCase / PascalCase / acronym boundaries,
 * `_`, `-`, `.`, `:`, `/`, spaces and letter/digit boundaries (`aes256Key` -> aes 256 key,
 * `APIKey` -> api key, `x-api-key` -> x api key). It is secret-like when
 *   - one of its words is a SECRET WORD (key, secret, token, password, cert, seed, ...), or
 *   - its letters, joined, contain a STRONG STEM (password, passwd, passphrase, secret,
 *     credential, privkey, privatekey, apikey, accesskey, secretkey, signingkey, authtoken,
 *     accesstoken, refreshtoken, sessiontoken, bearertoken, clientsecret) - catches
 *     `dbpassword`, `APIKEY`, `mysecretvalue`;
 * and NOT when its LAST word is a qualifier naming metadata about the secret rather than the
 * secret itself: id, name, type, count, size, length, hash, digest, fingerprint, path, file,
 * url, version, expiry, status, enabled, ... (`keyId`, `publicKeyId`, `tokenCount`,
 * `certPath`, `passwordHash`, `keyFingerprint`).
 * Words are compared whole, so `monkey`, `keyboard`, `tokenizer`, `certified`, `author`,
 * `passenger`, `seedling` are innocuous.
 */
import { isPlaceholder, looksLikeSecretValue } from './entropy.ts'

const SECRET_WORDS = new Set([
  'key', 'keys', 'secret', 'secrets', 'token', 'tokens', 'password', 'passwords', 'passwd', 'pwd',
  'pass', 'passphrase', 'credential', 'credentials', 'creds', 'cred', 'private', 'priv', 'privkey',
  'privatekey', 'cert', 'certs', 'certificate', 'certificates', 'crt', 'apikey', 'apikeys', 'auth',
  'authorization', 'authtoken', 'seed', 'psk', 'pem', 'der', 'jwk', 'jwks', 'jwt', 'bearer', 'otp',
  'totp', 'hmac', 'keystore', 'keypair', 'pfx', 'p12', 'pkcs8', 'pkcs12', 'signingkey',
  'accesskey', 'secretkey', 'sessionkey', 'masterkey', 'passcode', 'pincode', 'cookie',
])

/** Words for which ANY non-placeholder value is a secret (no entropy test). */
const ALWAYS_SECRET_WORDS = new Set([
  'password', 'passwords', 'passwd', 'pwd', 'passphrase', 'passcode', 'pincode', 'secret',
  'secrets', 'credential', 'credentials', 'creds', 'cred', 'psk',
])

const STRONG_STEMS = [
  'password', 'passwd', 'passphrase', 'secret', 'credential', 'privkey', 'privatekey', 'apikey',
  'accesskey', 'secretkey', 'signingkey', 'authtoken', 'accesstoken', 'refreshtoken',
  'sessiontoken', 'bearertoken', 'clientsecret',
]

const ALWAYS_STEMS = ['password', 'passwd', 'passphrase', 'secret', 'credential']

/** Last words that make the name about metadata of a secret, not the secret. */
const QUALIFIERS = new Set([
  'id', 'ids', 'uid', 'uuid', 'name', 'names', 'type', 'types', 'kind', 'count', 'counts', 'num',
  'number', 'size', 'sizes', 'length', 'len', 'bits', 'index', 'idx', 'hash', 'hashes', 'digest',
  'checksum', 'crc', 'fingerprint', 'thumbprint', 'sha', 'sha1', 'sha256', 'sha384', 'sha512',
  'md5', 'sm3', 'alg', 'algo', 'algorithm', 'format', 'fmt', 'path', 'paths', 'file', 'filename',
  'dir', 'url', 'uri', 'usage', 'usages', 'use', 'ops', 'expiry', 'expires', 'expiration', 'exp',
  'ttl', 'age', 'version', 'ver', 'status', 'state', 'present', 'enabled', 'disabled', 'valid',
  'validity', 'required', 'ref', 'reference', 'label', 'prefix', 'hint', 'policy', 'store',
  'storage', 'mode', 'level', 'strength', 'rotation', 'rotated', 'created', 'updated', 'time',
  'timestamp', 'date', 'at', 'issuer', 'subject', 'serial', 'owner', 'source', 'provider',
  'endpoint', 'host', 'port', 'header', 'location', 'slot', 'handle', 'alias', 'list', 'error',
  'errors', 'reason', 'message', 'msg', 'description', 'desc', 'changed', 'reset', 'min', 'max',
  'limit', 'field', 'fields', 'attempts', 'retries', 'pattern', 'regex', 'policy', 'rule', 'flag',
  'flags', 'is', 'has', 'needed', 'missing', 'set', 'code', 'codes', 'map', 'mapping', 'binding',
  'server', 'service', 'scope', 'scopes', 'method', 'methods', 'scheme', 'protocol', 'endpoint',
  'generation', 'gen', 'curve', 'crv', 'kty', 'kid', 'x5t', 'x5u', 'env', 'var', 'variable',
])

/** Split a field name into lower-case words. */
export function fieldNameWords(name: string): string[] {
  const words: string[] = []
  let cur = ''
  let prev = 0 // 0 start/sep, 1 lower, 2 upper, 3 digit
  for (let i = 0; i < name.length; i++) {
    const ch = name[i]!
    const c = name.charCodeAt(i)
    let k = 0
    if (c >= 97 && c <= 122) k = 1
    else if (c >= 65 && c <= 90) k = 2
    else if (c >= 48 && c <= 57) k = 3
    else if (c > 127) k = 1 // non-ASCII letters: keep inside words
    if (k === 0) {
      if (cur) words.push(cur)
      cur = ''
      prev = 0
      continue
    }
    let split = false
    if (prev !== 0) {
      if (k === 2 && prev === 1) split = true // camelCase
      else if (k === 3 && prev !== 3) split = true
      else if (k !== 3 && prev === 3) split = true
      else if (k === 1 && prev === 2 && cur.length > 1) {
        // "APIKey": the last capital starts the new word
        const last = cur[cur.length - 1]!
        words.push(cur.slice(0, -1).toLowerCase())
        cur = last
      }
    }
    if (split) {
      words.push(cur.toLowerCase())
      cur = ''
    }
    cur += ch
    prev = k
  }
  if (cur) words.push(cur)
  return words.map((w) => w.toLowerCase()).filter((w) => w.length > 0)
}

function lastLetterWord(words: string[]): string | undefined {
  for (let i = words.length - 1; i >= 0; i--) if (!/^\d+$/.test(words[i]!)) return words[i]
  return undefined
}

/** Is this field name secret-like? (case-insensitive, camelCase / snake / kebab / dotted) */
export function isSecretFieldName(name: string): boolean {
  return secretFieldClass(name) !== undefined
}

/**
 * 'always': the value is secret whatever it looks like (password, secret, credential, ...);
 * 'key': secret when the value looks like key material (key, token, cert, seed, auth, ...);
 * undefined: not a secret-like name.
 */
export function secretFieldClass(name: string): 'always' | 'key' | undefined {
  if (name.length === 0 || name.length > 128) return undefined
  const words = fieldNameWords(name)
  if (words.length === 0) return undefined
  // compound of the last two words (pin+code, pass+code, api+key) names the secret itself
  if (words.length >= 2) {
    const compound = words[words.length - 2]! + words[words.length - 1]!
    if (ALWAYS_SECRET_WORDS.has(compound)) return 'always'
    if (SECRET_WORDS.has(compound)) return 'key'
  }
  const last = lastLetterWord(words)
  if (last !== undefined && QUALIFIERS.has(last) && words.length > 1) return undefined
  let cls: 'always' | 'key' | undefined
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!
    const next = words[i + 1]
    // letter word + following number (p12, pkcs8, key2) is checked both ways
    const wd = next !== undefined && /^\d+$/.test(next) ? w + next : w
    if (ALWAYS_SECRET_WORDS.has(w) || ALWAYS_SECRET_WORDS.has(wd)) return 'always'
    if (SECRET_WORDS.has(w) || SECRET_WORDS.has(wd)) cls = 'key'
  }
  const joined = words.join('').replace(/secretar(?:y|ies|iat)/g, '') // "secretary" is not a secret
  for (const s of ALWAYS_STEMS) if (joined.includes(s)) return 'always'
  if (cls === undefined) for (const s of STRONG_STEMS) if (joined.includes(s)) cls = 'key'
  return cls
}

/** Field names whose values are digests / fingerprints, never secrets by themselves. */
export function isDigestFieldName(name: string): boolean {
  const words = fieldNameWords(name)
  const last = lastLetterWord(words)
  return (
    last !== undefined &&
    /^(?:hash|hashes|digest|checksum|crc|fingerprint|thumbprint|sha|sha1|sha224|sha256|sha384|sha512|md5|sm3|blake2b|blake3|etag)$/.test(
      last,
    )
  )
}

/**
 * The field-aware decision the pipeline should use per JSON member (string values only):
 *  - not a secret-like name (incl. digest names like `sha256`, `keyHash`): false;
 *  - 'always' names (password, secret, credential, ...): any non-placeholder value;
 *  - 'key' names (key, token, cert, seed, auth, ...): `looksLikeSecretValue(v, {secretField:true})`,
 *    so `aesKey: <64 hex>` and `apiKey: <uuid>` are secret but `key: "Vehicle.Speed"` is not.
 */
export function isSecretMember(name: string, value: unknown): boolean {
  if (typeof value !== 'string') return false
  const c = secretFieldClass(name)
  if (c === undefined) return false
  if (c === 'always') return !isPlaceholder(value)
  return looksLikeSecretValue(value, { secretField: true })
}

// ---------------------------------------------------------------------------
// `name: value` / `name=value` pairs and URL credentials inside free text (log lines,
// query strings, non-JSON config). JSON members are the pipeline's business (it parses
// JSON and calls isSecretMember), this is for what is not JSON.

export interface FieldHit {
  /** The VALUE's range (the name stays). */
  start: number
  end: number
}

const STEMS = ['key', 'secret', 'token', 'pass', 'pwd', 'cred', 'priv', 'cert', 'auth', 'seed', 'psk', 'pem', 'jwk', 'jwt', 'bearer', 'otp', 'hmac', 'cookie', 'crt', 'pfx', 'p12', 'pkcs']

/** Case-insensitive: does t[s, e) contain one of the stems? No allocation. */
function hasStem(t: string, s: number, e: number): boolean {
  for (const stem of STEMS) {
    const L = stem.length
    outer: for (let i = s; i + L <= e; i++) {
      for (let k = 0; k < L; k++) if ((t.charCodeAt(i + k) | 0x20) !== stem.charCodeAt(k)) continue outer
      return true
    }
  }
  return false
}

function isNameChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 45 || c === 46
}

function isQuote(c: number): boolean {
  return c === 34 || c === 39 || c === 96
}

/** Unquoted values stop here. */
function endsUnquoted(c: number): boolean {
  return (
    c <= 32 || c === 34 || c === 39 || c === 96 || c === 44 || c === 59 || c === 38 || c === 41 || c === 93 ||
    c === 125 || c === 62 || c === 60 || c === 92 || c === 124
  )
}

/** Longest value judged (secrets in `name=value` text are far shorter). */
const MAX_VALUE = 512

/** A lower-case dictionary-looking word (`required`, `invalid`): not a password after `:`. */
function isPlainLowerWord(v: string): boolean {
  return /^[a-z]{1,16}$/.test(v)
}

/**
 * Values of secret-named `name: value`, `name=value`, `"name": "value"`, `name => 'value'`
 * pairs in free text. 'always' names (password, secret, ...) take any non-placeholder value
 * (after `:` not a bare lower-case word, which is usually prose: `password: required`);
 * 'key' names need `looksLikeSecretValue(v, { secretField: true })`.
 */
export function findFieldSecretsInText(text: string): FieldHit[] {
  const out: FieldHit[] = []
  const n = text.length
  let termFrom = -1
  let termAt = -1
  for (let p = 0; p < n; p++) {
    const c = text.charCodeAt(p)
    if (c !== 58 && c !== 61) continue
    // name before the separator: skip a closing quote (also \") and up to 2 spaces
    let ne = p
    let sp = 0
    while (ne > 0 && sp < 2 && text.charCodeAt(ne - 1) === 32) {
      ne--
      sp++
    }
    while (ne > 0 && (isQuote(text.charCodeAt(ne - 1)) || text.charCodeAt(ne - 1) === 92) && p - ne < 6) ne--
    let ns = ne
    while (ns > 0 && ne - ns < 64 && isNameChar(text.charCodeAt(ns - 1))) ns--
    if (ne - ns < 2 || !hasStem(text, ns, ne)) continue
    // value after the separator
    let vs = p + 1
    if (c === 61 && text.charCodeAt(vs) === 62) vs++ // =>
    if (c === 58 && text.charCodeAt(vs) === 47 && text.charCodeAt(vs + 1) === 47) continue // scheme://
    sp = 0
    while (vs < n && sp < 2 && (text.charCodeAt(vs) === 32 || text.charCodeAt(vs) === 9)) {
      vs++
      sp++
    }
    let bs = 0
    while (vs < n && text.charCodeAt(vs) === 92 && bs < 4) {
      vs++
      bs++
    }
    let ve = vs
    const q = text.charCodeAt(vs)
    if (isQuote(q)) {
      vs++
      ve = vs
      while (ve < n && ve - vs < MAX_VALUE && text.charCodeAt(ve) !== q && !(text.charCodeAt(ve) === 92 && text.charCodeAt(ve + 1) === q)) ve++
    } else {
      // the first terminator at or after vs; cached, since "a=b=c=..." shares it (keeps this linear)
      if (vs >= termFrom && vs < termAt) {
        ve = termAt
      } else {
        while (ve < n && !endsUnquoted(text.charCodeAt(ve))) ve++
        termFrom = vs
        termAt = ve
      }
    }
    if (ve - vs < 4) continue
    const cls = secretFieldClass(text.slice(ns, ne))
    if (cls === undefined) continue
    // judge at most MAX_VALUE chars; the span still covers the whole value
    const value = text.slice(vs, Math.min(ve, vs + MAX_VALUE))
    let hit: boolean
    if (cls === 'always') hit = !isPlaceholder(value) && !(c === 58 && isPlainLowerWord(value))
    else hit = looksLikeSecretValue(value, { secretField: true })
    if (hit) {
      out.push({ start: vs, end: ve })
      p = ve
    }
  }
  return out
}

/** The password of `scheme://user:password@host` URLs in text (span = password only). */
export function findUrlCredentials(text: string): FieldHit[] {
  const out: FieldHit[] = []
  let from = 0
  for (;;) {
    const k = text.indexOf('://', from)
    if (k < 0) break
    from = k + 3
    let colon = -1
    let i = k + 3
    for (; i < text.length && i - k < 512; i++) {
      const c = text.charCodeAt(i)
      if (c === 64) break // @
      if (c === 58 && colon < 0) colon = i
      if (c <= 32 || c === 47 || c === 34 || c === 39 || c === 60 || c === 62 || c === 92) {
        i = -1
        break
      }
    }
    if (i < 0 || text.charCodeAt(i) !== 64 || colon < 0 || i - colon < 2) continue
    out.push({ start: colon + 1, end: i })
    from = i + 1
  }
  return out
}

export { looksLikeSecretValue } from './entropy.ts'
