/**
 * Scrubbing of free values wherever they hide: strings (with JSON nested inside them),
 * bytes (raw DER, text, gzip) and maps. Key material is found by structure (detect/secrets),
 * personal identifiers by pattern and checksum (detect/identifiers), JSON members by name.
 * Abroad, what is found is removed or replaced by a pseudonym; at home it is only tagged.
 */
import { gunzipSync, gzipSync } from 'node:zlib'
import type { Pseudonymiser } from '../../shared/pseudonym.ts'
import { findIdentifiers, IDENTIFIER_KINDS, normaliseIdentifier, type IdentifierKind } from './detect/identifiers/identifiers.ts'
import { isPersonIdField, isPersonNameField } from './detect/identifiers/name-field.ts'
import { isJwk, isJwkSet } from './detect/secrets/jwk.ts'
import { findSecretsInBytes, findSecretsInText, redactBytes, redactText } from './detect/secrets/secrets.ts'
import { isSecretMember } from './detect/secrets/secret-field.ts'
import type { Findings } from './findings.ts'
import type { InspectLimits } from './limits.ts'

const knownKinds: ReadonlySet<string> = new Set(IDENTIFIER_KINDS)
const STRIPPED_JWK = '[ADX-STRIPPED:jwk]'
const STRIPPED_FIELD = '[ADX-STRIPPED:key-material]'
const utf8 = new TextDecoder('utf-8', { fatal: true })
const encoder = new TextEncoder()

const LAT_KEYS = new Set(['lat', 'latitude'])
const LON_KEYS = new Set(['lon', 'lng', 'long', 'longitude'])

/** Per-inspector scrubbing configuration. */
export interface ScrubConfig {
  pseudonymise: Pseudonymiser
  limits: InspectLimits
  locationDecimals: number
}

/** Round a coordinate to `decimals` places. */
export function coarsen(value: number, decimals: number): number {
  const f = 10 ** decimals
  return Math.round(value * f) / f
}

function looksLikeJson(text: string): boolean {
  let i = 0
  while (i < text.length && (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 10 || text.charCodeAt(i) === 13 || text.charCodeAt(i) === 9)) i++
  const c = text.charCodeAt(i)
  return c === 123 /* { */ || c === 91 /* [ */
}

/**
 * JWK objects embedded in free text (not JSON as a whole), e.g. `config jwk={"kty":"EC",…} ok`.
 * Only text containing `"kty"` pays for this.
 */
function jwkSpans(text: string): { start: number; end: number }[] {
  const spans: { start: number; end: number }[] = []
  let from = 0
  for (;;) {
    const at = text.indexOf('"kty"', from)
    if (at === -1) return spans
    from = at + 5
    const open = text.lastIndexOf('{', at)
    if (open === -1 || (spans.length > 0 && open < spans[spans.length - 1]!.end)) continue
    let depth = 0
    let inString = false
    let end = -1
    const limit = Math.min(text.length, open + 65_536)
    for (let j = open; j < limit; j++) {
      const c = text.charCodeAt(j)
      if (inString) {
        if (c === 92 /* \ */) j++
        else if (c === 34) inString = false
      } else if (c === 34) inString = true
      else if (c === 123) depth++
      else if (c === 125 && --depth === 0) {
        end = j + 1
        break
      }
    }
    if (end === -1) continue
    try {
      const obj: unknown = JSON.parse(text.slice(open, end))
      if (isJwk(obj) || isJwkSet(obj)) {
        spans.push({ start: open, end })
        from = end
      }
    } catch {
      // not JSON: nothing to strip here
    }
  }
}

/**
 * The bytes as text when they are UTF-8 without control characters (tab, CR, LF and ESC
 * allowed), else undefined. Validates by hand: TextDecoder's fatal mode throws on binary,
 * and a throw costs microseconds on the hot path (UDS exchanges are binary).
 */
export function decodeText(bytes: Uint8Array): string | undefined {
  const n = bytes.length
  let ascii = true
  for (let i = 0; i < n; i++) {
    const b = bytes[i]!
    if (b < 0x80) {
      if (b < 0x20 ? b !== 9 && b !== 10 && b !== 13 && b !== 27 : b === 0x7f) return undefined
      continue
    }
    ascii = false
    // Multi-byte sequence: lead byte, then continuation bytes 10xxxxxx.
    let more: number
    if (b >= 0xc2 && b <= 0xdf) more = 1
    else if (b >= 0xe0 && b <= 0xef) more = 2
    else if (b >= 0xf0 && b <= 0xf4) more = 3
    else return undefined
    if (i + more >= n) return undefined
    for (let k = 1; k <= more; k++) if ((bytes[i + k]! & 0xc0) !== 0x80) return undefined
    i += more
  }
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, n)
  if (ascii) return buf.toString('latin1')
  // Overlong forms and surrogates slip past the quick check; the strict decoder settles them.
  try {
    return utf8.decode(bytes)
  } catch {
    return undefined
  }
}

