/**
 * A deterministic simulated fleet: vehicles with real-looking VINs, SIM identifiers (ICCID,
 * IMSI) and the persons who drive them. Persons are shared the way households and company
 * fleets share cars, so distinct persons ≠ vehicles × k; the fleet knows the exact truth.
 */
import { makeIccid } from '../agent/inspect/detect/identifiers/iccid.ts'
import { makeResidentId } from '../agent/inspect/detect/identifiers/resident-id.ts'
import { seeded, type Random } from './random.ts'
import { vinFor } from './vin.ts'

export interface SimPerson {
  index: number
  /** Driver identifier as the vehicle's identity service issues it. */
  driverId: string
  /** Mainland mobile number. */
  phone: string
  residentId: string
}

export interface SimVehicle {
  index: number
  vin: string
  iccid: string
  imsi: string
  /** Indices into `persons` of who drives this vehicle (first = main driver). */
  drivers: number[]
}

export interface SimFleet {
  seed: number
  vehicles: SimVehicle[]
  persons: SimPerson[]
}

export interface FleetOptions {
  vehicles: number
  seed?: number
  /** Share of vehicles in company fleets (pooled drivers), default 0.2. */
  companyShare?: number
}

function person(r: Random, index: number): SimPerson {
  const phone = `1${r.pick(['38', '39', '50', '58', '86', '88', '35', '77'])}${String(10_000_000 + ((index * 7_919) % 90_000_000)).padStart(8, '0')}`
  const year = 1960 + r.int(0, 44)
  const prefix = `${r.pick(['110101', '310104', '440305', '510107', '330106'])}${year}${String(r.int(1, 12)).padStart(2, '0')}${String(r.int(1, 28)).padStart(2, '0')}${String(index % 1000).padStart(3, '0')}`
  return { index, driverId: `drv-${String(index).padStart(7, '0')}`, phone, residentId: makeResidentId(prefix) }
}

/**
 * Build a fleet. Households own 1–2 vehicles driven by 1–3 household members; company
 * vehicles draw 2–4 drivers from a pool shared by the company's vehicles.
 * @example const fleet = createFleet({ vehicles: 1000, seed: 42 })
 */
export function createFleet(opts: FleetOptions): SimFleet {
  const seed = opts.seed ?? 1
  const r = seeded(seed)
  const persons: SimPerson[] = []
  const vehicles: SimVehicle[] = []
  const companyShare = opts.companyShare ?? 0.2
  const newPerson = () => {
    const p = person(r, persons.length)
    persons.push(p)
    return p.index
  }
  let pool: number[] = []
  let poolLeft = 0
  let household: number[] = []
  let householdCars = 0
  for (let i = 0; i < opts.vehicles; i++) {
    let drivers: number[]
    if (r.next() < companyShare) {
      if (poolLeft <= 0) {
        pool = Array.from({ length: r.int(3, 12) }, newPerson)
        poolLeft = r.int(5, 20)
      }
      poolLeft--
      const k = Math.min(pool.length, r.int(2, 4))
      const start = r.int(0, pool.length - 1)
      drivers = Array.from({ length: k }, (_, j) => pool[(start + j) % pool.length]!)
    } else {
      if (householdCars <= 0) {
        household = Array.from({ length: r.int(1, 3) }, newPerson)
        householdCars = r.bool(0.3) ? 2 : 1
      }
      householdCars--
      drivers = [...household]
    }
    const iccidBody = `898600${String(r.int(10, 99))}${String(i).padStart(10, '0')}`
    vehicles.push({
      index: i,
      vin: vinFor(i),
      iccid: makeIccid(iccidBody),
      imsi: `46000${String(i).padStart(10, '0')}`,
      drivers,
    })
  }
  return { seed, vehicles, persons }
}
