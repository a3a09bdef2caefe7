/** Signed policy on the agent: verify before use, refuse older/foreign/tampered, map to InspectPolicy. */
import { describe, expect, it } from 'vitest'
import { generateSigningKey } from '../../shared/signature.ts'
import { FilingKind } from '../../shared/wire/enums.ts'
import { effectivePolicy, verifySignedPolicy } from './policy.ts'
import { signedPolicy } from './test-fixtures.ts'

const signer = generateSigningKey()
const none = () => ({ persons: 0, sensitive: 0 })

describe('verifySignedPolicy', () => {
  it('accepts a good policy, treats the same bytes as a duplicate, refuses older and conflicting versions', () => {
    const v2 = signedPolicy(signer, { version: 2 })
    const r = verifySignedPolicy(signer.publicKeyPem, v2, 'fleet', undefined, 'veh-1')
    expect(r).toMatchObject({ ok: true, duplicate: false })
    if (!r.ok) return
    expect(verifySignedPolicy(signer.publicKeyPem, v2, 'fleet', r.value, 'veh-1')).toMatchObject({ ok: true, duplicate: true })
    expect(verifySignedPolicy(signer.publicKeyPem, signedPolicy(signer, { version: 1 }), 'fleet', r.value)).toMatchObject({ ok: false, reason: 'older-version' })
    expect(verifySignedPolicy(signer.publicKeyPem, signedPolicy(signer, { version: 2, ciio: true }), 'fleet', r.value)).toMatchObject({ ok: false, reason: 'conflicting-version' })
  })

  it('refuses tampered bytes, another key, garbage, and a policy for another vehicle', () => {
    const good = Buffer.from(signedPolicy(signer, { version: 3, vehiclePseudonym: 'veh-1' }))
    // Any single-bit change is refused, unless it only touched the unsigned envelope (e.g. the
    // key id's field tag) and the signed policy still verifies unchanged.
    let refused = 0
    for (let i = 0; i < good.length; i++) {
      const t = Buffer.from(good)
      t[i] = t[i]! ^ 0x01
      const r = verifySignedPolicy(signer.publicKeyPem, t, 'vehicle', undefined, 'veh-1')
      if (r.ok) expect(Buffer.from(r.value.policy.vehiclePseudonym)).toEqual(Buffer.from('veh-1'))
      else refused++
    }
    expect(refused).toBeGreaterThan(good.length - 5)
    expect(verifySignedPolicy(signer.publicKeyPem, signedPolicy(generateSigningKey(), { version: 3 }), 'fleet')).toMatchObject({ ok: false, reason: 'wrong-key' })
    expect(verifySignedPolicy(signer.publicKeyPem, new Uint8Array([0xff, 0xff, 0xff]), 'fleet')).toMatchObject({ ok: false, reason: 'undecodable' })
    expect(verifySignedPolicy(signer.publicKeyPem, signedPolicy(signer, { version: 3, vehiclePseudonym: 'veh-2' }), 'vehicle', undefined, 'veh-1')).toMatchObject({ ok: false, reason: 'wrong-vehicle' })
    expect(verifySignedPolicy(signer.publicKeyPem, good, 'vehicle', undefined, 'veh-1').ok).toBe(true)
  })
})

