import { describe, expect, it } from 'vitest'
import { isIccid } from '../agent/inspect/detect/identifiers/iccid.ts'
import { isImsi } from '../agent/inspect/detect/identifiers/imsi.ts'
import { isResidentId } from '../agent/inspect/detect/identifiers/resident-id.ts'
import { isVin } from '../agent/inspect/detect/identifiers/vin.ts'
import { findIdentifiers } from '../agent/inspect/detect/identifiers/identifiers.ts'
import { createFleet } from './fleet.ts'

describe('createFleet', () => {
  const fleet = createFleet({ vehicles: 2000, seed: 7 })
  it('is deterministic for a seed and differs across seeds', () => {
    expect(createFleet({ vehicles: 2000, seed: 7 })).toEqual(fleet)
    expect(createFleet({ vehicles: 2000, seed: 8 }).persons.length).not.toBe(fleet.persons.length)
  })
  it('gives every vehicle valid, distinct identifiers', () => {
    for (const v of fleet.vehicles) {
      expect(isVin(v.vin), v.vin).toBe(true)
      expect(isIccid(v.iccid), v.iccid).toBe(true)
      expect(isImsi(v.imsi), v.imsi).toBe(true)
    }
    expect(new Set(fleet.vehicles.map((v) => v.vin)).size).toBe(2000)
    expect(new Set(fleet.vehicles.map((v) => v.iccid)).size).toBe(2000)
  })
  it('gives persons valid resident ids and phone numbers the detectors find', () => {
    for (const p of fleet.persons.slice(0, 300)) {
      expect(isResidentId(p.residentId), p.residentId).toBe(true)
      expect(findIdentifiers(`call ${p.phone} now`).map((s) => s.kind)).toEqual(['phone'])
    }
  })
  it('shares persons across vehicles: distinct persons is not vehicles × k', () => {
    const driverSlots = fleet.vehicles.reduce((n, v) => n + v.drivers.length, 0)
    const distinct = new Set(fleet.vehicles.flatMap((v) => v.drivers)).size
    expect(distinct).toBeLessThanOrEqual(fleet.persons.length)
    expect(distinct).toBeLessThan(driverSlots)
    expect(fleet.vehicles.some((v) => v.drivers.length > 1)).toBe(true)
  })
})
