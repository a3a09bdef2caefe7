import { describe, expect, it } from 'vitest'
import { vehicleIdProblem } from './vehicle-id.ts'

describe('vehicleIdProblem', () => {
  it.each(['veh-000123', 'psn:vin:6d1f0c2a9b8e7d6c5b4a', 'fleet.a_7'])('accepts opaque id %s', (id) => {
    expect(vehicleIdProblem(id)).toBeUndefined()
  })
  it.each([
    ['a VIN', 'LSVAU218XN2183294'],
    ['a phone number', '13812345678'],
    ['an id with a VIN inside', 'car-LSVAU218XN2183294'],
    ['a topic wildcard', 'veh/#'],
    ['empty', ''],
  ])('refuses %s', (_name, id) => {
    expect(vehicleIdProblem(id)).toBeDefined()
  })
})
