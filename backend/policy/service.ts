/**
 * The policy publisher (I/O shell around the pure engine): re-evaluates the measure from the
 * stored counts and filings, issues a new signed fleet policy when what it says changes (held
 * categories, filings, CIIO flag, rule-pack version), raises incidents when a hold starts or a
 * limit is crossed or alerted, and issues per-vehicle policies carrying quota leases.
 * Evaluations and lease issues run one at a time.
 */
import { randomUUID } from 'node:crypto'
import { countingYear, yearWindow } from '../../shared/calendar.ts'
import type { RulePack } from '../../shared/rulepack/schema.ts'
import { type FleetPolicy, type Filing, wire } from '../../shared/wire/index.ts'
import { type Counts, countsFromTotals } from '../counting/counts.ts'
import type { CountingPlan } from '../counting/plan.ts'
import { FLEET_POLICY_TOPIC, vehicleTopic } from '../../shared/topics.ts'
import { incidentTypes, RecentIncidents, raiseIncident } from '../incidents/raise.ts'
import type { Logger } from '../log.ts'
import { type MeasureReport, requiredMeasure } from '../measure/engine.ts'
import type { FilingRow, LeaseRow, PolicyRow, Store } from '../store/types.ts'
import { type Binding, bindings } from './headroom.ts'
import { type Hold, heldCategories } from './hold.ts'
import { decideLease, type LeaseOptions, leaseWeights, SLOT_COUNTER, slotNeeds } from './leases.ts'
import { type PolicySigner, signPolicy } from './sign.ts'

/** Publishes bytes on a topic (the broker adapter). */
export type Publish = (topic: string, payload: Uint8Array, opts: { retain: boolean; qos: 0 | 1 }) => Promise<void>

/** Settings of the policy publisher. */
export interface PolicyOptions {
  lease: LeaseOptions
  /** Sums (camera km/hours) are held at this fraction of a limit without a filing. */
  sumHoldFraction: number
}

/** Dependencies of the policy publisher. */
export interface PolicyDeps {
  store: Store
  pack: RulePack
  plan: CountingPlan
  signer: PolicySigner
  ciio: boolean
  options: PolicyOptions
  publish: Publish
  log: Logger
  clock?: () => number
  /** The vehicles connected now (a gateway's enrolled ones included), re-issued when the fleet policy changes. */
  connectedVehicles?: () => readonly string[]
}

/** Result of one evaluation. */
export interface Evaluation {
  year: number
  nowMs: number
  counts: Counts
  report: MeasureReport
  holds: Hold[]
  filings: FilingRow[]
  bindings: Map<string, Binding>
  fleetPolicy: PolicyRow
  /** True when this evaluation issued a new fleet policy. */
  issued: boolean
}

/** proto Filing of a stored filing. */
export function toWireFiling(f: FilingRow): Filing {
  return {
    filingId: f.filingId,
    kind: f.kind,
    reference: f.reference,
    categories: f.categories,
    recipients: f.recipients,
    purposes: f.purposes,
    validFromMs: f.validFromMs,
    validUntilMs: f.validUntilMs,
    exemption: f.exemption,
  }
}

/** What a policy says, without version and time: equal fingerprints need no new policy. */
function fingerprint(p: Pick<FleetPolicy, 'heldCategories' | 'filings' | 'ciio' | 'rulePackVersion' | 'lease' | 'slotCategories'>): string {
  return JSON.stringify([p.heldCategories, p.filings.map((f) => [f.filingId, f.validFromMs, f.validUntilMs]), p.ciio, p.rulePackVersion, p.lease?.leaseId ?? '', p.slotCategories ?? []])
}

function decodePolicy(row: PolicyRow | undefined): FleetPolicy | undefined {
  if (!row) return undefined
  const signed = wire.SignedPolicy.decode(row.signed) as unknown as { policy: Uint8Array }
  return wire.FleetPolicy.toObject(wire.FleetPolicy.decode(signed.policy), { defaults: true, arrays: true }) as FleetPolicy
}

