/** Decisions against the policy: filings, exemptions, holds, CIIO, lease, purposes, domestic. */
import { describe, expect, it } from 'vitest'
import { wire } from '../../shared/wire/index.ts'
import { abroad, domestic, testInspector } from '../../test/helpers/inspector.ts'
import type { InspectFiling, InspectPolicy } from './policy.ts'

const T = Date.UTC(2026, 3, 1)
const DAY = 86_400_000
const VIN = 'LSVAU218XN2183294'
const inspector = testInspector()

const face = {
  id: 'm1', vehicleId: VIN, createdMs: T, purpose: 'adas-training',
  media: { items: [{ mediaId: 'x', faces: [{ width: 64, height: 64 }] }] },
}
const source = (exemption?: Record<string, unknown>) => ({
  id: 's1', vehicleId: VIN, createdMs: T, purpose: 'recall-fix',
  ...(exemption ? { exemption } : {}),
  ota: { source: { name: 'src.tar', samrFiling: 'SAMR-OTA-2026-001', archive: Buffer.from('void f() {}\n').toString('base64') } },
})
const assessment = (over: Partial<InspectFiling> = {}): InspectFiling => ({
  id: 'SA-1', kind: 'security-assessment', reference: 'CAC-2026-01', categories: ['IDR-MEDIA-FACE'],
  recipients: ['CN=oem-eu.example'], purposes: ['adas-training'], validFromMs: T - DAY, validUntilMs: T + DAY, ...over,
})
const policy = (over: Partial<InspectPolicy> = {}): InspectPolicy => ({ version: 1, filings: [], heldCategories: [], ciio: false, ...over })
const codes = (p: unknown, pol?: InspectPolicy) => inspector.inspect(p as never, abroad, pol).reasons.map((r) => r.code)

describe('filings', () => {
  it('a filing in force covering rule, recipient and purpose lets important data go', () => {
    const v = inspector.inspect(face, abroad, policy({ filings: [assessment()] }))
    expect(v.decision).toBe('send')
    expect(v.rules.find((r) => r.id === 'IDR-MEDIA-FACE')?.coveredBy).toBe('SA-1')
  })
  it.each([
    ['expired', { validUntilMs: T }],
    ['not yet valid', { validFromMs: T + 1 }],
    ['other recipient', { recipients: ['CN=someone-else'] }],
    ['other purpose', { purposes: ['marketing'] }],
    ['other rule', { categories: ['IDR-MEDIA-PLATE'] }],
    ['weaker measure', { kind: 'standard-contract' as const }],
  ])('a filing that is %s does not', (_name, over) => {
    expect(codes(face, policy({ filings: [assessment(over)] }))).toContain('ADX_HOLD_NEEDS_FILING')
  })
  it('wildcard scope covers', () => {
    const f = assessment({ categories: ['*'], recipients: ['*'], purposes: ['*'] })
    expect(inspector.inspect(face, abroad, policy({ filings: [f] })).decision).toBe('send')
  })
  it('MNR approval covers location; a security assessment does not', () => {
    const loc = { id: 'l', vehicleId: VIN, createdMs: T, purpose: 'nav', telemetry: { samples: [{ path: 'Vehicle.CurrentLocation.Latitude', value: { number: 30 } }] } }
    const mnr = assessment({ id: 'MNR-1', kind: 'mnr-approval', categories: ['location'], purposes: ['*'] })
    expect(inspector.inspect(loc, abroad, policy({ filings: [mnr] })).decision).toBe('send')
    expect(codes(loc, policy({ filings: [assessment({ categories: ['location'], purposes: ['*'] })] }))).toContain('ADX_HOLD_NEEDS_FILING')
  })
})

describe('exemptions', () => {
  const e9 = { exemption: 'EXEMPTION_E9_OTA_RECALL', reference: 'SAMR-OTA-2026-001', purpose: 'recall-fix' }
  const e9Filing: InspectFiling = {
    id: 'REF-1', kind: 'exemption-reference', exemption: 'E9', reference: 'SAMR-OTA-2026-001', categories: ['*'],
    recipients: ['*'], purposes: ['*'], validFromMs: 0, validUntilMs: T + DAY,
  }
  it('E9 with reference and a reference filing in force covers OTA source code', () => {
    const v = inspector.inspect(source(e9), abroad, policy({ filings: [e9Filing] }))
    expect(v.decision).toBe('send')
    expect(v.rules.find((r) => r.id === 'IDR-OTA-SOURCE')?.coveredBy).toBe('exemption:E9:SAMR-OTA-2026-001')
    expect(v.exemption).toEqual({ id: 'E9', reference: 'SAMR-OTA-2026-001', purpose: 'recall-fix' })
  })
  it('E9 without a reference is held for review', () => {
    expect(codes(source({ ...e9, reference: '' }), policy({ filings: [e9Filing] }))).toContain('ADX_HOLD_EXEMPTION_UNSUPPORTED')
  })
  it('E9 with a reference but no reference filing is held', () => {
    expect(codes(source(e9), policy())).toContain('ADX_HOLD_EXEMPTION_UNSUPPORTED')
  })
  it('E9 does not cover other important data (faces)', () => {
    const p = { ...face, exemption: e9 }
    expect(codes(p, policy({ filings: [e9Filing] }))).toContain('ADX_HOLD_NEEDS_FILING')
  })
  it('no exemption: source code needs a security assessment', () => {
    expect(codes(source(), policy())).toContain('ADX_HOLD_NEEDS_FILING')
  })
})

