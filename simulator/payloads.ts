/**
 * Payloads a simulated vehicle sends, with what the simulator planted in them (the ground
 * truth the abroad sink and the backend are checked against). Deterministic for a seed;
 * key material comes from a pool generated once.
 */
import { createHash } from 'node:crypto'
import type { PayloadJson } from './corpus.ts'
import type { SimFleet, SimVehicle } from './fleet.ts'
import { generateKeys, type KeyMaterial } from './key-material.ts'
import type { Random } from './random.ts'

export interface PayloadMix {
  /** Share of payloads carrying planted key material (default 0.05). */
  keyRate: number
  /** Share of telemetry/diagnostic payloads carrying control instructions (default 0.1). */
  controlRate: number
}

export const defaultMix: PayloadMix = { keyRate: 0.05, controlRate: 0.1 }

export interface SimSubject {
  person: string
  sensitive: boolean
  charging: boolean
}

export interface SimPayload {
  payload: PayloadJson
  /** Driver ids (raw) whose personal information the payload carries. */
  driverIds: string[]
  /**
   * The persons the payload concerns, as the simulator knows them (ground truth): the driver it
   * names (by driver id) and the vehicle's user (`vin:<VIN>`: every payload carries the VIN, which
   * identifies the owner); sensitive when the payload places the person (a location fix);
   * charging for charging-session data.
   */
  subjects: SimSubject[]
  /** Planted key material, by label. */
  plantedKeys: KeyMaterial[]
  /** Number of planted control instructions. */
  plantedControls: number
}

const b64 = (x: number[] | Buffer) => Buffer.from(x).toString('base64')

/** A pool of real keys to plant (generated once: RSA generation is slow). */
export function keyPool(): KeyMaterial[] {
  return generateKeys()
}

function plantKey(r: Random, pool: readonly KeyMaterial[]): { text: string; key: KeyMaterial } {
  const key = r.pick(pool)
  const form = r.int(0, key.jwk ? 5 : 4)
  const text =
    form === 0 ? key.pem
      : form === 1 ? `blob=${key.der.toString('base64')}`
        : form === 2 ? key.der.toString('hex')
          : form === 3 ? JSON.stringify({ cfg: JSON.stringify({ tls: { key: key.pem } }) })
            : form === 4 ? Buffer.from(key.pem).toString('base64')
              : key.jwk!
  return { text, key }
}

/**
 * The `seq`-th payload of a vehicle, bound for `destination`.
 * @example const p = simPayload(fleet, fleet.vehicles[0], 0, r, pool, 'oem-eu', T0)
 */
export function simPayload(
  fleet: SimFleet,
  v: SimVehicle,
  seq: number,
  r: Random,
  pool: readonly KeyMaterial[],
  destination: string,
  createdMs: number,
  mix: PayloadMix = defaultMix,
): SimPayload {
  const driver = fleet.persons[v.drivers[seq % v.drivers.length]!]!
  const base = { id: `${v.vin}-${seq}`, vehicleId: v.vin, createdMs, destination, purpose: 'fleet-quality' }
  const plantedKeys: KeyMaterial[] = []
  const planted = r.next() < mix.keyRate ? plantKey(r, pool) : undefined
  if (planted) plantedKeys.push(planted.key)
  const controls = r.next() < mix.controlRate ? r.int(1, 2) : 0
  const kind = r.int(0, 11)
  if (kind === 10) return mediaPayload(base, v, r, plantedKeys, createdMs)
  if (kind === 11) return opaquePayload(base, v, r, planted, plantedKeys, createdMs)
  if (kind < 6) {
    const samples: PayloadJson[] = [
      { path: 'Vehicle.Speed', timestampMs: createdMs, value: { number: r.int(0, 120) } },
      { path: 'Vehicle.Powertrain.TractionBattery.StateOfCharge.Current', timestampMs: createdMs, value: { number: r.int(5, 100) } },
      { path: 'Vehicle.Driver.Identifier.Subject', timestampMs: createdMs, value: { text: driver.driverId } },
      { path: 'Vehicle.Exterior.AirTemperature', timestampMs: createdMs, value: { number: r.int(-10, 38) } },
    ]
    if (kind === 4) {
      // A location fix: coarsened abroad, and surveying data that needs MNR approval.
      samples.push(
        { path: 'Vehicle.CurrentLocation.Latitude', timestampMs: createdMs, value: { number: 31.2 + r.next() / 10 } },
        { path: 'Vehicle.CurrentLocation.Longitude', timestampMs: createdMs, value: { number: 121.4 + r.next() / 10 } },
      )
    }
    if (kind === 5)
      samples.push({ path: 'Vehicle.Powertrain.TractionBattery.Charging.ChargeCurrent.DC', timestampMs: createdMs, value: { number: r.int(20, 250) } })
    if (planted) samples.push({ path: 'Vehicle.VersionVSS.Label', timestampMs: createdMs, value: { text: planted.text } })
    return {
      payload: {
        ...base,
        telemetry: {
          samples,
          actuatorWrites: Array.from({ length: controls }, () => ({ path: 'Vehicle.Cabin.Door.Row1.DriverSide.IsLocked', target: { boolean: false } })),
        },
      },
      driverIds: [driver.driverId],
      subjects: [
        { person: driver.driverId, sensitive: kind === 4, charging: kind === 5 },
        { person: `vin:${v.vin}`, sensitive: false, charging: false },
      ],
      plantedKeys,
      plantedControls: controls,
    }
  }
  if (kind < 9) {
    const uds = [{ request: b64([0x22, 0xf1, 0x89]), response: b64([0x62, 0xf1, 0x89, 0x34, 0x2e, 0x31]) }]
    for (let i = 0; i < controls; i++) uds.push({ request: b64([0x27, 0x01]), response: b64([0x67, 0x01, r.int(0, 255), r.int(0, 255)]) }, { request: b64([0x11, 0x01]), response: b64([0x51, 0x01]) })
    return {
      payload: {
        ...base,
        purpose: 'remote-diagnostics',
        diagnostic: {
          dtcs: [{ code: r.pick(['P0301', 'U0100', 'B1342']), status: 0x2f, ecu: 'ECM', timestampMs: createdMs }],
          uds,
          logs: [{ ecu: 'TBOX', timestampMs: createdMs, text: planted ? `tls error, key follows: ${planted.text}` : `uptime ${r.int(1, 99999)}s ok` }],
        },
      },
      driverIds: [],
      subjects: [{ person: `vin:${v.vin}`, sensitive: false, charging: false }],
      plantedKeys,
      plantedControls: controls, // plus as many UDS security-access exchanges (key material)
    }
  }
  return {
    payload: {
      ...base,
      purpose: 'ota-campaign-report',
      ota: {
        campaign: { campaignId: 'CMP-2026-001', status: 'installed', ecu: 'ADCU', fromVersion: '3.1.0', toVersion: '3.2.0', timestampMs: createdMs },
        manifest: {
          manifestId: `MF-${seq}`,
          targets: [{ ecu: 'ADCU', filename: 'adcu.bin', version: '3.2.0', hashes: { sha256: createHash('sha256').update(`${seq}`).digest('hex') },
            installActions: Array.from({ length: controls }, () => ({ kind: 'uds-sequence', udsRequests: [b64([0x31, 0x01, 0xff, 0x00])] })) }],
          custom: planted ? { provisioning: planted.text } : {},
        },
      },
    },
    driverIds: [],
    subjects: [{ person: `vin:${v.vin}`, sensitive: false, charging: false }],
    plantedKeys,
    plantedControls: controls,
  }
}