/** Runs tasks one at a time. */
class Serial {
  private tail: Promise<unknown> = Promise.resolve()
  run<T>(task: () => Promise<T>): Promise<T> {
    const next = this.tail.then(task, task)
    this.tail = next.catch(() => undefined)
    return next
  }
}

/** The policy publisher. Constructing it does nothing; call evaluate() to start. */
export class PolicyService {
  private readonly serial = new Serial()
  private readonly clock: () => number
  private lastEvaluation: Evaluation | undefined
  private readonly recent = new RecentIncidents()

  constructor(private readonly deps: PolicyDeps) {
    this.clock = deps.clock ?? Date.now
  }

  /** The latest evaluation, if any. */
  get latest(): Evaluation | undefined {
    return this.lastEvaluation
  }

  /** Re-evaluates counts and filings; issues and publishes a fleet policy when it changed. */
  evaluate(): Promise<Evaluation> {
    return this.serial.run(() => this.evaluateNow()).then((ev) => {
      // A new fleet policy (a filing recorded or expired, a hold started): every connected
      // vehicle gets its own policy again at once, with a lease sized under the new limits,
      // instead of at its next heartbeat.
      const ids = ev.issued ? (this.deps.connectedVehicles?.() ?? []) : []
      if (ids.length) this.vehiclePolicies(ids).catch((err: unknown) => this.deps.log.error({ err, vehicles: ids.length }, 'vehicle policies not re-issued'))
      return ev
    })
  }

  /** Re-publishes the latest fleet policy (retained), e.g. after the broker restarted. */
  async republish(): Promise<void> {
    const row = await this.deps.store.latestPolicy('')
    if (row) await this.deps.publish(FLEET_POLICY_TOPIC, row.signed, { retain: true, qos: 1 })
  }

  /**
   * The vehicle's own policy: fleet holds plus its own, the filings, and a quota lease (a fresh
   * one when the current lease expires within renewBeforeMs). Published retained on the
   * vehicle's policy topic when it differs from the last one issued, or always with
   * `republish` (a vehicle connecting to a broker that may have lost its retained messages).
   */
  vehiclePolicy(vehicleId: string, opts: { republish?: boolean } = {}): Promise<PolicyRow> {
    return this.vehiclePolicies([vehicleId], opts).then((rows) => rows[0]!)
  }

  /**
   * Policies of many vehicles at once (a gateway's vehicles when it connects, every connected
   * vehicle after the fleet policy changed): leases issued in one transaction, policies stored
   * in another, then published. Same result as one vehiclePolicy call per vehicle.
   */
  vehiclePolicies(vehicleIds: readonly string[], opts: { republish?: boolean } = {}): Promise<PolicyRow[]> {
    return this.serial.run(async () => {
      const ev = this.lastEvaluation ?? (await this.evaluateNow())
      return this.vehiclePoliciesNow(vehicleIds, ev, opts.republish ?? false)
    })
  }

