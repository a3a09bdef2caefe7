/**
 * Facade of the personal-identifier detectors: one call finds every VIN, ICCID, IMSI, IMEI,
 * PRC resident ID, mainland mobile number, e-mail address and licence plate in a string.
 *
 * Performance: this runs on every string of every payload. `findIdentifiers` first makes
 * one allocation-free pass over the UTF-16 code units (the prefilter) and only runs the
 * detectors whose shape can occur:
 *   a digit run of ≥ 11 allowing single ' '/'-' between digits   → phone
 *   a contiguous digit run of ≥ 15 / ≥ 17                         → IMSI+IMEI / resident ID
 *   a token of exactly 17 ASCII letters/digits                    → VIN
 *   a token of 18 / 19–20 ASCII letters/digits                    → resident ID / ICCID
 *   '@'                                                           → e-mail
 *   a plate province character (京, 粤 …)                          → plate
 * Ordinary strings ("P0301", "1.4.2-rc1", "Vehicle.Speed", short log lines) return a shared
 * frozen empty array: do not mutate the result (copy it first if you must).
 * No detector uses a backtracking-prone regex; all are linear in the text length.
 */
import type { IdentifierKind, IdentifierSpan } from './types.ts'
import { cellularTokenSpan } from './cellular.ts'
import { findEmails, isEmail } from './email.ts'
import { iccidTokenSpan, isIccid } from './iccid.ts'
import { imeiFromImeiSv, isImei, isImeiSv } from './imei.ts'
import { isImsi } from './imsi.ts'
import { findPhones, isPhone, normalisePhone } from './phone.ts'
import { findPlates, isPlate, isPlateProvinceCode, normalisePlate } from './plate.ts'
import { isResidentId, residentIdTokenSpan } from './resident-id.ts'
import { forEachToken } from './text.ts'
import { isVin, vinTokenSpan } from './vin.ts'

export type { IdentifierKind, IdentifierSpan } from './types.ts'
// Generators for the simulator and field-name rules, so callers need one import.
export { makeVin } from './vin.ts'
export { makeResidentId } from './resident-id.ts'
export { makeIccid } from './iccid.ts'
export { makeImei } from './imei.ts'
export { isPersonIdField, isPersonNameField } from './name-field.ts'

export const IDENTIFIER_KINDS: readonly IdentifierKind[] = Object.freeze([
  'vin', 'iccid', 'imsi', 'imei', 'resident-id', 'phone', 'email', 'plate',
] as IdentifierKind[])

const EMPTY: IdentifierSpan[] = Object.freeze([]) as unknown as IdentifierSpan[]

// Prefilter flags.
const F_PHONE = 1
const F_CELLULAR = 2
const F_RESIDENT = 4
const F_VIN = 8
const F_ICCID = 16
const F_EMAIL = 32
const F_PLATE = 64

// Character classes for the prefilter (ASCII only; codes ≥ 128 are looked up separately).
const C_OTHER = 0
const C_DIGIT = 1
const C_LETTER = 2
const C_SEP = 3 // ' ' or '-': may join digit groups of a phone number
const C_AT = 4
const C_ESC_LETTER = 5 // n r t: a token letter, unless after a backslash
const C_BACKSLASH = 6
const CLASS = new Uint8Array(128)
for (let c = 48; c <= 57; c++) CLASS[c] = C_DIGIT
for (let c = 65; c <= 90; c++) CLASS[c] = CLASS[c + 32] = C_LETTER
CLASS[110] = CLASS[114] = CLASS[116] = C_ESC_LETTER
CLASS[32] = CLASS[45] = C_SEP
CLASS[64] = C_AT
CLASS[92] = C_BACKSLASH

/**
 * Which detectors could match in `text` (a bit set; 0 = certainly no identifier). One pass
 * over the code units, no allocation. Exposed for callers that want to skip whole strings.
 */
