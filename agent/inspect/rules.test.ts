/**
 * Every important-data rule of the shipped pack has a positive and a negative case here; a
 * meta-test fails when a rule is added to the pack without both.
 */
import { describe, expect, it } from 'vitest'
import { abroad, pack, testInspector } from '../../test/helpers/inspector.ts'
import type { Verdict } from './verdict.ts'

const T = Date.UTC(2026, 3, 1)
const VIN = 'LSVAU218XN2183294'
const zone = { id: 'zone-test', latitude: 31.2304, longitude: 121.4737, radiusMeters: 500 }
const inspector = testInspector({ zones: [zone] })

type P = Record<string, unknown>
const base = (body: P, extra: P = {}): P => ({ id: 'p1', vehicleId: VIN, createdMs: T, purpose: 'test', ...extra, ...body })
const telemetry = (samples: P[], extra: P = {}) => base({ telemetry: { samples } }, extra)
const sample = (path: string, value: P) => ({ path, timestampMs: T, value })
const speed = telemetry([sample('Vehicle.Speed', { number: 50 })])
const media = (faces: P[], plates: P[] = []) =>
  base({ media: { items: [{ mediaId: 'm', camera: 'front', widthPx: 1920, heightPx: 1080, original: true, faces, plates }] } })
const box = (width: number, height: number) => ({ x: 1, y: 1, width, height, confidence: 0.9 })
const at = (lat: number, lon: number) =>
  telemetry([sample('Vehicle.CurrentLocation.Latitude', { number: lat }), sample('Vehicle.CurrentLocation.Longitude', { number: lon })])

/** Payloads on which each payload-scope rule fires. */
const positive: Record<string, P> = {
  'IDR-RESULT-MAJOR-PROJECT': { ...speed, tags: ['national-major-project'] },
  'IDR-GEO-SENSITIVE-ZONE': at(31.2306, 121.4739),
  'IDR-GEO-SURVEYING': at(39.9, 116.4),
  'IDR-GEO-MAP-BUILDING': { ...speed, tags: ['map-building'] },
  'IDR-PUBLIC-SECURITY': { ...speed, tags: ['public-security'] },
  'IDR-SYSTEM-FUNCTION': telemetry([sample('Vehicle.ADAS.ActiveAutonomyLevel', { text: 'SAE_2' })]),
  'IDR-SYSTEM-SECURITY': { ...speed, tags: ['vulnerability'] },
  'IDR-EXPORT-CONTROL': { ...speed, tags: ['export-control'] },
  'IDR-MEDIA-FACE': media([box(32, 40)]),
  'IDR-MEDIA-PLATE': media([], [box(60, 16)]),
  'IDR-OTA-SOURCE': base({ ota: { source: { name: 'adcu-src.tar', archive: Buffer.from('int main(void) { return 0; }\n').toString('base64') } } }),
  'IDR-KEYS': base({ diagnostic: { uds: [{ request: Buffer.from([0x27, 0x01]).toString('base64'), response: Buffer.from([0x67, 0x01, 1, 2, 3, 4]).toString('base64') }] } }),
  'IDR-CONTROL': base({ telemetry: { actuatorWrites: [{ path: 'Vehicle.Body.Trunk.IsOpen', target: { boolean: true } }] } }),
}

/** Payloads just on the other side of each rule. */
const negative: Record<string, P> = {
  'IDR-RESULT-MAJOR-PROJECT': { ...speed, tags: ['major-project-review'] },
  'IDR-GEO-SENSITIVE-ZONE': at(31.2804, 121.4737), // ~5.5 km north of the zone centre
  'IDR-GEO-SURVEYING': speed,
  'IDR-GEO-MAP-BUILDING': { ...speed, tags: ['map-viewing'] },
  'IDR-PUBLIC-SECURITY': { ...speed, tags: ['public'] },
  'IDR-SYSTEM-FUNCTION': telemetry([sample('Vehicle.ADAS.ABS.IsEngaged', { boolean: true })]),
  'IDR-SYSTEM-SECURITY': speed,
  'IDR-EXPORT-CONTROL': { ...speed, tags: ['export'] },
  'IDR-MEDIA-FACE': media([box(31, 200)]),
  'IDR-MEDIA-PLATE': media([], [box(80, 15)]),
  'IDR-OTA-SOURCE': base({ ota: { campaign: { campaignId: 'C1', status: 'installed' } } }),
  'IDR-KEYS': base({ diagnostic: { uds: [{ request: Buffer.from([0x22, 0xf1, 0x89]).toString('base64') }] } }),
  'IDR-CONTROL': speed,
}

const fired = (v: Verdict) => v.rules.map((r) => r.id)

describe('important-data rules of the pack', () => {
  const payloadRules = pack.rules.filter((r) => r.scope === 'payload').map((r) => r.id)
  const fleetRules = pack.rules.filter((r) => r.scope === 'fleet').map((r) => r.id)

  it('every payload-scope rule has a positive and a negative case', () => {
    expect(Object.keys(positive).sort()).toEqual([...payloadRules].sort())
    expect(Object.keys(negative).sort()).toEqual([...payloadRules].sort())
  })

  it.each(payloadRules)('%s fires on its positive case', (id) => {
    expect(fired(inspector.inspect(positive[id]!, abroad))).toContain(id)
  })

  it.each(payloadRules)('%s does not fire on its negative case', (id) => {
    expect(fired(inspector.inspect(negative[id]!, abroad))).not.toContain(id)
  })

  it.each(fleetRules)('fleet rule %s never fires on one payload (the backend decides from counts)', (id) => {
    for (const p of Object.values(positive)) expect(fired(inspector.inspect(p, abroad))).not.toContain(id)
  })

  it.each(fleetRules)('fleet rule %s held by the policy holds its categories', (id) => {
    const rule = pack.rules.find((r) => r.id === id)!
    const v = inspector.inspect(speed, abroad, { version: 3, filings: [], heldCategories: rule.categories!, ciio: false })
    const carriesHeld = rule.categories!.includes('vehicle-operating')
    expect(v.decision).toBe(carriesHeld ? 'hold' : 'send')
    if (carriesHeld) expect(v.reasons.map((r) => r.code)).toContain('ADX_HOLD_POLICY_HELD')
  })

  it('face and plate boundaries are inclusive (≥ 32 px, ≥ 16 px) on the shorter side', () => {
    expect(fired(inspector.inspect(media([box(32, 32)]), abroad))).toContain('IDR-MEDIA-FACE')
    expect(fired(inspector.inspect(media([box(400, 31)]), abroad))).not.toContain('IDR-MEDIA-FACE')
    expect(fired(inspector.inspect(media([], [box(16, 16)]), abroad))).toContain('IDR-MEDIA-PLATE')
    expect(fired(inspector.inspect(media([], [box(300, 15)]), abroad))).not.toContain('IDR-MEDIA-PLATE')
  })

  it('never-rules strip instead of holding', () => {
    for (const id of ['IDR-KEYS', 'IDR-CONTROL']) {
      const v = inspector.inspect(positive[id]!, abroad)
      expect(v.decision).toBe('send')
      expect(v.stripped.length).toBeGreaterThan(0)
    }
  })

  it('rules that need a filing hold without one', () => {
    for (const id of payloadRules.filter((r) => pack.rules.find((x) => x.id === r)!.requires !== 'never')) {
      const v = inspector.inspect(positive[id]!, abroad)
      expect(v.decision, id).toBe('hold')
      expect(v.reasons.find((r) => r.code === 'ADX_HOLD_NEEDS_FILING')?.ruleIds, id).toContain(id)
    }
  })
})