  private async evaluateNow(): Promise<Evaluation> {
    const { store, pack, plan, ciio, options, log } = this.deps
    const nowMs = this.clock()
    const year = countingYear(nowMs, pack.counting.utcOffsetMinutes)
    const [totals, filings] = await Promise.all([store.totals(year), store.listFilings()])
    const counts = countsFromTotals(plan, totals)
    const report = requiredMeasure({ counts, ciio, filings, pack, nowMs })
    const holds = heldCategories(report, options.sumHoldFraction)
    const binds = bindings(report, filings)

    const previous = await store.latestPolicy('')
    const prevPolicy = decodePolicy(previous)
    const policy: FleetPolicy = {
      version: 0,
      issuedMs: nowMs,
      vehiclePseudonym: '',
      heldCategories: holds.map((h) => h.category),
      filings: filings.filter((f) => f.validUntilMs > nowMs).map(toWireFiling),
      lease: null,
      ciio,
      rulePackVersion: pack.version,
      slotCategories: slotNeeds(binds, []),
    }
    let fleetPolicy = previous
    let issued = false
    if (!previous || !prevPolicy || fingerprint(prevPolicy) !== fingerprint(policy)) {
      fleetPolicy = await store.savePolicy((version) => ({
        vehicleId: '',
        issuedMs: nowMs,
        heldCategories: policy.heldCategories,
        signed: signPolicy(this.deps.signer, { ...policy, version }),
      }))
      issued = true
      log.info({ version: fleetPolicy.version, held: policy.heldCategories }, 'fleet policy issued')
      const before = new Set(prevPolicy?.heldCategories ?? [])
      const added = holds.filter((h) => !before.has(h.category))
      if (added.length) {
        await raiseIncident(store, log, {
          type: incidentTypes.FLEET_HOLD,
          incidentId: `fleet-hold:v${fleetPolicy.version}`,
          reasonCode: 'ADX_HOLD_LIMIT_WITHOUT_FILING',
          detail: `held fleet-wide: ${added.map((h) => `${h.category} (${h.limitIds.join(', ')})`).join('; ')}`,
          categories: added.map((h) => h.category),
          nowMs,
        })
      }
    }
    await this.raiseLimitIncidents(report, year, nowMs)
    if (issued) await this.deps.publish(FLEET_POLICY_TOPIC, fleetPolicy!.signed, { retain: true, qos: 1 })
    const ev: Evaluation = { year, nowMs, counts, report, holds, filings, bindings: binds, fleetPolicy: fleetPolicy!, issued }
    this.lastEvaluation = ev
    return ev
  }

  /** A crossed limit or an alert level on a limit without a filing is an incident (once per year and level). */
  private async raiseLimitIncidents(report: MeasureReport, year: number, nowMs: number): Promise<void> {
    for (const l of report.limits) {
      if (l.covered) continue
      if (l.fired) {
        await this.raise({
          type: incidentTypes.LIMIT_CROSSED,
          incidentId: `limit-crossed:${year}:${l.id}`,
          reasonCode: 'ADX_LIMIT_CROSSED_WITHOUT_FILING',
          detail: `${l.id}: ${l.counter}${l.category ? `[${l.category}]` : ''} = ${l.count} ${l.comparison} ${l.value} without a ${l.requires} filing for ${l.uncoveredCategories.join(', ')}`,
          categories: l.uncoveredCategories,
          nowMs,
        })
      } else if (l.alertLevel !== null && l.count > 0) {
        await this.raise({
          type: incidentTypes.LIMIT_ALERT,
          incidentId: `limit-alert:${year}:${l.id}:${l.alertLevel}`,
          reasonCode: 'ADX_LIMIT_ALERT',
          detail: `${l.id}: ${l.counter}${l.category ? `[${l.category}]` : ''} = ${l.count}, ${Math.round(l.alertLevel * 100)} % of ${l.value}, no ${l.requires} filing`,
          categories: l.uncoveredCategories,
          nowMs,
        })
      }
    }
  }

  private raise(i: Parameters<typeof raiseIncident>[2]): Promise<boolean> {
    return raiseIncident(this.deps.store, this.deps.log, i, this.recent)
  }