/** Stateless scrubber; all state of one inspection lives in the Findings passed in. */
export class Scrubber {
  constructor(private readonly config: ScrubConfig) {}

  /** Pseudonymise a whole field value whose meaning is known (e.g. VSS VIN). */
  identifier(f: Findings, kind: string, value: string, path: string): string {
    // Same normal form as identifiers found in text, so one plate or VIN has one pseudonym.
    const normalised = knownKinds.has(kind) ? normaliseIdentifier(kind as IdentifierKind, value) : value.trim().toUpperCase()
    if (normalised === '') return value
    const p = this.config.pseudonymise(kind, normalised)
    f.pseudonym(kind, p, path)
    return f.abroad ? p : value
  }

  /**
   * Scrub a string: JSON nested inside is parsed and walked; key material is redacted;
   * identifiers are replaced by pseudonyms. `nest` counts decodes on the way here.
   */
  text(f: Findings, text: string, path: string, nest = 0, depth = 0): string {
    if (text.length === 0) return text
    if (text.length > this.config.limits.maxStringBytes) {
      f.hold('ADX_HOLD_OVERSIZED', { path })
      return text
    }
    if (nest < this.config.limits.maxNestedDecodeDepth && looksLikeJson(text)) {
      let parsed: unknown
      try {
        parsed = JSON.parse(text)
      } catch {
        parsed = undefined
      }
      if (parsed !== null && typeof parsed === 'object') {
        // Every leaf is scrubbed by the walk (JSON.parse has undone escapes such as "\n").
        const walked = this.json(f, parsed, `${path}#json`, nest + 1, depth + 1)
        return walked === parsed ? text : JSON.stringify(walked)
      }
    }
    let out = text
    if (out.includes('"kty"')) {
      const jwks = jwkSpans(out)
      if (jwks.length > 0) {
        let rebuilt = ''
        let last = 0
        for (const s of jwks) {
          f.strip({ path, kind: 'jwk', reason: 'key-material', encoding: 'jwk' })
          rebuilt += out.slice(last, s.start) + STRIPPED_JWK
          last = s.end
        }
        if (f.abroad) out = rebuilt + out.slice(last)
      }
    }
    const secrets = findSecretsInText(out, this.config.limits.maxNestedDecodeDepth - nest)
    if (secrets.length > 0) {
      for (const s of secrets) f.strip({ path, kind: s.kind, reason: 'key-material', encoding: s.encoding })
      if (f.abroad) out = redactText(out, secrets)
    }
    const ids = findIdentifiers(out)
    if (ids.length > 0) {
      let rebuilt = ''
      let last = 0
      for (const id of ids) {
        const p = this.config.pseudonymise(id.kind, id.value)
        f.pseudonym(id.kind, p, path)
        rebuilt += out.slice(last, id.start) + p
        last = id.end
      }
      if (f.abroad) out = rebuilt + out.slice(last)
      if (ids.some((i) => i.kind === 'phone' || i.kind === 'email' || i.kind === 'resident-id'))
        f.category('person-identifier', path)
      if (ids.some((i) => i.kind !== 'phone' && i.kind !== 'email' && i.kind !== 'resident-id'))
        f.category('vehicle-identifier', path)
    }
    return out
  }

