/**
 * Shared test data for the identifier detectors (imported by the *.test.ts files only).
 * Real check digits are computed with the modules' own generators where not a published
 * reference value.
 */
import { createHash } from 'node:crypto'

/** Strings that contain no identifier of any kind. */
export const COMMON_NEGATIVES: readonly string[] = [
  // epoch-ms / µs / ns timestamps
  '1700000000000',
  'ts=1731234567890 level=info',
  '{"ts":1731234567890,"seq":17}',
  '1700000000123456',
  '1731234567890123456',
  // SHA-256 hex digests, upper and lower case, and a SHA-1
  createHash('sha256').update('adx').digest('hex'),
  createHash('sha256').update('13812345678').digest('hex').toUpperCase(),
  `sha256=${createHash('sha256').update('LSVAU218XN2183294').digest('hex')}`,
  createHash('sha1').update('x').digest('hex'),
  // UUIDs
  '550e8400-e29b-41d4-a716-446655440000',
  'request 3F2504E0-4F89-11D3-9A0C-0305E82C3301 done',
  // version strings
  '1.4.2-rc1',
  'v2.13.0+build.20240101',
  'firmware 13.8.1234.5678',
  // DTCs, CAN ids, signal paths
  'P0301',
  'DTC P0301 U0100 C1234 B0001 confirmed',
  '0x7E0',
  'can0 0x18DAF110 [8] 02 10 03 00 00 00 00 00',
  'Vehicle.Speed',
  'Vehicle.VehicleIdentification.VIN',
  // ordinary numbers in logs
  'odometer 123456.7 km',
  'odometer=13812345678.5 m',
  'bytes_sent=138123456789 frames=1234',
  'lat=31.2304167 lon=121.4737010',
  'battery 87.5% 412.3V -12.8A',
  // numbers of identifier length that fail their checks
  '352099001761482', // IMEI with a wrong Luhn digit, not 460-prefixed
  '110105194912310021', // resident ID with a wrong check char
  '990105194912310027', // bad province code
  '110105194913310023', // month 13
  '8944110012345678902', // ICCID shape, wrong Luhn, not 8986
  '12345678901234567890123', // long digit run
  // VIN-like 17-char strings
  'LSVAU2180N2183294', // wrong check digit (the real one is X)
  'LSVAU218XN2183295', // serial changed, check digit no longer matches
  '11111111111111111', // valid check digit but no letter: a number, not a VIN in free text
  'ABCDEFGHJKLMNPRST', // letters only
  // base64 and e-mail-like non-addresses
  'dGhpcyBpcyBub3QgYW4gaWRlbnRpZmllciBhdCBhbGw=',
  'icon@2x.png',
  'npm i @types/node',
  'user@localhost',
  // plate-like
  '京A123456', // 6 digits: not a new-energy form
  '京AB12345', // 6-char serial neither starting nor ending with D/F
]

/** Epoch-ms like numbers and other digit runs that must never yield a phone. */
export const DIGIT_RUNS = ['1700000000000', '13812345678901', '913812345678', '0013812345678']