describe('fleet policy holds, CIIO, lease, purposes', () => {
  const driver = {
    id: 'd', vehicleId: VIN, createdMs: T, purpose: 'fleet-quality',
    telemetry: { samples: [
      { path: 'Vehicle.Driver.Identifier.Subject', value: { text: 'driver-1' } },
      { path: 'Vehicle.Occupant.Identifier.Subject', value: { text: 'occupant-2' } },
      { path: 'Vehicle.Speed', value: { number: 3 } },
    ] },
  }
  it('a held category holds; other categories go', () => {
    expect(codes(driver, policy({ heldCategories: ['person-identifier'] }))).toContain('ADX_HOLD_POLICY_HELD')
    expect(inspector.inspect(driver, abroad, policy({ heldCategories: ['charging'] })).decision).toBe('send')
  })
  it('a CIIO needs a security assessment for any PI', () => {
    expect(codes(driver, policy({ ciio: true }))).toContain('ADX_HOLD_CIIO_PI')
    const sa = assessment({ categories: ['*'], purposes: ['*'] })
    expect(inspector.inspect(driver, abroad, policy({ ciio: true, filings: [sa] })).decision).toBe('send')
  })
  it('new persons beyond the lease wait; known persons do not count', () => {
    const lease = { id: 'L1', newPersons: 1, newSensitivePersons: 0 }
    expect(codes(driver, policy({ lease }))).toContain('ADX_HOLD_LEASE_EXHAUSTED')
    const v1 = inspector.inspect(driver, abroad, policy({ lease: { ...lease, newPersons: 2 } }))
    expect(v1.decision).toBe('send')
    expect(v1.subjects.filter((s) => s.new)).toHaveLength(2)
    const known = new Set(v1.subjects.map((s) => s.pseudonym))
    expect(inspector.inspect(driver, abroad, { ...policy({ lease: { ...lease, newPersons: 0 } }), knownSubjects: known }).decision).toBe('send')
  })
  it('E2–E4 flows do not draw on the lease', () => {
    const p = { ...driver, exemption: { exemption: 'EXEMPTION_E2_CONTRACT', purpose: 'vehicle delivery contract' } }
    expect(inspector.inspect(p, abroad, policy({ lease: { id: 'L', newPersons: 0, newSensitivePersons: 0 } })).decision).toBe('send')
  })
  it('a destination that does not accept the purpose holds', () => {
    const v = inspector.inspect(driver, { ...abroad, purposes: ['ota-campaign-report'] }, policy())
    expect(v.reasons.map((r) => r.code)).toContain('ADX_HOLD_PURPOSE_NOT_ALLOWED')
    expect(inspector.inspect(driver, { ...abroad, purposes: ['fleet-quality'] }, policy()).decision).toBe('send')
  })
})

describe('domestic destinations', () => {
  it('the payload goes out intact but tagged', () => {
    const p = {
      id: 'dom', vehicleId: VIN, createdMs: T, purpose: 'x',
      telemetry: {
        samples: [{ path: 'Vehicle.VehicleIdentification.VIN', value: { text: VIN } }, { path: 'Vehicle.CurrentLocation.Latitude', value: { number: 31.123456 } }],
        actuatorWrites: [{ path: 'Vehicle.Body.Trunk.IsOpen', target: { boolean: true } }],
      },
    }
    const bytes = wire.OutboundPayload.encode(wire.OutboundPayload.fromObject(p)).finish()
    const v = inspector.inspect(bytes, domestic)
    expect(v.decision).toBe('send')
    expect(Buffer.from(v.output!).equals(Buffer.from(bytes))).toBe(true)
    expect(v.categories.map((c) => c.id)).toEqual(expect.arrayContaining(['vehicle-identifier', 'location', 'control-instruction']))
    expect(v.stripped).toEqual([])
    expect(v.pseudonymised).toEqual([])
  })
})
