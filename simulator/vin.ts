/** VINs with a valid ISO 3779 check digit (position 9), as Chinese VINs carry (GB 16735). */
const TRANSLIT: Record<string, number> = {
  A: 1, B: 2, C: 3, D: 4, E: 5, F: 6, G: 7, H: 8, J: 1, K: 2, L: 3, M: 4, N: 5, P: 7, R: 9,
  S: 2, T: 3, U: 4, V: 5, W: 6, X: 7, Y: 8, Z: 9,
}
const WEIGHTS = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2]
const CHARS = 'ABCDEFGHJKLMNPRSTUVWXYZ0123456789'

function value(c: string): number {
  return c >= '0' && c <= '9' ? c.charCodeAt(0) - 48 : TRANSLIT[c]!
}

/** Fill in the check digit of a 17-character VIN (position 9 is overwritten). */
export function withCheckDigit(vin: string): string {
  let sum = 0
  for (let i = 0; i < 17; i++) sum += value(vin[i]!) * WEIGHTS[i]!
  const r = sum % 11
  return vin.slice(0, 8) + (r === 10 ? 'X' : String(r)) + vin.slice(9)
}

/** A realistic Chinese VIN from a number (WMI of a domestic maker, year code, serial). */
export function vinFor(n: number, wmi = 'LSV'): string {
  const vds = 'AU218'
  const year = 'P'
  const plant = CHARS[n % 23]!
  const serial = String(n % 1_000_000).padStart(6, '0')
  return withCheckDigit(`${wmi}${vds}0${year}${plant}${serial}`)
}
