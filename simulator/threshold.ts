/**
 * The threshold run: a fleet driven up to and across the 2026 guidelines' quantity limits for
 * real, through the real agents (gateways), backend and abroad sink.
 *
 * - 100,100 vehicles each send vehicle-operating telemetry: exporting data of MORE than 100,000
 *   vehicles in a category needs a security assessment (IDR-VEHICLE-QUANTITY);
 * - each also sends a trip log naming 10 passengers (mainland mobile numbers): personal
 *   information of 1,000,000 persons or more needs one too (T-PI-ASSESSMENT), 1,001,000
 *   passengers in all.
 *
 * Phase 1, a standard contract on record but no assessment: the backend's quota leases and
 * vehicle slots let the fleet come up to the limits and no further; the rest waits on the
 * vehicles and the backend logs the approach of each limit. Phase 2, the officer records a
 * security assessment: the backend re-issues every vehicle's policy, the held exports go, and the
 * counts pass both limits, equal to the simulator's ground truth.
 */
import { FilingKind } from '../shared/wire/index.ts'
import { type DemoFleet, startDemoFleet } from './demo-fleet.ts'
import type { PayloadJson } from './corpus.ts'

export interface ThresholdOptions {
  dir: string
  /** Default 100,100 (the vehicle limit is "more than 100,000"). */
  vehicles?: number
  /** Passengers named per trip. Default 10. */
  passengers?: number
  /** Vehicles per gateway agent. Default 10,000. */
  perGateway?: number
  onProgress?: (line: string) => void
}

/** The counts of one moment of the run against its limits. */
export interface ThresholdPhase {
  name: string
  persons: number
  personsLimit: string
  vehicles: number
  vehiclesLimit: string
  /** Payloads waiting on the vehicles, by reason. */
  held: Record<string, number>
  /** Incidents at the backend, by type. */
  incidents: Record<string, number>
  /** Limits the counts are past, with or without a filing covering them. */
  crossed: string[]
  /** Limits the counts are past without a filing: must stay empty. */
  crossedWithoutFiling: string[]
  seconds: number
}

