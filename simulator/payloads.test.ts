import { describe, expect, it } from 'vitest'
import { jsonOptions, wire } from '../shared/wire/index.ts'
import { abroad, testInspector } from '../test/helpers/inspector.ts'
import { createFleet } from './fleet.ts'
import { forbiddenForms } from './key-material.ts'
import { keyPool, simPayload } from './payloads.ts'
import { everythingOnFile } from './policies.ts'
import { seeded } from './random.ts'

describe('simPayload', () => {
  const fleet = createFleet({ vehicles: 50, seed: 3 })
  const pool = keyPool()
  const gen = (seed: number) => {
    const r = seeded(seed)
    return fleet.vehicles.flatMap((v) => Array.from({ length: 6 }, (_, s) => simPayload(fleet, v, s, r, pool, 'oem-eu', 1_780_000_000_000, { keyRate: 0.3, controlRate: 0.3 })))
  }
  const payloads = gen(11)

  it('is deterministic for a seed', () => {
    expect(gen(11).map((p) => p.payload)).toEqual(payloads.map((p) => p.payload))
  })

  it('plants keys and controls that inspect removes, and carries the driver ids it claims', () => {
    const inspector = testInspector()
    expect(payloads.filter((p) => p.plantedKeys.length).length).toBeGreaterThan(20)
    expect(payloads.filter((p) => p.plantedControls).length).toBeGreaterThan(20)
    for (const p of payloads) {
      const v = inspector.inspect(p.payload, abroad, everythingOnFile)
      expect(v.decision).toBe('send')
      const out = Buffer.from(v.output!)
      const json = JSON.stringify(wire.OutboundPayload.toObject(wire.OutboundPayload.decode(out), jsonOptions))
      for (const k of p.plantedKeys) for (const f of forbiddenForms(k)) expect(json.includes(f) || out.toString('latin1').includes(f)).toBe(false)
      expect(v.stripped.filter((s) => s.reason === 'control-instruction').length).toBe(p.plantedControls)
      expect(v.subjects.filter((s) => s.kind === 'driver-id').length).toBe(p.driverIds.length)
    }
  })
})