export function identifierCandidates(text: string): number {
  const n = text.length
  if (n < 6) return 0 // the shortest identifiers (a@b.cn, 京A12345) are 6+ chars
  let flags = 0
  let digitRun = 0 // contiguous digits
  let joined = 0 // digits, allowing one ' ' or '-' between two digits
  let token = 0 // ASCII alnum token length
  let prevBackslash = false
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i)
    let k = c < 128 ? CLASS[c]! : C_OTHER
    if (k === C_DIGIT) {
      digitRun++
      joined++
      token++
      prevBackslash = false
      continue
    }
    if (digitRun !== 0) {
      if (digitRun >= 15) flags |= digitRun >= 17 ? F_CELLULAR | F_RESIDENT : F_CELLULAR
      digitRun = 0
    }
    if (k === C_ESC_LETTER) k = prevBackslash ? C_OTHER : C_LETTER
    prevBackslash = k === C_BACKSLASH
    if (k === C_LETTER) {
      if (joined >= 11) flags |= F_PHONE
      joined = 0
      token++
      continue
    }
    if (token >= 17) flags |= token === 17 ? F_VIN : token === 18 ? F_RESIDENT : token <= 20 ? F_ICCID : 0
    token = 0
    if (k === C_SEP && joined !== 0 && i + 1 < n) {
      const d = text.charCodeAt(i + 1)
      if (d >= 48 && d <= 57) continue // the joined run goes on
    }
    if (joined >= 11) flags |= F_PHONE
    joined = 0
    if (k === C_AT) flags |= F_EMAIL
    else if (c >= 0x4e00 && isPlateProvinceCode(c)) flags |= F_PLATE
  }
  if (digitRun >= 15) flags |= digitRun >= 17 ? F_CELLULAR | F_RESIDENT : F_CELLULAR
  if (token >= 17) flags |= token === 17 ? F_VIN : token === 18 ? F_RESIDENT : token <= 20 ? F_ICCID : 0
  if (joined >= 11) flags |= F_PHONE
  return flags
}

/** Checksum-verified kinds beat unverified ones when spans overlap. */
function verified(kind: IdentifierKind): boolean {
  return kind === 'vin' || kind === 'resident-id' || kind === 'imei' || kind === 'iccid'
}

/** Sorted, non-overlapping: on overlap keep the verified kind, then the longer span, then the earlier. */
function resolve(spans: IdentifierSpan[]): IdentifierSpan[] {
  spans.sort((a, b) => a.start - b.start || b.end - a.end)
  let overlap = false
  for (let i = 1; i < spans.length; i++) if (spans[i]!.start < spans[i - 1]!.end) overlap = true
  if (!overlap) return spans
  const byPriority = spans.slice().sort(
    (a, b) =>
      Number(verified(b.kind)) - Number(verified(a.kind)) || b.end - b.start - (a.end - a.start) || a.start - b.start,
  )
  const kept: IdentifierSpan[] = []
  for (const s of byPriority) {
    if (!kept.some((k) => s.start < k.end && k.start < s.end)) kept.push(s)
  }
  return kept.sort((a, b) => a.start - b.start)
}

/**
 * All identifiers in a string, sorted by start, non-overlapping (when spans overlap the
 * checksum-verified kind wins — VIN, resident ID, IMEI, ICCID — then the longer span).
 * Returns a shared frozen empty array when there is none: do not mutate the result.
 */
export function findIdentifiers(text: string): IdentifierSpan[] {
  const flags = identifierCandidates(text)
  return flags === 0 ? EMPTY : collect(text, flags)
}

const ALL_FLAGS = F_PHONE | F_CELLULAR | F_RESIDENT | F_VIN | F_ICCID | F_EMAIL | F_PLATE

/**
 * findIdentifiers without the prefilter (every detector runs). Same result, slower: for
 * tests and benchmarks that check the prefilter never hides an identifier.
 */
export function findIdentifiersUnfiltered(text: string): IdentifierSpan[] {
  return collect(text, ALL_FLAGS)
}

const F_TOKENS = F_CELLULAR | F_RESIDENT | F_VIN | F_ICCID

