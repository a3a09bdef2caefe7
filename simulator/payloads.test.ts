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

describe('ground truth', () => {
  it("every payload's subjects (person kind, sensitive, charging) are what inspect finds", () => {
    const ins = testInspector()
    const policy = { ...everythingOnFile, lease: { id: 'L', newPersons: 1e6, newSensitivePersons: 1e6 } }
    const pool = keyPool()
    const kind = (person: string) => (person.startsWith('drv-') ? 'driver-id' : person.split(':')[0]!)
    const key = (k: string, sensitive: boolean, charging: boolean) => `${k}${sensitive ? '*' : ''}${charging ? '$' : ''}`
    let n = 0
    for (const seed of [1, 2, 3]) {
      const fleet = createFleet({ vehicles: 150, seed })
      const r = seeded(seed + 1)
      for (let seq = 0; seq < 4; seq++)
        for (const v of fleet.vehicles) {
          const p = simPayload(fleet, v, seq, r, pool, 'oem-eu', Date.UTC(2026, 5, 1), { keyRate: 0.1, controlRate: 0.2 })
          const verdict = ins.inspect(JSON.stringify(p.payload), abroad, policy)
          const got = verdict.subjects.map((s) => key(s.kind, s.sensitive, s.charging)).sort()
          const want = p.subjects.map((s) => key(kind(s.person), s.sensitive, s.charging)).sort()
          expect(got, `seed ${seed}, payload ${String(p.payload.id)}`).toEqual(want)
          n++
        }
    }
    expect(n).toBe(1800)
  })
})