  /**
   * Walk a parsed JSON value. Returns the same reference when nothing changed, so callers
   * can skip re-serialising.
   */
  json(f: Findings, value: unknown, path: string, nest: number, depth: number): unknown {
    if (depth > this.config.limits.maxDepth) {
      f.hold('ADX_HOLD_TOO_DEEP', { path })
      return value
    }
    if (typeof value === 'string') return this.text(f, value, path, nest, depth)
    if (typeof value === 'number') return Number.isInteger(value) && Math.abs(value) >= 1e10 ? this.number(f, value, path) : value
    if (value === null || typeof value !== 'object') return value
    if (Array.isArray(value)) {
      let copy: unknown[] | undefined
      for (let i = 0; i < value.length; i++) {
        const v = this.json(f, value[i], `${path}[${i}]`, nest, depth + 1)
        if (v !== value[i]) (copy ??= value.slice())[i] = v
      }
      return copy ?? value
    }
    if (isJwk(value) || isJwkSet(value)) {
      f.strip({ path, kind: 'jwk', reason: 'key-material', encoding: 'jwk' })
      return f.abroad ? STRIPPED_JWK : value
    }
    const obj = value as Record<string, unknown>
    const keys = Object.keys(obj)
    let copy: Record<string, unknown> | undefined
    let lat: number | undefined
    let lon: number | undefined
    for (const key of keys) {
      const v = obj[key]
      const at = `${path}.${key}`
      let next: unknown = v
      const lower = key.toLowerCase()
      if (typeof v === 'number' && (LAT_KEYS.has(lower) || LON_KEYS.has(lower))) {
        f.category('location', at)
        if (LAT_KEYS.has(lower)) lat = v
        else lon = v
        if (f.abroad) {
          next = coarsen(v, this.config.locationDecimals)
          f.coarsened.push({ path: at, decimals: this.config.locationDecimals })
        }
      } else if (typeof v === 'string' && isSecretMember(key, v)) {
        f.strip({ path: at, kind: 'key-material', reason: 'key-material', encoding: 'field' })
        if (f.abroad) next = STRIPPED_FIELD
      } else if ((typeof v === 'string' || typeof v === 'number') && isPersonNameField(key, keys)) {
        f.category('person-identifier', at)
        next = this.identifier(f, 'name', String(v), at)
      } else if ((typeof v === 'string' || typeof v === 'number') && isPersonIdField(key)) {
        f.category('person-identifier', at)
        next = this.identifier(f, 'person-id', String(v), at)
      } else {
        next = this.json(f, v, at, nest, depth + 1)
      }
      if (next !== v) (copy ??= { ...obj })[key] = next
    }
    if (lat !== undefined && lon !== undefined) f.points.push({ latitude: lat, longitude: lon, path })
    return copy ?? value
  }

  /** Large integers may be phone, IMSI or ICCID numbers written as JSON numbers. */
  private number(f: Findings, value: number, path: string): unknown {
    const text = String(value)
    const scrubbed = this.text(f, text, path)
    return scrubbed === text ? value : scrubbed
  }

  /** Scrub bytes: gzip is opened (bounded), zip is refused, text is scrubbed as text, binary is searched for DER/PEM. */
  bytes(f: Findings, bytes: Uint8Array, path: string, nest = 0): Uint8Array {
    if (bytes.length === 0) return bytes
    if (bytes.length > this.config.limits.maxPayloadBytes) {
      f.hold('ADX_HOLD_OVERSIZED', { path })
      return bytes
    }
    if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
      let inner: Uint8Array
      try {
        inner = gunzipSync(bytes, { maxOutputLength: this.config.limits.maxPayloadBytes })
      } catch {
        f.hold('ADX_HOLD_UNINSPECTABLE', { path, message: 'gzip content is corrupt or larger than the payload limit' })
        return bytes
      }
      const scrubbed = this.bytes(f, inner, `${path}#gzip`, nest + 1)
      return scrubbed === inner ? bytes : gzipSync(scrubbed)
    }
    if (bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04) {
      f.hold('ADX_HOLD_UNINSPECTABLE', { path, message: 'zip archives are not inspected; send them unpacked or gzip-compressed' })
      return bytes
    }
    const text = decodeText(bytes)
    if (text !== undefined) {
      const scrubbed = this.text(f, text, path, nest)
      return scrubbed === text ? bytes : encoder.encode(scrubbed)
    }
    const secrets = findSecretsInBytes(bytes, this.config.limits.maxNestedDecodeDepth - nest)
    if (secrets.length === 0) return bytes
    for (const s of secrets) f.strip({ path, kind: s.kind, reason: 'key-material', encoding: s.encoding })
    return f.abroad ? redactBytes(bytes, secrets) : bytes
  }

  /** Scrub a string map (OTA custom fields): secret-named members with secret-looking values go. */
  map(f: Findings, map: Record<string, string> | undefined, path: string): Record<string, string> | undefined {
    if (map === undefined) return map
    let copy: Record<string, string> | undefined
    for (const key of Object.keys(map)) {
      const v = map[key]!
      const at = `${path}[${JSON.stringify(key)}]`
      let next: string
      if (isSecretMember(key, v)) {
        f.strip({ path: at, kind: 'key-material', reason: 'key-material', encoding: 'field' })
        next = f.abroad ? STRIPPED_FIELD : v
      } else {
        next = this.text(f, v, at)
      }
      if (next !== v) (copy ??= { ...map })[key] = next
    }
    return copy ?? map
  }
}