describe('effectivePolicy', () => {
  const verified = (source: 'fleet' | 'vehicle', p: Parameters<typeof signedPolicy>[1]) => {
    const r = verifySignedPolicy(signer.publicKeyPem, signedPolicy(signer, p), source)
    if (!r.ok) throw new Error(r.detail)
    return r.value
  }

  it('maps filings, takes holds and CIIO from both policies, and draws the lease minus what was used', () => {
    const fleet = verified('fleet', { version: 4, issuedMs: 1, heldCategories: ['location'], ciio: true })
    const vehicle = verified('vehicle', {
      version: 5,
      issuedMs: 2,
      heldCategories: ['camera', 'location'],
      ciio: true,
      filings: [{ filingId: 'F1', kind: FilingKind.STANDARD_CONTRACT, reference: 'SC-1', categories: [], recipients: ['CN=eu'], purposes: [], validFromMs: 0, validUntilMs: 0, exemption: 0 }],
      lease: { leaseId: 'L', newPersons: 10, newSensitivePersons: 2, newVehicleAllowed: true, expiresMs: 10_000 },
    })
    const p = effectivePolicy({ fleet, vehicle, leaseUse: () => ({ persons: 3, sensitive: 2 }), knownSubjects: new Set(), nowMs: 5_000 })
    expect(p).toMatchObject({ version: 5, heldCategories: ['camera', 'location'], ciio: true, leaseId: 'L', lease: { id: 'L', newPersons: 7, newSensitivePersons: 0 } })
    expect(p.filings).toEqual([expect.objectContaining({ id: 'F1', kind: 'standard-contract', categories: ['*'], recipients: ['CN=eu'], validUntilMs: Number.MAX_SAFE_INTEGER })])
    expect(effectivePolicy({ fleet, vehicle, leaseUse: none, knownSubjects: new Set(), nowMs: 20_000 }).lease).toEqual({ id: '', newPersons: 0, newSensitivePersons: 0 })
  })

  it('holds are the union: a newer fleet policy does not lift the vehicle policy\'s own holds (fail closed)', () => {
    const vehicle = verified('vehicle', { version: 2, issuedMs: 1, heldCategories: ['location'], lease: { leaseId: 'L', newPersons: 5, newSensitivePersons: 0, newVehicleAllowed: true, expiresMs: 0 } })
    const fleet = verified('fleet', { version: 7, issuedMs: 2, heldCategories: ['camera'] })
    const p = effectivePolicy({ fleet, vehicle, leaseUse: none, knownSubjects: new Set(), nowMs: 0 })
    expect(p).toMatchObject({ version: 7, heldCategories: ['camera', 'location'], lease: { id: 'L', newPersons: 5 } })
    // negative: nothing held by either → nothing held
    const clear = verified('vehicle', { version: 8, issuedMs: 3, heldCategories: [], lease: { leaseId: 'L2', newPersons: 5, newSensitivePersons: 0, newVehicleAllowed: true, expiresMs: 0 } })
    expect(effectivePolicy({ fleet: verified('fleet', { version: 7, issuedMs: 2, heldCategories: [] }), vehicle: clear, leaseUse: none, knownSubjects: new Set(), nowMs: 0 }).heldCategories).toEqual([])
  })

  describe('slots (categories counted per vehicle near their limit)', () => {
    const now = Date.UTC(2026, 5, 1)
    const lease = (expiresMs: number, vehicleCategories: string[]) => ({ leaseId: 'L', newPersons: 5, newSensitivePersons: 0, newVehicleAllowed: true, expiresMs, vehicleCategories })
    const fleet = verified('fleet', { version: 3, issuedMs: now - 10, heldCategories: [], slotCategories: ['location', 'roads'] })
    const eff = (vehicle?: ReturnType<typeof verified>, f = fleet) => effectivePolicy({ fleet: f, ...(vehicle ? { vehicle } : {}), leaseUse: none, knownSubjects: new Set(), nowMs: now }).heldCategories

    it('without an own policy, every slot category is held (an agent never adds itself to a vehicle count unasked)', () => {
      expect(eff()).toEqual(['location', 'roads'])
      expect(eff(undefined, verified('fleet', { version: 3, issuedMs: now, heldCategories: [] }))).toEqual([])
    })

    it('a live lease with a slot releases that category; a counted category (neither held nor granted) stays free', () => {
      // own policy: location granted, roads counted already (not held, not granted)
      const own = verified('vehicle', { version: 4, issuedMs: now - 5, heldCategories: [], slotCategories: ['location', 'roads'], lease: lease(now + 60_000, ['location']) })
      expect(eff(own)).toEqual([])
      // own policy: roads held (no slot), location granted
      const noSlot = verified('vehicle', { version: 4, issuedMs: now - 5, heldCategories: ['roads'], slotCategories: ['location', 'roads'], lease: lease(now + 60_000, ['location']) })
      expect(eff(noSlot)).toEqual(['roads'])
    })

    it('an expired lease loses its slots but not what the vehicle is counted in', () => {
      const own = verified('vehicle', { version: 4, issuedMs: now - 120_000, heldCategories: [], slotCategories: ['location', 'roads'], lease: lease(now - 1, ['location']) })
      expect(eff(own)).toEqual(['location'])
    })

    it('a newer fleet policy naming a new slot category holds it until the vehicle\'s own policy says otherwise', () => {
      const own = verified('vehicle', { version: 2, issuedMs: now - 20, heldCategories: [], slotCategories: ['roads'], lease: lease(now + 60_000, []) })
      expect(eff(own)).toEqual(['location'])
    })

    it('what a policy of last year showed counted does not count this year', () => {
      const lastYear = Date.UTC(2025, 11, 31, 15, 59)
      const own = verified('vehicle', { version: 2, issuedMs: lastYear, heldCategories: [], slotCategories: ['location', 'roads'], lease: lease(0, []) })
      expect(eff(own)).toEqual(['location', 'roads'])
    })
  })

  it('without any policy: nothing on file and a lease of zero (new persons wait)', () => {
    expect(effectivePolicy({ leaseUse: none, knownSubjects: new Set(), nowMs: 0 })).toMatchObject({ version: 0, filings: [], heldCategories: [], lease: { newPersons: 0, newSensitivePersons: 0 } })
  })
})
