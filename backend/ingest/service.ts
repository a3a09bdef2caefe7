/**
 * Ingest: vehicle uplinks in, durable counts and acknowledgements out.
 *
 *   records    → decode → validate → count → group commit → Ack (ids) → re-evaluate the measure
 *   incidents  → decode → validate → store → Ack (id)
 *   heartbeats → last seen, lease renewal (the vehicle's own policy)
 *
 * A message that is oversized, undecodable or invalid is counted, logged and recorded as an
 * incident, and goes no further; it never throws out of here and never holds up other vehicles.
 * Only what is durably stored is acknowledged: a record the backend did not take stays with the
 * agent, which sends it again.
 */
import { createHash } from 'node:crypto'
import type { AdxError } from '../../shared/errors.ts'
import { type ExportRecord, wire } from '../../shared/wire/index.ts'
import { parseVehicleTopic, uplinkFilter, vehicleTopic } from '../../shared/topics.ts'
import type { Bus } from '../broker/types.ts'
import { countRecord } from '../counting/count-record.ts'
import type { CountingPlan } from '../counting/plan.ts'
import { incidentTypes, RecentIncidents, raiseIncident } from '../incidents/raise.ts'
import type { Logger } from '../log.ts'
import type { Metrics } from '../metrics.ts'
import { type BatchWriter, storeBatchWriter } from '../store/ingest-writer.ts'
import type { IngestOutcome, IngestRecord, Store, VehicleRow } from '../store/types.ts'
import { type GroupCommitOptions, GroupCommitQueue } from './queue.ts'
import { checkRecord, decodeHeartbeat, decodeIncident, decodeRecordBatch, type IngestLimits } from './validate.ts'

/** Dependencies of the ingest service. */
export interface IngestDeps {
  bus: Bus
  store: Store
  /**
   * Where group commits go (default: `store.ingest`). The backend passes an IngestWorker: the
   * same transaction on the same file, run in a worker thread so the broker is not stalled by it.
   */
  writer?: BatchWriter
  plan: CountingPlan
  limits: IngestLimits
  batching: GroupCommitOptions
  log: Logger
  metrics: Metrics
  /** Called after a commit that inserted records (re-evaluate the measure). */
  onCounted: () => void
  /** Called on a heartbeat (renew the vehicle's lease). */
  /** A vehicle's heartbeat: how many payloads it holds (for the offline-with-held-data watch). */
  onHeartbeat: (vehicleId: string, heartbeat: { heldPayloads: number }) => void
  clock?: () => number
}

/** How long a vehicle's provisioning status is trusted before it is read again. */
const VEHICLE_CACHE_MS = 10_000

/** The ingest service. Constructing it does nothing; start() subscribes. */
export class IngestService {
  private readonly queue: GroupCommitQueue
  private readonly clock: () => number
  private readonly inflight = new Set<Promise<unknown>>()
  private readonly vehicles = new Map<string, { active: boolean; atMs: number }>()
  /** The store read that the vehicle lookups of this turn wait for. */
  private lookup: { ids: Set<string>; rows: Promise<Map<string, VehicleRow>> } | undefined
  private seen = new Set<string>()
  private readonly recent = new RecentIncidents()
  private touchTimer: NodeJS.Timeout | undefined
  /** Once stopping, new messages are left unacknowledged (their agents send them again). */
  private stopping = false

  constructor(private readonly deps: IngestDeps) {
    this.clock = deps.clock ?? Date.now
    const writer = deps.writer ?? storeBatchWriter(deps.store)
    this.queue = new GroupCommitQueue((batch) => writer.ingestBatch(batch, this.clock()), deps.batching, ({ records, seconds }) => {
      deps.metrics.commitRecords.observe(records)
      deps.metrics.commitSeconds.observe(seconds)
    })
  }

  /** Subscribes to the vehicle uplinks. */
  async start(): Promise<void> {
    const { bus } = this.deps
    await bus.subscribe(uplinkFilter('records'), (topic, payload) => this.track(() => this.onRecords(topic, payload)))
    await bus.subscribe(uplinkFilter('incidents'), (topic, payload) => {
      this.track(() => this.onIncident(topic, payload))
    })
    await bus.subscribe(uplinkFilter('heartbeats'), (topic, payload) => {
      this.track(() => this.onHeartbeat(topic, payload))
    })
    this.touchTimer = setInterval(() => this.track(() => this.flushSeen()), 5_000)
    this.touchTimer.unref()
  }

  /** Forgets what it knows about a vehicle's status (after provisioning or revocation). */
  forgetVehicle(vehicleId: string): void {
    this.vehicles.delete(vehicleId)
  }

