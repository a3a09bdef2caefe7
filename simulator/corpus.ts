/**
 * Payload corpora in proto3 JSON form: the showcase examples (with fresh key material and
 * control instructions planted), a clean corpus that must pass with nothing stripped, and a
 * mixed ~1 KB corpus for benchmarks. Deterministic for a seed (keys aside).
 */
import { createHash } from 'node:crypto'
import { generateCertificate, generateKeys } from './key-material.ts'
import { seeded, type Random } from './random.ts'
import { vinFor } from './vin.ts'

export type PayloadJson = Record<string, unknown>

const b64 = (bytes: number[] | Buffer): string => Buffer.from(bytes).toString('base64')
const T0 = Date.UTC(2026, 5, 1, 8, 0, 0)

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex')
}

/** Clean telemetry: ordinary readings, a VIN, a coarse-enough location. */
export function cleanTelemetry(r: Random, n: number): PayloadJson {
  const vin = vinFor(n)
  const t = T0 + n * 1000
  const samples: PayloadJson[] = [
    { path: 'Vehicle.Speed', timestampMs: t, value: { number: r.int(0, 120) } },
    { path: 'Vehicle.TraveledDistance', timestampMs: t, value: { number: r.int(1000, 90000) + 0.5 } },
    { path: 'Vehicle.Exterior.AirTemperature', timestampMs: t, value: { number: r.int(-10, 38) } },
    { path: 'Vehicle.Powertrain.TractionBattery.StateOfCharge.Current', timestampMs: t, value: { number: r.int(5, 100) } },
    { path: 'Vehicle.Powertrain.Transmission.CurrentGear', timestampMs: t, value: { number: r.int(-1, 6) } },
    { path: 'Vehicle.Cabin.Door.Row1.DriverSide.IsOpen', timestampMs: t, value: { boolean: false } },
    { path: 'Vehicle.Chassis.Axle.Row1.Wheel.Left.Tire.Pressure', timestampMs: t, value: { number: r.int(220, 260) } },
    { path: 'Vehicle.OBD.EngineSpeed', timestampMs: t, value: { number: r.int(700, 3000) } },
    { path: 'Vehicle.VehicleIdentification.Model', timestampMs: t, value: { text: 'ID.UNYX 08' } },
    { path: 'Vehicle.VersionVSS.Label', timestampMs: t, value: { text: '5.0-rc.2' } },
    { path: 'Vehicle.Powertrain.TractionBattery.CurrentVoltage', timestampMs: t, value: { number: 380 + r.int(0, 40) } },
    { path: 'Vehicle.Powertrain.TractionBattery.CurrentCurrent', timestampMs: t, value: { number: r.int(-200, 200) / 10 } },
    { path: 'Vehicle.Powertrain.TractionBattery.Temperature.Average', timestampMs: t, value: { number: r.int(15, 40) } },
    { path: 'Vehicle.Powertrain.Range', timestampMs: t, value: { number: r.int(50000, 500000) } },
    { path: 'Vehicle.Chassis.Axle.Row1.Wheel.Right.Tire.Pressure', timestampMs: t, value: { number: r.int(220, 260) } },
    { path: 'Vehicle.Chassis.Axle.Row2.Wheel.Left.Tire.Pressure', timestampMs: t, value: { number: r.int(220, 260) } },
    { path: 'Vehicle.Chassis.Axle.Row2.Wheel.Right.Tire.Pressure', timestampMs: t, value: { number: r.int(220, 260) } },
    { path: 'Vehicle.Cabin.HVAC.AmbientAirTemperature', timestampMs: t, value: { number: r.int(18, 26) } },
    { path: 'Vehicle.Body.Lights.Beam.Low.IsOn', timestampMs: t, value: { boolean: r.bool() } },
    { path: 'Vehicle.Acceleration.Longitudinal', timestampMs: t, value: { number: r.int(-30, 30) / 10 } },
  ]
  return {
    id: `clean-telemetry-${n}`,
    vehicleId: vin,
    createdMs: t,
    destination: 'oem-eu',
    purpose: 'fleet-quality',
    telemetry: { samples },
  }
}