function collect(text: string, flags: number): IdentifierSpan[] {
  let spans: IdentifierSpan[] = []
  if (flags & F_TOKENS) {
    // One pass over the ASCII tokens serves the four fixed-length kinds.
    forEachToken(text, 15, 20, (start, end) => {
      let span: IdentifierSpan | undefined
      switch (end - start) {
        case 15:
        case 16:
          if (flags & F_CELLULAR) span = cellularTokenSpan(text, start, end)
          break
        case 17:
          if (flags & F_VIN) span = vinTokenSpan(text, start, end)
          break
        case 18:
          if (flags & F_RESIDENT) span = residentIdTokenSpan(text, start, end)
          break
        default:
          if (flags & F_ICCID) span = iccidTokenSpan(text, start, end)
      }
      if (span) spans.push(span)
    })
  }
  const add = (found: IdentifierSpan[]): void => {
    if (found.length > 0) spans = spans.length === 0 ? found : spans.concat(found)
  }
  if (flags & F_PHONE) add(findPhones(text))
  if (flags & F_EMAIL) add(findEmails(text))
  if (flags & F_PLATE) add(findPlates(text))
  if (spans.length === 0) return EMPTY
  return spans.length === 1 ? spans : resolve(spans)
}

function stripSpaces(value: string): string {
  let out = ''
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    if (c === 32 || c === 9 || c === 10 || c === 13 || c === 45 || c === 0x3000) continue
    out += value[i]
  }
  return out
}

function digitsOnly(value: string): string {
  let out = ''
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    if (c >= 48 && c <= 57) out += value[i]
  }
  return out
}

/**
 * The normal form of a bare field value whose field already says what it is (e.g. VSS
 * `Vehicle.VehicleIdentification.VIN`, a `"phone"` key), the same form findIdentifiers puts
 * in `value`, so a value pseudonymises alike wherever it was found. Best effort: it does not
 * validate (use isIdentifier for that) and never throws.
 *   vin, resident-id: whitespace/dashes removed, uppercase
 *   iccid: whitespace/dashes removed, uppercase; a trailing BCD `F` after 19 digits dropped
 *   imsi: digits only
 *   imei: digits only; a 16-digit IMEISV becomes its 15-digit IMEI
 *   phone: digits only, a leading 86 / 0086 dropped when 11 digits remain
 *   email: trimmed, lowercase
 *   plate: uppercase, separators and whitespace removed
 */
export function normaliseIdentifier(kind: IdentifierKind, value: string): string {
  switch (kind) {
    case 'vin':
    case 'resident-id':
      return stripSpaces(value).toUpperCase()
    case 'iccid': {
      const v = stripSpaces(value).toUpperCase()
      return v.length === 20 && v.endsWith('F') && /^\d{19}F$/.test(v) ? v.slice(0, 19) : v
    }
    case 'imsi':
      return digitsOnly(value)
    case 'imei': {
      const d = digitsOnly(value)
      return d.length === 16 ? imeiFromImeiSv(d) : d
    }
    case 'phone':
      return normalisePhone(value)
    case 'email':
      return value.trim().toLowerCase()
    case 'plate':
      return normalisePlate(value)
  }
}

/**
 * Whether a bare field value (trimmed) is, in its entirety, an identifier of the given kind
 * under the detector's rules (VIN and plate without the free-text-only plausibility rules;
 * IMSI with any MCC; IMEI also as a 16-digit IMEISV).
 */
export function isIdentifier(kind: IdentifierKind, value: string): boolean {
  const v = value.trim()
  switch (kind) {
    case 'vin':
      return isVin(v)
    case 'iccid':
      return isIccid(v)
    case 'imsi':
      return isImsi(v)
    case 'imei':
      return isImei(v) || isImeiSv(v)
    case 'resident-id':
      return isResidentId(v)
    case 'phone':
      return isPhone(v)
    case 'email':
      return isEmail(v)
    case 'plate':
      return isPlate(v)
  }
}