  /** Commits what is queued, waits for acknowledgements in flight, stops taking messages. */
  async stop(): Promise<void> {
    this.stopping = true
    if (this.touchTimer) clearInterval(this.touchTimer)
    await this.queue.drain()
    while (this.inflight.size) await Promise.allSettled([...this.inflight])
    await this.flushSeen()
  }

  /** Records waiting for a transaction. */
  get queueDepth(): number {
    return this.queue.depth
  }

  /**
   * Ingests records as if they had arrived from a vehicle (also used for API reads by overseas
   * accounts, which count as exports). Resolves with one outcome per record. The records are
   * encoded into the group commit's batch at once: only their bytes wait for the commit.
   */
  ingestRecords(vehicleId: string, records: readonly ExportRecord[]): Promise<IngestOutcome[]> {
    let committed: Promise<IngestOutcome[]>
    try {
      committed = this.queue.submit(this.encode(vehicleId, records))
    } catch (e) {
      return Promise.reject(e)
    }
    // Nothing of `records` is referenced while the commit is awaited (so none of it is promoted).
    return this.counted(committed)
  }

  /** The records counted, as the group commit takes them (it encodes them at once). */
  private encode(vehicleId: string, records: readonly ExportRecord[]): IngestRecord[] {
    return records.map((r) => {
      const c = countRecord(this.deps.plan, r)
      return {
        vehicleId,
        recordId: r.recordId,
        year: c.year,
        exportedMs: r.exportedMs,
        recipient: r.recipient,
        leaseId: r.leaseId,
        body: wire.ExportRecord.encode(wire.ExportRecord.fromObject(r)).finish(),
        members: c.members,
        sums: c.sums,
      }
    })
  }

  private async counted(committed: Promise<IngestOutcome[]>): Promise<IngestOutcome[]> {
    const outcomes = await committed
    let inserted = 0
    for (const o of outcomes) if (o === 'inserted') inserted++
    if (inserted) this.deps.metrics.records.inc({ result: 'inserted' }, inserted)
    if (outcomes.length > inserted) this.deps.metrics.records.inc({ result: 'duplicate' }, outcomes.length - inserted)
    if (inserted) this.deps.onCounted()
    return outcomes
  }

  /** Keeps a handler's promise for stop(), returns the queue's backpressure. */
  private track(task: () => Promise<unknown>): Promise<void> | undefined {
    if (this.stopping) return undefined
    const p = task()
    this.inflight.add(p)
    p.finally(() => this.inflight.delete(p)).catch(() => undefined)
    return this.queue.waitForRoom()
  }

