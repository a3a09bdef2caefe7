/** Check-digit algorithms used by the identifier detectors. Pure, allocation-free. */

/**
 * Luhn (ISO/IEC 7812-1) over text[start, end) — which must be all ASCII digits, the last
 * one being the check digit. Returns false for an empty range or any non-digit.
 */
export function luhnValid(text: string, start = 0, end = text.length): boolean {
  if (end <= start) return false
  let sum = 0
  let double = false
  for (let i = end - 1; i >= start; i--) {
    const d = text.charCodeAt(i) - 48
    if (d < 0 || d > 9) return false
    if (double) {
      const x = d * 2
      sum += x > 9 ? x - 9 : x
    } else {
      sum += d
    }
    double = !double
  }
  return sum % 10 === 0
}

/** The Luhn check digit ('0'..'9') to append to an all-digit `body`. Throws on non-digits. */
export function luhnCheckDigit(body: string): string {
  let sum = 0
  let double = true // the rightmost body digit is doubled once the check digit is appended
  for (let i = body.length - 1; i >= 0; i--) {
    const d = body.charCodeAt(i) - 48
    if (d < 0 || d > 9) throw new RangeError(`luhnCheckDigit: not a digit string: ${JSON.stringify(body)}`)
    if (double) {
      const x = d * 2
      sum += x > 9 ? x - 9 : x
    } else {
      sum += d
    }
    double = !double
  }
  return String.fromCharCode(48 + ((10 - (sum % 10)) % 10))
}

const MOD11_2_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const
const MOD11_2_CHARS = '10X98765432'

/**
 * ISO 7064 MOD 11-2 check character ('0'..'9' or 'X') of the 17 digits at text[start,
 * start+17) — the PRC resident identity card rule (GB 11643). Returns '' if any of the 17
 * characters is not a digit or the text is too short.
 */
export function mod11_2CheckChar(text: string, start = 0): string {
  if (text.length < start + 17) return ''
  let sum = 0
  for (let i = 0; i < 17; i++) {
    const d = text.charCodeAt(start + i) - 48
    if (d < 0 || d > 9) return ''
    sum += d * MOD11_2_WEIGHTS[i]!
  }
  return MOD11_2_CHARS[sum % 11]!
}
