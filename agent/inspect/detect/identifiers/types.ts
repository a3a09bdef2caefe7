/** Types shared by the identifier detectors (re-exported by identifiers.ts). */

export type IdentifierKind = 'vin' | 'iccid' | 'imsi' | 'imei' | 'resident-id' | 'phone' | 'email' | 'plate'

/**
 * One identifier found in a string. `start`/`end` are UTF-16 offsets (end exclusive) of the
 * whole written form, including any prefix or separators (e.g. `+86 138-1234-5678`), so a
 * redactor can replace text.slice(start, end). `value` is the normalised form used for
 * pseudonymisation: uppercase VIN / plate / resident-id, digits only for phone (11 digits,
 * country prefix dropped) / IMSI / IMEI, ICCID digits (uppercase letters kept for Chinese
 * IoT ICCIDs), lowercase e-mail.
 */
export interface IdentifierSpan {
  start: number
  end: number
  kind: IdentifierKind
  value: string
}