/** Clean diagnostics: DTCs, reads, ordinary log lines with hashes, versions and numbers. */
export function cleanDiagnostic(r: Random, n: number): PayloadJson {
  const t = T0 + n * 1000
  return {
    id: `clean-diagnostic-${n}`,
    vehicleId: vinFor(n),
    createdMs: t,
    destination: 'oem-eu',
    purpose: 'remote-diagnostics',
    diagnostic: {
      dtcs: [
        { code: r.pick(['P0301', 'U0100', 'B1342', 'C0035']), status: 0x2f, ecu: 'ECM', timestampMs: t,
          freezeFrame: [{ name: 'Vehicle.Speed', value: { number: 42 } }, { name: 'coolant_c', value: { number: 91 } }] },
      ],
      uds: [
        { sourceAddress: 0x0e80, targetAddress: 0x07e0, request: b64([0x22, 0xf1, 0x89]), response: b64([0x62, 0xf1, 0x89, 0x31, 0x2e, 0x34]), timestampMs: t },
        { sourceAddress: 0x0e80, targetAddress: 0x07e0, request: b64([0x19, 0x02, 0xff]), response: b64([0x59, 0x02, 0xff, 0x01, 0x03, 0x00, 0x2f]), timestampMs: t },
        { sourceAddress: 0x0e80, targetAddress: 0x07e0, request: b64([0x10, 0x03]), response: b64([0x50, 0x03, 0x00, 0x32, 0x01, 0xf4]), timestampMs: t },
      ],
      logs: [
        { ecu: 'TBOX', timestampMs: t, level: 'info', text: `boot ok fw=4.12.7-rc.1 build ${sha256(String(n)).slice(0, 40)} uptime=${r.int(10, 99999)}s odo=123456.7km` },
        { ecu: 'BMS', timestampMs: t, level: 'warn', text: `cell 17 delta 23mV at ${t}; can id 0x7E0 rx=1500 tx=1498 crc ok` },
        { ecu: 'IVI', timestampMs: t, level: 'info', text: `package com.oem.nav updated to 2.3.4 (sha256 ${sha256('nav' + n)})` },
      ],
    },
  }
}

/** Clean OTA: campaign report and a manifest without keys (hashes, versions, a signature value). */
export function cleanOta(r: Random, n: number): PayloadJson {
  const t = T0 + n * 1000
  return {
    id: `clean-ota-${n}`,
    vehicleId: vinFor(n),
    createdMs: t,
    destination: 'oem-eu',
    purpose: 'ota-campaign-report',
    ota: {
      campaign: { campaignId: `CMP-2026-${r.int(100, 999)}`, status: 'installed', ecu: 'ADCU', fromVersion: '3.1.0', toVersion: '3.2.0', timestampMs: t },
      manifest: {
        manifestId: `MF-${n}`,
        targets: [
          { ecu: 'ADCU', filename: 'adcu-3.2.0.bin', length: 73400320, version: '3.2.0', hashes: { sha256: sha256(`adcu${n}`), sha512: createHash('sha512').update(`x${n}`).digest('hex') } },
        ],
        signatures: [{ keyId: sha256('oem-root').slice(0, 16), method: 'ed25519', value: createHash('sha512').update(`sig${n}`).digest('base64') }],
        expiresMs: t + 86_400_000,
      },
      packages: [{ packageId: `PKG-${n}`, name: 'adcu-firmware', version: '3.2.0', sizeBytes: 73400320, sha256: sha256(`pkg${n}`) }],
    },
  }
}

/** The clean corpus: `count` payloads of each clean kind. */
export function cleanCorpus(count = 20, seed = 1): PayloadJson[] {
  const r = seeded(seed)
  const out: PayloadJson[] = []
  for (let i = 0; i < count; i++) out.push(cleanTelemetry(r, i), cleanDiagnostic(r, i), cleanOta(r, i))
  return out
}

