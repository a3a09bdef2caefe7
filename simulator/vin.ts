/** Realistic Chinese VINs with a valid ISO 3779 check digit (GB 16735 carries it too). */
import { makeVin } from '../agent/inspect/detect/identifiers/vin.ts'

const PLANTS = 'ABCDEFGHJKLMNPRSTUVWXYZ'

/** A VIN from a number: WMI of a domestic maker, descriptor, model year P (2023), plant, serial. */
export function vinFor(n: number, wmi = 'LSV'): string {
  const serial = String(n % 1_000_000).padStart(6, '0')
  return makeVin(`${wmi}AU218${'P'}${PLANTS[Math.floor(n / 1_000_000) % PLANTS.length]!}${serial}`)
}