  private async isActive(vehicleId: string): Promise<boolean> {
    const now = this.clock()
    const c = this.vehicles.get(vehicleId)
    if (c && now - c.atMs < VEHICLE_CACHE_MS) return c.active
    // Lookups of one event-loop turn share one store read (a gateway's messages name thousands
    // of vehicles; one read each cost a file lock and unlock apiece).
    let lookup = this.lookup
    if (!lookup) {
      const ids = new Set<string>()
      const rows = new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
        this.lookup = undefined
        return this.deps.store.getVehicles([...ids])
      })
      lookup = this.lookup = { ids, rows }
    }
    lookup.ids.add(vehicleId)
    const row = (await lookup.rows).get(vehicleId)
    const active = row?.status === 'active'
    this.vehicles.set(vehicleId, { active, atMs: now })
    return active
  }

  /** Common prelude: the topic names a provisioned, active vehicle. */
  private async vehicleOf(topic: string, kind: string): Promise<string | undefined> {
    const t = parseVehicleTopic(topic)
    if (!t || !(await this.isActive(t.vehicleId))) {
      this.deps.metrics.messages.inc({ kind, result: 'unknown-vehicle' })
      this.deps.log.warn({ security: true, code: 'ADX_ERR_BROKER_ACL', topic }, 'message from an unknown or revoked vehicle dropped')
      return undefined
    }
    this.seen.add(t.vehicleId)
    return t.vehicleId
  }

  private async reject(kind: string, vehicleId: string, error: AdxError, incidentKey: string): Promise<void> {
    const result = error.code === 'ADX_ERR_INGEST_OVERSIZED' ? 'oversized' : error.code === 'ADX_ERR_INGEST_MALFORMED' ? 'malformed' : 'invalid'
    this.deps.metrics.messages.inc({ kind, result })
    this.deps.log.warn({ code: error.code, vehicleId, kind, err: error.message }, `${kind} rejected: ${error.message}`)
    await raiseIncident(this.deps.store, this.deps.log, {
      type: incidentTypes.INGEST_REJECTED,
      incidentId: `ingest:${vehicleId}:${incidentKey}`,
      reasonCode: error.code,
      detail: error.message,
      vehicleId,
      nowMs: this.clock(),
    }, this.recent).catch((err: unknown) => this.deps.log.error({ err }, 'could not record the ingest incident'))
  }

  private async onRecords(topic: string, payload: Buffer): Promise<void> {
    try {
      const vehicleId = await this.vehicleOf(topic, 'records')
      if (!vehicleId) return
      const decoded = decodeRecordBatch(payload, this.deps.limits)
      if (!decoded.ok) {
        const digest = createHash('sha256').update(payload).digest('hex').slice(0, 16)
        return await this.reject('records', vehicleId, decoded.error, `message:${digest}`)
      }
      const now = this.clock()
      const good: ExportRecord[] = []
      for (const r of decoded.value) {
        const checked = checkRecord(r, vehicleId, now, this.deps.limits)
        if (checked.ok) good.push(checked.value)
        else {
          this.deps.metrics.records.inc({ result: 'rejected' })
          await this.reject('records', vehicleId, checked.error, `record:${r.recordId.slice(0, 256)}`)
        }
      }
      this.deps.metrics.messages.inc({ kind: 'records', result: good.length === decoded.value.length ? 'ok' : 'partial' })
      if (good.length === 0) return
      // Only the ids wait for the commit (for the Ack); the records themselves can go.
      const ids = good.map((r) => r.recordId)
      const counted = this.ingestRecords(vehicleId, good)
      good.length = 0
      decoded.value.length = 0
      await counted
      await this.ack(vehicleId, ids)
    } catch (err) {
      // Store unavailable or the like: nothing acknowledged, the agent will send again.
      this.deps.metrics.messages.inc({ kind: 'records', result: 'error' })
      this.deps.log.error({ err, topic }, 'records not ingested')
    }
  }

  private async onIncident(topic: string, payload: Buffer): Promise<void> {
    try {
      const vehicleId = await this.vehicleOf(topic, 'incidents')
      if (!vehicleId) return
      const decoded = decodeIncident(payload, vehicleId, this.deps.limits)
      if (!decoded.ok) {
        const digest = createHash('sha256').update(payload).digest('hex').slice(0, 16)
        return await this.reject('incidents', vehicleId, decoded.error, `incident:${digest}`)
      }
      const i = decoded.value
      await this.deps.store.addIncident({
        vehicleId,
        incidentId: i.incidentId,
        type: i.type,
        detectedMs: i.detectedMs,
        receivedMs: this.clock(),
        payloadId: i.payloadId,
        reasonCode: i.reasonCode,
        detail: i.detail,
        categories: i.categories.slice(0, 64),
        count: i.count,
        recipients: (i.recipients ?? []).slice(0, 64),
        subjects: (i.subjectPseudonyms ?? []).slice(0, 1024),
      })
      this.deps.metrics.messages.inc({ kind: 'incidents', result: 'ok' })
      this.deps.log.warn({ vehicleId, incident: i.type, reason: i.reasonCode }, `vehicle incident ${i.type}`)
      await this.ack(vehicleId, [i.incidentId])
    } catch (err) {
      this.deps.metrics.messages.inc({ kind: 'incidents', result: 'error' })
      this.deps.log.error({ err, topic }, 'incident not stored')
    }
  }

  private async onHeartbeat(topic: string, payload: Buffer): Promise<void> {
    try {
      const vehicleId = await this.vehicleOf(topic, 'heartbeats')
      if (!vehicleId) return
      const decoded = decodeHeartbeat(payload, vehicleId, this.deps.limits)
      if (!decoded.ok) return await this.reject('heartbeats', vehicleId, decoded.error, 'heartbeat')
      this.deps.metrics.messages.inc({ kind: 'heartbeats', result: 'ok' })
      this.deps.onHeartbeat(vehicleId, { heldPayloads: decoded.value.heldPayloads })
    } catch (err) {
      this.deps.log.error({ err, topic }, 'heartbeat not handled')
    }
  }

  private async ack(vehicleId: string, ids: string[]): Promise<void> {
    if (ids.length === 0) return
    const payload = wire.Ack.encode(wire.Ack.fromObject({ ids })).finish()
    try {
      await this.deps.bus.publish(vehicleTopic(vehicleId, 'ack'), payload, { qos: 1, retain: false })
    } catch (err) {
      this.deps.log.warn({ err, vehicleId }, 'ack not published; the agent will send again and get a duplicate ack')
    }
  }

  private async flushSeen(): Promise<void> {
    if (this.seen.size === 0) return
    const ids = [...this.seen]
    this.seen = new Set()
    await this.deps.store.touchVehicles(ids, this.clock()).catch((err: unknown) => this.deps.log.warn({ err }, 'last-seen not updated'))
  }
}