  private async vehiclePoliciesNow(vehicleIds: readonly string[], ev: Evaluation, republish: boolean): Promise<PolicyRow[]> {
    const { store, pack, plan, ciio, options } = this.deps
    const nowMs = this.clock()
    const year = countingYear(nowMs, pack.counting.utcOffsetMinutes)
    const ids = [...new Set(vehicleIds)]
    // A lease sized before the latest filing was recorded may be needlessly small (a limit the
    // filing lifts bound it): such a vehicle gets a fresh lease; the old one stays outstanding
    // (counted against the headroom) until it expires, so the sum of leases stays safe.
    const filingsChangedMs = ev.filings.reduce((m, f) => Math.max(m, f.createdMs), 0)
    const usable = (l: LeaseRow) => l.year === year && l.expiresMs > nowMs + options.lease.renewBeforeMs && l.issuedMs >= filingsChangedMs
    const current = new Map<string, LeaseRow>()
    const outstanding = ids.length <= 16 ? (await Promise.all(ids.map((id) => store.outstandingLeases(nowMs, id)))).flat() : await store.outstandingLeases(nowMs)
    const wanted = new Set(ids)
    for (const l of outstanding) {
      if (!wanted.has(l.vehicleId) || !usable(l)) continue
      const c = current.get(l.vehicleId)
      if (!c || l.issuedMs > c.issuedMs) current.set(l.vehicleId, l)
    }
    let binds = ev.bindings
    const need = ids.filter((id) => !current.has(id))
    if (need.length) {
      const filings = ev.filings
      const weights = leaseWeights(pack)
      let fresh: Map<string, Binding> | undefined
      const grants = await store.issueLeases({ vehicleIds: need, year, nowMs, slotCounter: SLOT_COUNTER, weights }, (vehicleId, snapshot) => {
        // the counts are the same for the whole batch: the measure is worked out once
        fresh ??= bindings(requiredMeasure({ counts: countsFromTotals(plan, snapshot.totals), ciio, filings, pack, nowMs }), filings)
        binds = fresh
        return decideLease({
          vehicleId,
          leaseId: `lease-${randomUUID()}`,
          year,
          nowMs,
          yearEndMs: yearWindow(year, pack.counting.utcOffsetMinutes).endMs,
          snapshot,
          bindings: fresh,
          weights,
          options: options.lease,
        })
      })
      need.forEach((id, i) => {
        const g = grants[i]
        if (g) current.set(id, g.lease)
      })
    }
    const rows: PolicyRow[] = new Array(ids.length)
    const toSave: { index: number; vehicleId: string; policy: FleetPolicy; held: string[] }[] = []
    const unchanged: PolicyRow[] = []
    const inputs = await store.policyInputs(ids, year, SLOT_COUNTER)
    for (const [index, vehicleId] of ids.entries()) {
      const lease = current.get(vehicleId)
      const counted = inputs.get(vehicleId)?.categories ?? []
      const needs = slotNeeds(binds, counted)
      const granted = new Set(lease?.vehicleCategories ?? [])
      const ownHolds = needs.filter((c) => !granted.has(c))
      const held = [...new Set([...ev.holds.map((h) => h.category), ...ownHolds])].sort()
      const policy: FleetPolicy = {
        version: 0,
        issuedMs: nowMs,
        vehiclePseudonym: vehicleId,
        heldCategories: held,
        filings: ev.filings.filter((f) => f.validUntilMs > nowMs).map(toWireFiling),
        lease: lease
          ? {
              leaseId: lease.leaseId,
              newPersons: lease.newPersons,
              newSensitivePersons: lease.newSensitivePersons,
              newVehicleAllowed: ownHolds.length === 0,
              expiresMs: lease.expiresMs,
              vehicleCategories: needs.filter((c) => granted.has(c)),
            }
          : null,
        ciio,
        rulePackVersion: pack.version,
        slotCategories: slotNeeds(binds, []),
      }
      const previous = inputs.get(vehicleId)?.latest
      const prevPolicy = decodePolicy(previous)
      if (previous && prevPolicy && fingerprint(prevPolicy) === fingerprint(policy)) {
        rows[index] = previous
        if (republish) unchanged.push(previous)
        continue
      }
      toSave.push({ index, vehicleId, policy, held })
    }
    const saved = await store.savePolicies(
      toSave.map((t) => (version: number) => ({ vehicleId: t.vehicleId, issuedMs: nowMs, heldCategories: t.held, signed: signPolicy(this.deps.signer, { ...t.policy, version }) })),
    )
    saved.forEach((row, i) => {
      rows[toSave[i]!.index] = row
    })
    for (const row of [...unchanged, ...saved]) await this.deps.publish(vehicleTopic(row.vehicleId, 'policy'), row.signed, { retain: true, qos: 1 })
    return rows
  }
}
