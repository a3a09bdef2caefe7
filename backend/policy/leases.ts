/**
 * PURE: quota leases. A vehicle may add new distinct persons only from a lease; the backend sizes
 * leases so that, for every persons count c with a binding limit,
 *
 *     counted_c + Σ over outstanding leases of max(0, units the lease may add to c − units used) ≤ maxAllowed_c
 *
 * always holds. A lease stays outstanding until its expiry plus a reporting grace (records of
 * exports made under it may arrive late); its use is measured from the records that name it.
 * A new non-sensitive person can feed persons.pi and also persons.vin-iccid / persons.charging;
 * a new sensitive person feeds persons.sensitive and those two as well (see `poolWeights`).
 * Agents spend a unit on every subject new to them, whatever exemption the payload claims:
 * conservative, never short.
 *
 * Vehicles counted per category (the "vehicles" counter) get slots instead: a reservation for the
 * vehicle itself to join a category's set, so vehicles already counted never use up room.
 */
import { counterDefinitions } from '../counting/counters.ts'
import type { RulePack } from '../../shared/rulepack/schema.ts'
import type { LeaseGrant, LeaseSnapshot, LeaseWeight } from '../store/types.ts'
import { type Binding, countKey } from './headroom.ts'

/** Counter whose per-category members are reserved by slots. */
export const SLOT_COUNTER = 'vehicles'

/** Lease sizing and timing. */
export interface LeaseOptions {
  /** New non-sensitive persons per lease. */
  persons: number
  /** New sensitive persons per lease. */
  sensitivePersons: number
  /** Lifetime of a lease. */
  ttlMs: number
  /** How long after expiry a lease still counts (late records of exports made under it). */
  reportGraceMs: number
  /** A vehicle gets a new lease when its current one expires within this. */
  renewBeforeMs: number
}

/** Pool weights per persons counter; persons counters not listed take both pools (conservative). */
export const poolWeights: Readonly<Record<string, LeaseWeight>> = {
  'persons.pi': { persons: 1, sensitive: 0 },
  'persons.sensitive': { persons: 0, sensitive: 1 },
}

const isPersons = (counter: string) => {
  const d = counterDefinitions[counter]
  return d?.kind === 'distinct' && d.persons
}

/** Weights of every persons counter of the pack (what a lease unit may add to each). */
export function leaseWeights(pack: RulePack): Record<string, LeaseWeight> {
  const out: Record<string, LeaseWeight> = {}
  for (const c of pack.counters) if (isPersons(c.id)) out[c.id] = poolWeights[c.id] ?? { persons: 1, sensitive: 1 }
  return out
}

/** Everything a lease decision needs. */
export interface LeaseRequest {
  vehicleId: string
  leaseId: string
  year: number
  nowMs: number
  /** End of the counting year: leases never outlive the year they count in. */
  yearEndMs: number
  snapshot: LeaseSnapshot
  /** Bindings computed from snapshot.totals. */
  bindings: ReadonlyMap<string, Binding>
  /** leaseWeights(pack): the counters a lease unit feeds (the same weights the snapshot used). */
  weights: Readonly<Record<string, LeaseWeight>>
  options: LeaseOptions
}

/** Categories of the slot counter the vehicle would need a slot for (bound and not yet counted). */
export function slotNeeds(bindings: ReadonlyMap<string, Binding>, countedCategories: readonly string[]): string[] {
  const counted = new Set(countedCategories)
  const out: string[] = []
  for (const b of bindings.values()) if (b.counter === SLOT_COUNTER && Number.isFinite(b.maxAllowed) && !counted.has(b.category)) out.push(b.category)
  return out.sort()
}

/**
 * Sizes a lease (and slots) from a snapshot.
 * @example const grant = decideLease({ vehicleId, leaseId, year, nowMs, yearEndMs, snapshot, bindings, options })
 */
export function decideLease(req: LeaseRequest): LeaseGrant {
  const { snapshot, bindings, options, nowMs } = req
  let expiresMs = Math.min(nowMs + options.ttlMs, req.yearEndMs)
  for (const b of bindings.values()) if (req.weights[b.counter] || b.counter === SLOT_COUNTER) expiresMs = Math.min(expiresMs, b.validUntilMs)
  const live = expiresMs > nowMs

  // Room per persons count after what every outstanding lease may still add.
  const room = (counter: string, b: Binding) => b.headroom - (snapshot.remaining[counter] ?? 0)
  const weights = req.weights
  let persons = live ? options.persons : 0
  for (const b of bindings.values()) {
    const w = weights[b.counter]
    if (w?.persons) persons = Math.min(persons, Math.floor(room(b.counter, b) / w.persons))
  }
  persons = Math.max(0, persons)
  let sensitive = live ? options.sensitivePersons : 0
  for (const b of bindings.values()) {
    const w = weights[b.counter]
    if (w?.sensitive) sensitive = Math.min(sensitive, Math.floor((room(b.counter, b) - w.persons * persons) / w.sensitive))
  }
  sensitive = Math.max(0, sensitive)

  const slotCategories: string[] = []
  if (live) {
    for (const c of slotNeeds(bindings, snapshot.vehicleCategories)) {
      const b = bindings.get(countKey(SLOT_COUNTER, c))!
      if (b.headroom - (snapshot.otherSlots[c] ?? 0) >= 1) slotCategories.push(c)
    }
  }

  return {
    lease: {
      leaseId: req.leaseId,
      vehicleId: req.vehicleId,
      year: req.year,
      newPersons: persons,
      newSensitivePersons: sensitive,
      vehicleCategories: slotCategories,
      issuedMs: nowMs,
      expiresMs: Math.max(expiresMs, nowMs),
      outstandingUntilMs: Math.max(expiresMs, nowMs) + options.reportGraceMs,
    },
    slotCategories,
  }
}
