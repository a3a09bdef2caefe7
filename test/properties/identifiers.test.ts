/**
 * Invariant 4, property-based: VINs, ICCIDs, IMSIs, phone numbers, resident ID numbers, e-mail
 * addresses, plates and driver ids planted anywhere a vehicle app may put them (ids, purposes,
 * VSS values, logs, nested JSON, opaque text, OTA fields, DTC freeze frames) never leave for
 * abroad raw: not in the output, not in the verdict, not in the export record for the backend.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { exportRecordOf } from '../../agent/daemon/pipeline.ts'
import { verdictToJson } from '../../agent/inspect/verdict.ts'
import { jsonOptions, wire } from '../../shared/wire/index.ts'
import { createFleet } from '../../simulator/fleet.ts'
import { everythingOnFile } from '../../simulator/policies.ts'
import { abroad, testInspector } from '../helpers/inspector.ts'

/** Every pseudonym token (shared/pseudonym.ts: psn:<kind>:<20 hex>). */
const PSEUDONYM_TOKENS = /psn:[a-z][a-z0-9-]*:[0-9a-f]{20}/g
/** Epoch-millisecond times (13 digits alone): no planted identifier has 13 digits. */
const EPOCH_MS = /(?<!\d)\d{13}(?!\d)/g
const RUNS = Math.max(1000, Math.floor(Number(process.env.ADX_PROPERTY_RUNS ?? 10_000) / 2))
const inspector = testInspector()
const fleet = createFleet({ vehicles: 200, seed: 5 })
const T = Date.UTC(2026, 6, 1)

type Planted = { kind: string; raw: string; forms: string[] }
function identifiers(i: number): Planted[] {
  const v = fleet.vehicles[i % fleet.vehicles.length]!
  const p = fleet.persons[i % fleet.persons.length]!
  const plate = `沪A${String(10000 + (i % 89999))}`
  const email = `driver${i}@example.cn`
  return [
    { kind: 'vin', raw: v.vin, forms: [v.vin, v.vin.toLowerCase()] },
    { kind: 'iccid', raw: v.iccid, forms: [v.iccid] },
    { kind: 'imsi', raw: v.imsi, forms: [v.imsi] },
    { kind: 'phone', raw: p.phone, forms: [p.phone] },
    { kind: 'resident-id', raw: p.residentId, forms: [p.residentId] },
    { kind: 'email', raw: email, forms: [email] },
    { kind: 'plate', raw: plate, forms: [plate.slice(2)] },
  ]
}

const places = ['id', 'purpose', 'log', 'nested-json', 'opaque', 'ota-custom', 'campaign', 'freeze-frame', 'dtc-ecu', 'vss-text'] as const
type Place = (typeof places)[number]

function payload(vin: string, text: string, place: Place, driverId: string): Record<string, unknown> {
  const base = { id: `p-${vin}`, vehicleId: vin, createdMs: T, purpose: 'fleet-quality' }
  const samples = [{ path: 'Vehicle.Driver.Identifier.Subject', value: { text: driverId } }, { path: 'Vehicle.Speed', value: { number: 40 } }]
  switch (place) {
    case 'id': return { ...base, id: `msg ${text}`, telemetry: { samples } }
    case 'purpose': return { ...base, purpose: `support ${text}`, telemetry: { samples } }
    case 'log': return { ...base, diagnostic: { logs: [{ ecu: 'TBOX', text: `note: ${text} end` }] } }
    case 'nested-json': return { ...base, diagnostic: { logs: [{ text: JSON.stringify({ cfg: JSON.stringify({ contact: text, owner: { name: '张三', phone: text } }) }) }] } }
    case 'opaque': return { ...base, opaque: { contentType: 'text/plain', data: Buffer.from(`line1\n${text}\nline3`).toString('base64') } }
    case 'ota-custom': return { ...base, ota: { manifest: { manifestId: 'm', custom: { note: text } } } }
    case 'campaign': return { ...base, ota: { campaign: { campaignId: 'c', status: 'failed', error: `device ${text} rejected` } } }
    case 'freeze-frame': return { ...base, diagnostic: { dtcs: [{ code: 'P0301', freezeFrame: [{ name: 'note', value: { text } }] }] } }
    case 'dtc-ecu': return { ...base, diagnostic: { dtcs: [{ code: 'U0100', ecu: `TBOX ${text}` }] } }
    case 'vss-text': return { ...base, telemetry: { samples: [...samples, { path: 'Vehicle.VersionVSS.Label', value: { text } }] } }
  }
}

describe('no raw identifier leaves for abroad', () => {
  it(`holds for ${RUNS} random placements`, () => {
    fc.assert(
      fc.property(fc.nat(10_000), fc.integer({ min: 0, max: 6 }), fc.constantFrom(...places), fc.constantFrom(' ', ', ', ': ', '\n', '"'), (i, k, place, sep) => {
        const planted = identifiers(i)[k]!
        const v0 = fleet.vehicles[i % fleet.vehicles.length]!
        const driver = fleet.persons[(i + 1) % fleet.persons.length]!.driverId
        const text = `${sep}${planted.raw}${sep}`
        const verdict = inspector.inspect(payload(v0.vin, text, place, driver), abroad, everythingOnFile)
        expect(verdict.decision, JSON.stringify(verdict.reasons)).toBe('send')
        const out = Buffer.from(verdict.output!)
        const outJson = JSON.stringify(wire.OutboundPayload.toObject(wire.OutboundPayload.decode(out), jsonOptions))
        const record = JSON.stringify(exportRecordOf(verdict, { recordId: 'r', vehicleId: 'veh-000001', nowMs: T, leaseId: '' }))
        const verdictJson = JSON.stringify(verdictToJson(verdict))
        // Pseudonym tokens and epoch-ms times are removed first: a plate's 5 digits can occur
        // by chance inside a pseudonym's 20 hex digits (found by this test at seed -2003287280)
        // or inside createdMs (plate 17828 in 1782864000000, seed -1835559378).
        for (const where of [out.toString('utf8'), outJson, record, verdictJson].map((w) => w.replace(PSEUDONYM_TOKENS, 'psn').replace(EPOCH_MS, 'ms'))) {
          for (const form of [...planted.forms, v0.vin]) expect(where.includes(form), `${planted.kind} at ${place} leaked`).toBe(false)
          expect(where.includes(driver)).toBe(false)
        }
      }),
      // The cases whose plate digits once matched inside a pseudonym's hex and a time, replayed first.
      { numRuns: RUNS, examples: [[8336, 6, 'id', ' '], [7828, 6, 'id', ' ']] },
    )
  })
})