/**
 * Media metadata from the perception stack: an original clip with faces and plates whose boxes
 * sit around the size limits (IDR-MEDIA-FACE: shorter side 32 px; IDR-MEDIA-PLATE: 16 px). A
 * readable plate identifies its owner; faces make the payload sensitive PI (its vehicle's user too).
 */
function mediaPayload(base: PayloadJson, v: SimVehicle, r: Random, plantedKeys: KeyMaterial[], createdMs: number): SimPayload {
  const faces = Array.from({ length: r.int(0, 2) }, () => {
    const side = r.int(24, 40)
    return { x: r.int(0, 3000), y: r.int(0, 1800), width: side, height: side + r.int(0, 12), confidence: 0.9 }
  })
  const plateText = r.bool(0.5) ? `沪A·${String(r.int(10_000, 99_999))}` : undefined
  const plates = plateText ? [{ x: r.int(0, 3000), y: r.int(0, 1800), width: r.int(40, 90), height: r.int(12, 20), confidence: 0.9, text: plateText }] : []
  const distanceKm = r.int(5, 30) / 10
  const subjects: SimSubject[] = []
  if (plateText) subjects.push({ person: `plate:${plateText}`, sensitive: false, charging: false })
  // the payload id carries the VIN, as apps' ids do: the vehicle's user is always concerned
  subjects.push({ person: `vin:${v.vin}`, sensitive: faces.length > 0, charging: false })
  return {
    payload: {
      ...base,
      purpose: 'adas-training',
      media: { items: [{ mediaId: `clip-${r.int(1, 999_999)}`, camera: 'front-wide', kind: 'MEDIA_KIND_CLIP', widthPx: 3840, heightPx: 2160, distanceKm, durationS: r.int(30, 300), original: true, faces, plates }] },
    },
    driverIds: [],
    subjects,
    plantedKeys,
    plantedControls: 0,
  }
}

/** An opaque T-Box log, with the planted key material (when any) in the middle of it. */
function opaquePayload(base: PayloadJson, v: SimVehicle, r: Random, planted: { text: string } | undefined, plantedKeys: KeyMaterial[], createdMs: number): SimPayload {
  const lines = [`${createdMs} tbox: uptime ${r.int(1, 99_999)} s`, `${createdMs} modem: rssi -${r.int(50, 110)} dBm`]
  if (planted) lines.splice(1, 0, `${createdMs} provisioning: ${planted.text}`)
  return {
    payload: { ...base, purpose: 'remote-diagnostics', opaque: { contentType: 'text/plain', name: 'tbox.log', data: Buffer.from(lines.join('\n')).toString('base64') } },
    driverIds: [],
    // the payload id carries the VIN: the vehicle's user is concerned
    subjects: [{ person: `vin:${v.vin}`, sensitive: false, charging: false }],
    plantedKeys,
    plantedControls: 0,
  }
}