/** Showcase payloads with planted control instructions and fresh key material. */
export function examplePayloads(): { name: string; payload: PayloadJson }[] {
  const keys = generateKeys()
  const priv = keys.find((k) => k.label === 'ec-private')!
  const pub = keys.find((k) => k.label === 'ed25519-public')!
  const rsa = keys.find((k) => k.label === 'rsa-private')!
  const cert = generateCertificate()
  const vin = vinFor(7)
  const t = T0
  const jwt = `${Buffer.from('{"alg":"HS256","typ":"JWT"}').toString('base64url')}.${Buffer.from('{"sub":"driver-42","iat":1767225600}').toString('base64url')}.c2lnbmF0dXJlLWJ5dGVzLWhlcmU`
  return [
    {
      name: 'telemetry with location, identifiers and control instructions',
      payload: {
        id: 'example-telemetry-1', vehicleId: vin, createdMs: t, destination: 'oem-eu', purpose: 'fleet-quality',
        telemetry: {
          samples: [
            { path: 'Vehicle.Speed', timestampMs: t, value: { number: 63.5 } },
            { path: 'Vehicle.CurrentLocation.Latitude', timestampMs: t, value: { number: 31.230416 } },
            { path: 'Vehicle.CurrentLocation.Longitude', timestampMs: t, value: { number: 121.473701 } },
            { path: 'Vehicle.VehicleIdentification.VIN', timestampMs: t, value: { text: vin } },
            { path: 'Vehicle.Driver.Identifier.Subject', timestampMs: t, value: { text: 'driver-000042' } },
            { path: 'Vehicle.Powertrain.TractionBattery.Charging.ChargeCurrent.DC', timestampMs: t, value: { number: 125 } },
          ],
          actuatorWrites: [{ path: 'Vehicle.Cabin.Door.Row1.DriverSide.IsLocked', target: { boolean: false }, timestampMs: t, requestedBy: 'app' }],
          remoteCommands: [{ command: 'engine.start', parameters: { durationMin: '10' }, issuedBy: 'remote-user-7', timestampMs: t }],
        },
      },
    },
    {
      name: 'diagnostic session with security access, an ECU reset and a key in a log',
      payload: {
        id: 'example-diagnostic-1', vehicleId: vin, createdMs: t, destination: 'oem-eu', purpose: 'remote-diagnostics',
        diagnostic: {
          dtcs: [{ code: 'P0301', status: 0x2f, ecu: 'ECM', timestampMs: t }],
          uds: [
            { sourceAddress: 0x0e80, targetAddress: 0x07e0, request: b64([0x22, 0xf1, 0x90]), response: b64([0x62, 0xf1, 0x90, ...Buffer.from(vin)]), timestampMs: t },
            { sourceAddress: 0x0e80, targetAddress: 0x07e0, request: b64([0x27, 0x01]), response: b64([0x67, 0x01, 0x3a, 0x9f, 0x11, 0x07]), timestampMs: t },
            { sourceAddress: 0x0e80, targetAddress: 0x07e0, request: b64([0x27, 0x02, 0xc4, 0x21, 0x8e, 0x5d]), response: b64([0x67, 0x02]), timestampMs: t },
            { sourceAddress: 0x0e80, targetAddress: 0x07e0, request: b64([0x11, 0x01]), response: b64([0x51, 0x01]), timestampMs: t },
          ],
          logs: [
            { ecu: 'TBOX', timestampMs: t, level: 'error', text: `tls init failed, dumping key:\n${priv.pem}owner phone 13812345678` },
          ],
        },
      },
    },
    {
      name: 'OTA manifest with certificates, keys and install scripts',
      payload: {
        id: 'example-ota-1', vehicleId: vin, createdMs: t, destination: 'oem-eu', purpose: 'ota-campaign-report',
        ota: {
          campaign: { campaignId: 'CMP-2026-117', status: 'failed', ecu: 'ADCU', fromVersion: '3.1.0', toVersion: '3.2.0', error: 'signature check failed' },
          manifest: {
            manifestId: 'MF-117',
            targets: [{ ecu: 'ADCU', filename: 'adcu-3.2.0.bin', length: 73400320, version: '3.2.0', hashes: { sha256: sha256('adcu') },
              installActions: [{ kind: 'uds-sequence', udsRequests: [b64([0x10, 0x02]), b64([0x31, 0x01, 0xff, 0x00])] }],
              custom: { signingKey: rsa.der.toString('base64') } }],
            signatures: [{ keyId: 'oem-root-2026', method: 'ed25519', value: createHash('sha512').update('sig').digest('base64'), publicKey: pub.pem }],
            certificates: cert ? [cert.pem] : [],
            encryptionKey: Buffer.from(sha256('aes')).toString('base64'),
            custom: { buildInfo: JSON.stringify({ pipeline: 'ci-4411', auth: `Bearer ${jwt}` }) },
          },
        },
      },
    },
    {
      name: 'media metadata with faces and plates above the size limits',
      payload: {
        id: 'example-media-1', vehicleId: vin, createdMs: t, destination: 'oem-eu', purpose: 'adas-training',
        tags: ['product-test'],
        media: { items: [
          { mediaId: 'clip-1', camera: 'front-wide', kind: 'MEDIA_KIND_CLIP', widthPx: 3840, heightPx: 2160, distanceKm: 1.8, durationS: 120, original: true,
            faces: [{ x: 100, y: 200, width: 40, height: 52, confidence: 0.97 }],
            plates: [{ x: 900, y: 700, width: 90, height: 22, confidence: 0.91, text: '沪A·12345' }] },
        ] },
      },
    },
    {
      name: 'opaque log with a bearer token and a hex-encoded key',
      payload: {
        id: 'example-opaque-1', vehicleId: vin, createdMs: t, destination: 'oem-eu', purpose: 'remote-diagnostics',
        opaque: { contentType: 'text/plain', name: 'tbox.log', data: Buffer.from(
          `12:00:01 GET /api/v1/vehicle Authorization: Bearer ${jwt}\n12:00:02 provisioning blob ${rsa.der.toString('hex')}\n12:00:03 done\n`).toString('base64') },
      },
    },
  ]
}

/**
 * A mixed corpus of ~1 KB payloads for benchmarks, in the proportions a fleet produces:
 * 50 % telemetry, 25 % diagnostics, 15 % OTA reports, and 10 % showcase payloads carrying
 * planted key material and control instructions (far more than a healthy fleet sends).
 */
export function mixedCorpus(count = 1000, seed = 7): PayloadJson[] {
  const r = seeded(seed)
  const examples = examplePayloads().map((e) => e.payload)
  const out: PayloadJson[] = []
  for (let i = 0; i < count; i++) {
    const k = i % 20
    if (k < 10) out.push(cleanTelemetry(r, i))
    else if (k < 15) out.push(cleanDiagnostic(r, i))
    else if (k < 18) out.push(cleanOta(r, i))
    else out.push(examples[Math.floor(i / 20 + k) % examples.length]!)
  }
  return out
}