export interface ThresholdSummary {
  vehicles: number
  passengers: number
  phases: ThresholdPhase[]
  truth: { persons: number; vehicles: number }
  /** Every expectation of the run, with whether it held. */
  checks: { what: string; ok: boolean }[]
  seconds: number
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** A passenger's mainland mobile number: distinct per (vehicle, seat of the trip). */
function passengerPhone(vehicle: number, k: number, passengers: number): string {
  return `139${String(vehicle * passengers + k).padStart(8, '0')}`
}

function payloadsOf(vin: string, vehicle: number, passengers: number, now: number): PayloadJson[] {
  const phones = Array.from({ length: passengers }, (_, k) => passengerPhone(vehicle, k, passengers))
  return [
    // The gateway names the vehicle (its backend id); the envelopes carry no VIN, so the
    // telemetry concerns no person and the trip exactly its passengers.
    {
      id: `tel-${vehicle}`,
      createdMs: now,
      destination: 'oem-eu',
      purpose: 'fleet-quality',
      telemetry: {
        samples: [
          { path: 'Vehicle.Speed', timestampMs: now, value: { number: 40 + (vehicle % 60) } },
          { path: 'Vehicle.Powertrain.TractionBattery.StateOfCharge.Current', timestampMs: now, value: { number: 20 + (vehicle % 80) } },
        ],
      },
    },
    {
      id: `trip-${vehicle}`,
      createdMs: now,
      destination: 'oem-eu',
      purpose: 'fleet-quality',
      opaque: { contentType: 'text/plain', name: 'trip.log', data: Buffer.from(`trip ${vehicle} passengers ${phones.join(', ')} fare ok`).toString('base64') },
    },
  ]
}

async function waitIdle(d: DemoFleet, progress: (s: string) => void, label: string, timeoutMs = 600_000): Promise<void> {
  const end = Date.now() + timeoutMs
  let last = 0
  while (Date.now() < end) {
    let busy = 0
    for (const a of d.agents) busy += a.core.outbox.onTheirWay()
    if (busy === 0) return
    if (Date.now() - last > 5000) {
      progress(`${label}: ${busy} items on their way, ${d.sink.count()} payloads at the sink`)
      last = Date.now()
    }
    await sleep(250)
  }
}

function heldByReason(d: DemoFleet): Record<string, number> {
  const held: Record<string, number> = {}
  for (const a of d.agents) for (const h of a.core.outbox.listHeld()) held[h.reasonCode] = (held[h.reasonCode] ?? 0) + 1
  return held
}

interface Status {
  counts: Record<string, Record<string, number>>
  limits: { id: string; count: number; value: number; comparison: string; covered: boolean; fired?: boolean }[]
}

async function phase(d: DemoFleet, name: string, t0: number): Promise<ThresholdPhase> {
  const s = (await d.api('/api/status')) as Status
  const list = (await d.api('/api/incidents?limit=10000')) as { incidents?: { type: string }[] }
  const incidents: Record<string, number> = {}
  for (const i of list.incidents ?? []) incidents[i.type] = (incidents[i.type] ?? 0) + 1
  const limit = (prefix: string) => s.limits.find((l) => l.id.startsWith(prefix))
  const pl = limit('T-PI-ASSESSMENT')
  const vl = limit('IDR-VEHICLE-QUANTITY:vehicles:vehicle-operating')
  const past = s.limits.filter((l) => (l.comparison === 'gt' ? l.count > l.value : l.count >= l.value) && l.count > 0)
  const fmt = (l: Status['limits'][number] | undefined) => (l ? `${l.comparison} ${l.value}${l.covered ? ' (filing in force)' : ''}` : 'n/a')
  return {
    name,
    persons: Number(s.counts['persons.pi']?.[''] ?? 0),
    personsLimit: fmt(pl),
    vehicles: Number(s.counts.vehicles?.['vehicle-operating'] ?? 0),
    vehiclesLimit: fmt(vl),
    held: heldByReason(d),
    incidents,
    crossed: past.map((l) => l.id),
    crossedWithoutFiling: past.filter((l) => !l.covered).map((l) => l.id),
    seconds: (performance.now() - t0) / 1000,
  }
}

/** Run the threshold scenario. */
export async function runThreshold(opts: ThresholdOptions): Promise<ThresholdSummary> {
  const t0 = performance.now()
  const vehicles = opts.vehicles ?? 100_100
  const passengers = opts.passengers ?? 10
  const progress = opts.onProgress ?? (() => undefined)
  const now = Date.now()
  progress(`provisioning ${vehicles} vehicles in ${Math.ceil(vehicles / (opts.perGateway ?? 10_000))} gateways; a standard contract on record, no security assessment`)
  const d = await startDemoFleet({
    dir: opts.dir,
    vehicles,
    vehiclesPerAgent: opts.perGateway ?? 10_000,
    // heartbeats only renew leases here; the backend re-issues policies when the fleet policy changes
    heartbeatSeconds: 600,
    // a lease covers one trip: the sum of leases stays inside the 999,999 persons the contract allows
    lease: { persons: passengers, sensitivePersons: 0 },
    filings: [{ filingId: 'sim-contract', kind: FilingKind.STANDARD_CONTRACT, reference: 'SIM-SC', categories: ['*'], recipients: ['*'], purposes: ['*'], validFromMs: now - 1000, validUntilMs: now + 400 * 86_400_000, exemption: 0, createdMs: now }],
  })
  try {
    // every vehicle has its policy and lease once its gateway connected
    for (let i = 0; i < 600; i++) {
      const ready = d.slots.every((s, k) => k % 97 !== 0 || s.agent.core.keeperOf(s.vehicleId)!.version > 0)
      if (ready) break
      await sleep(500)
    }
    progress(`driving: ${vehicles} vehicles × (telemetry + a trip naming ${passengers} passengers)`)
    let submitted = 0
    for (let i = 0; i < d.slots.length; i += 1000) {
      await Promise.all(
        d.slots.slice(i, i + 1000).flatMap((slot, k) => {
          const v = d.fleet.vehicles[i + k]!
          return payloadsOf(v.vin, v.index, passengers, Date.now()).map((p) => slot.agent.submit(p, slot.vehicleId))
        }),
      )
      submitted += Math.min(1000, d.slots.length - i) * 2
      if (i % 20_000 === 0) progress(`driving: ${submitted} payloads accepted, ${d.sink.count()} at the sink`)
    }
    await waitIdle(d, progress, 'phase 1')
    await sleep(2000) // the last counts reach the backend's status
    const p1 = await phase(d, 'standard contract only', t0)
    progress(`phase 1: ${p1.persons} persons (${p1.personsLimit}), ${p1.vehicles} vehicles (${p1.vehiclesLimit}); held ${JSON.stringify(p1.held)}`)

    progress('the officer records a security assessment; the backend re-issues every vehicle policy')
    await d.api('/api/filings', { method: 'POST', body: { kind: 'security-assessment', reference: 'SIM-SA', categories: ['*'], recipients: ['*'], purposes: ['*'], validFromMs: Date.now() - 1000, validUntilMs: Date.now() + 400 * 86_400_000 } })
    for (let i = 0; i < 1200; i++) {
      await sleep(500)
      const held = Object.values(heldByReason(d)).reduce((a, b) => a + b, 0)
      if (held === 0) break
      if (i % 10 === 0) progress(`phase 2: ${held} payloads still held, ${d.sink.count()} at the sink`)
    }
    await waitIdle(d, progress, 'phase 2')
    await sleep(2000)
    const p2 = await phase(d, 'security assessment on record', t0)
    progress(`phase 2: ${p2.persons} persons, ${p2.vehicles} vehicles; held ${JSON.stringify(p2.held)}`)

    const truth = { persons: vehicles * passengers, vehicles }
    const personsMax = 999_999
    const vehiclesMax = 100_000
    const checks = [
      { what: `phase 1: persons stay below the 1,000,000 limit (${p1.persons} ≤ ${personsMax})`, ok: p1.persons <= personsMax && p1.persons > 0 },
      { what: `phase 1: vehicles stay at or below 100,000 (${p1.vehicles})`, ok: p1.vehicles <= vehiclesMax && p1.vehicles > 0 },
      { what: 'phase 1: the rest waits on the vehicles (held payloads)', ok: Object.values(p1.held).reduce((a, b) => a + b, 0) > 0 },
      { what: 'phase 1: the approach of the limits is logged (limit alert incidents), no limit crossed', ok: (p1.incidents.ADX_INC_LIMIT_ALERT ?? 0) > 0 && (p1.incidents.ADX_INC_LIMIT_CROSSED ?? 0) === 0 && p1.crossedWithoutFiling.length === 0 },
      { what: `phase 2: persons past the limit and equal to the truth (${p2.persons} = ${truth.persons})`, ok: p2.persons === truth.persons && p2.persons > personsMax },
      { what: `phase 2: vehicles past the limit and equal to the truth (${p2.vehicles} = ${truth.vehicles})`, ok: p2.vehicles === truth.vehicles && p2.vehicles > vehiclesMax },
      { what: 'phase 2: nothing held', ok: Object.values(p2.held).reduce((a, b) => a + b, 0) === 0 },
      { what: 'phase 2: both limits passed with the assessment covering them', ok: p2.crossed.includes('T-PI-ASSESSMENT') && p2.crossed.some((id) => id.startsWith('IDR-VEHICLE-QUANTITY')) && p2.crossedWithoutFiling.length === 0 },
      { what: `the sink received every payload once (${d.sink.count()} = ${submitted})`, ok: d.sink.count() === submitted },
    ]
    return { vehicles, passengers, phases: [p1, p2], truth, checks, seconds: (performance.now() - t0) / 1000 }
  } finally {
    await d.stop()
  }
}
