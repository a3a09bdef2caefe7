/**
 * Keyed pseudonyms for personal identifiers: the same (key, kind, value) always gives the
 * same token, so records stay linkable abroad, but without the key a token reveals nothing
 * about the value (HMAC-SHA256 is a PRF; 80 bits make collisions negligible at fleet scale:
 * ~2^40 distinct values before a 50 % chance of one collision per kind).
 *
 *   psn:<kind>:<first 20 hex chars of HMAC-SHA256(key, kind + "\0" + value)>
 *
 * `kind` is part of the MAC input, so the same digits as a phone number and as an IMSI give
 * unrelated tokens; the "\0" separator keeps (kind, value) pairs unambiguous. Callers pass the
 * *normalised* value (see agent/inspect/detect/identifiers normaliseIdentifier), so
 * `+86 138-1234-5678` and `13812345678` map to the same token.
 *
 * Results are cached in a bounded LRU (default 4096 entries), because a vehicle repeats its
 * own VIN / ICCID / IMSI in every payload and an HMAC costs microseconds.
 */
import { createHmac } from 'node:crypto'

export interface Pseudonymiser {
  (kind: string, normalisedValue: string): string
}

/** Kinds are short lowercase words: `vin`, `resident-id`, `phone` … */
const KIND_RE = /^[a-z][a-z0-9-]{0,31}$/

/**
 * Matches one pseudonym token anywhere in a string (not global, not anchored, so it is safe
 * to share; for all tokens use `new RegExp(PSEUDONYM_PATTERN.source, 'g')`).
 */
export const PSEUDONYM_PATTERN = /(?<![A-Za-z0-9])psn:[a-z][a-z0-9-]{0,31}:[0-9a-f]{20}(?![0-9a-f])/

const EXACT_RE = /^psn:[a-z][a-z0-9-]{0,31}:[0-9a-f]{20}$/

/** Whether `s` is exactly one pseudonym token. */
export function isPseudonym(s: string): boolean {
  return EXACT_RE.test(s)
}

export const MIN_PSEUDONYM_KEY_BYTES = 16
export const DEFAULT_PSEUDONYM_CACHE_SIZE = 4096

/**
 * HMAC-SHA256(key, kind + '\0' + value) → `psn:<kind>:<first 20 hex chars>` (80 bits).
 * Caches recent results in a bounded LRU (default 4096 entries; `cacheSize: 0` disables it).
 * The key is a Buffer/Uint8Array of ≥ 16 bytes (32 random bytes recommended); it is copied,
 * so later changes to the caller's buffer have no effect. Throws a clear error otherwise
 * (this is config validation, at start-up). The returned function throws TypeError for a
 * kind that is not a short lowercase word (`^[a-z][a-z0-9-]{0,31}$`) or a non-string value —
 * programming errors, as kinds are code constants.
 */
export function createPseudonymiser(key: Uint8Array, opts?: { cacheSize?: number }): Pseudonymiser {
  if (!(key instanceof Uint8Array)) {
    throw new TypeError(`pseudonym key must be a Buffer or Uint8Array, got ${key === null ? 'null' : typeof key}`)
  }
  if (key.byteLength < MIN_PSEUDONYM_KEY_BYTES) {
    throw new RangeError(
      `pseudonym key must be at least ${MIN_PSEUDONYM_KEY_BYTES} bytes, got ${key.byteLength} ` +
        '(configure 32 random bytes, e.g. `openssl rand -hex 32`)',
    )
  }
  const cacheSize = opts?.cacheSize ?? DEFAULT_PSEUDONYM_CACHE_SIZE
  if (!Number.isInteger(cacheSize) || cacheSize < 0) {
    throw new RangeError(`pseudonym cacheSize must be a non-negative integer, got ${String(cacheSize)}`)
  }
  const secret = Buffer.from(key) // copy
  const cache = new Map<string, string>()
  const okKinds = new Set<string>()

  return function pseudonymise(kind: string, normalisedValue: string): string {
    if (!okKinds.has(kind)) {
      if (typeof kind !== 'string' || !KIND_RE.test(kind)) {
        throw new TypeError(`pseudonym kind must match ${String(KIND_RE)}, got ${JSON.stringify(kind)}`)
      }
      if (okKinds.size < 256) okKinds.add(kind)
    }
    if (typeof normalisedValue !== 'string') {
      throw new TypeError(`pseudonym value must be a string, got ${typeof normalisedValue}`)
    }
    const input = kind + '\0' + normalisedValue
    if (cacheSize > 0) {
      const hit = cache.get(input)
      if (hit !== undefined) {
        // Refresh recency: Map iterates in insertion order, oldest first.
        cache.delete(input)
        cache.set(input, hit)
        return hit
      }
    }
    const mac = createHmac('sha256', secret).update(input, 'utf8').digest('hex')
    const token = `psn:${kind}:${mac.slice(0, 20)}`
    if (cacheSize > 0) {
      if (cache.size >= cacheSize) {
        const oldest = cache.keys().next()
        if (!oldest.done) cache.delete(oldest.value)
      }
      cache.set(input, token)
    }
    return token
  }
}
