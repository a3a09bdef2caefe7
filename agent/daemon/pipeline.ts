/**
 * The pipeline extension: takes payloads that ingress made durable (INGRESS_QUEUE), inspects
 * each against the effective policy, and turns the verdict into durable outbox work:
 *
 * - send: the sanitised output (for abroad: only what `inspect` produced for abroad, never the
 *   original) is queued for its destination under the payload id; an ExportRecord (metadata
 *   only) is queued for the backend under a stable record id; new subjects are drawn from the
 *   lease and remembered as known.
 * - hold: the raw payload stays in INGRESS_QUEUE, held with the verdict's reason code, and is
 *   re-inspected when the policy changes (policy holds only; fail-closed holds stay).
 * - stripped control instructions / key material, unknown destinations, fail-closed holds:
 *   an Incident is queued for the backend.
 *
 * The ingress item is acked only after everything it produced is committed, and every write is
 * idempotent on a stable id, so a crash at any point replays without duplicates.
 */
import { createHash } from 'node:crypto'
import type { Logger } from 'pino'
import { wire, type ExportRecord } from '../../shared/wire/index.ts'
import { payloadKindOf, type Inspector } from '../inspect/inspector.ts'
import { failClosedReasons, type HoldReason } from '../inspect/reasons.ts'
import type { Verdict } from '../inspect/verdict.ts'
import type { EnqueueItem, Outbox, OutboxItem } from '../outbox/index.ts'
import type { AuditLog } from './audit-log.ts'
import type { DestinationConfig } from './config.ts'
import type { EventBus } from './event-bus.ts'
import { incidentItem, type IncidentInput } from './incidents.ts'
import type { PolicyKeeper } from './policy-keeper.ts'
import { HOLD_UNKNOWN_DESTINATION, HOLD_UNKNOWN_VEHICLE, INGRESS_QUEUE, type IngressMeta, PRIORITY, RECORDS_QUEUE } from './queues.ts'
import type { AgentState } from './state.ts'

/** What the pipeline needs. */
export interface PipelineDeps {
  outbox: Outbox
  state: AgentState
  keeper: PolicyKeeper
  inspector: Inspector
  destinations: readonly DestinationConfig[]
  /** The provisioned vehicle id (= the vehicle pseudonym the backend knows it by); a gateway's own id. */
  vehicleId: string
  /** On a gateway: the keeper of each vehicle it serves (payloads name their vehicle). */
  keeperOf?: (vehicleId: string) => PolicyKeeper | undefined
  bus: EventBus
  audit: AuditLog
  log: Logger
  now?: () => number
  /** Payloads per batch (one group commit). Default 128. */
  batchSize?: number
  /**
   * When fewer than batchSize payloads wait, wait this long (ms) for more before inspecting them.
   * Default 10. Each batch costs an outbox commit, a state flush and an audit-log fsync whatever
   * its size: a pipeline that takes payloads one by one as they arrive spends more per payload
   * than the ingress it competes with. 0 = take what is there.
   */
  collectMs?: number
}

/** Stable id of the export record of (vehicle, destination, payload). */
/**
 * The payload id as reported to the backend and the local audit log, which never carry raw
 * identifiers: the sanitised id when the payload went abroad through inspect (identifiers in it
 * pseudonymised, as the recipient saw it), else a digest of the app's id.
 */
export function reportedPayloadId(rawId: string, sanitised?: string): string {
  return sanitised || `sha256:${createHash('sha256').update(rawId).digest('hex').slice(0, 24)}`
}

export function recordIdOf(vehicleId: string, destination: string, payloadId: string): string {
  return `rec-${createHash('sha256').update(`${vehicleId}\u0000${destination}\u0000${payloadId}`).digest('hex').slice(0, 32)}`
}

/** The ExportRecord of a sent verdict: metadata only, never the data. */
export function exportRecordOf(v: Verdict, o: { recordId: string; vehicleId: string; nowMs: number; leaseId: string }): ExportRecord {
  const rec: ExportRecord = {
    recordId: o.recordId,
    payloadId: v.payloadId,
    vehiclePseudonym: o.vehicleId,
    exportedMs: o.nowMs,
    destination: v.destination.name,
    recipient: v.destination.recipient,
    purpose: v.purpose,
    kind: payloadKindOf(v.kind),
    categories: v.categories.map((c) => c.id),
    ruleIds: v.rules.map((r) => r.id),
    subjects: v.subjects.map((s) => ({ pseudonym: s.pseudonym, kind: s.kind, sensitive: s.sensitive, charging: s.charging })),
    originalBytes: v.sizes.originalBytes,
    exportedBytes: v.sizes.exportedBytes,
    strippedItems: v.stripped.length,
    cameraKm: v.camera.km,
    cameraHours: v.camera.hours,
    rulePackVersion: v.rulePackVersion,
    policyVersion: v.policyVersion,
    leaseId: o.leaseId,
  } as ExportRecord
  if (v.exemption) rec.exemption = { exemption: Number(v.exemption.id.slice(1)) || 0, reference: v.exemption.reference, purpose: v.exemption.purpose }
  return rec
}

const strippedIncident = { 'key-material': 'ADX_INC_KEY_MATERIAL_AT_EGRESS', 'control-instruction': 'ADX_INC_CONTROL_AT_EGRESS' } as const

/** The pipeline extension. The constructor does nothing; start() runs the loop. */
export class Pipeline {
  readonly name = 'pipeline'
  private running = false
  private loopDone: Promise<void> = Promise.resolve()
  private wakeUp: (() => void) | undefined
  private readonly dests: Map<string, DestinationConfig>
  private readonly now: () => number
  /** Payloads processed since start (send + hold), for tests and metrics. */
  processed = 0

  constructor(private readonly deps: PipelineDeps) {
    this.dests = new Map(deps.destinations.map((d) => [d.name, d]))
    this.now = deps.now ?? Date.now
  }

  /** Start: release holds that configuration now resolves, then run the loop. */
  async start(): Promise<void> {
    this.running = true
    this.deps.bus.on('accepted', this.name, () => this.wake())
    // A gateway receives thousands of policies at once: one re-inspection per burst, not per
    // policy, and of the payloads of the vehicles whose policy changed (all after a fleet policy).
    let reinspect: NodeJS.Timeout | undefined
    let changed: Set<string> | 'all' = new Set()
    this.deps.bus.on('policyChanged', this.name, ({ vehicleId }) => {
      if (vehicleId === undefined) changed = 'all'
      else if (changed !== 'all') changed.add(vehicleId)
      reinspect ??= setTimeout(() => {
        reinspect = undefined
        const scope = changed
        changed = new Set()
        if (this.running) void this.reinspectHeld(scope === 'all' ? undefined : scope).catch((e: unknown) => this.deps.log.warn({ err: e }, 're-inspection of held payloads failed'))
      }, 50)
    })
    const unknownNowKnown = this.deps.outbox
      .listHeld(INGRESS_QUEUE)
      .filter((h) => h.reasonCode === HOLD_UNKNOWN_DESTINATION && this.dests.has(parseMeta(h.meta).dest))
      .map((h) => h.id)
    if (unknownNowKnown.length) await this.deps.outbox.release(unknownNowKnown, { destination: INGRESS_QUEUE })
    this.loopDone = this.loop()
  }

  /** Stop after the batch in progress; leaves unprocessed items in the outbox. */
  async stop(): Promise<void> {
    this.running = false
    this.deps.bus.removeOwner(this.name)
    this.wake()
    await this.loopDone
  }

  /** Wake the loop (new payloads). */
  wake(): void {
    const w = this.wakeUp
    this.wakeUp = undefined
    w?.()
  }

  /**
   * Release payloads held by policy so that they are inspected again under the new policy: those
   * of the `vehicles` given (a payload without a vehicle is this agent's own), or all of them.
   */
  async reinspectHeld(vehicles?: ReadonlySet<string>): Promise<number> {
    const ids = this.deps.outbox
      .listHeld(INGRESS_QUEUE)
      .filter((h) => h.reasonCode !== HOLD_UNKNOWN_DESTINATION && !failClosedReasons.has(h.reasonCode as HoldReason))
      .filter((h) => !vehicles || vehicles.has(parseMeta(h.meta).veh ?? this.deps.vehicleId))
      .map((h) => h.id)
    if (ids.length === 0) return 0
    await this.deps.outbox.release(ids, { destination: INGRESS_QUEUE })
    this.deps.audit.append({ event: 'released', detail: `${ids.length} held payloads re-inspected after a policy change`, policyVersion: this.deps.keeper.version })
    this.deps.log.info({ count: ids.length }, 'held payloads released for re-inspection')
    this.wake()
    return ids.length
  }

  private async loop(): Promise<void> {
    const batchSize = this.deps.batchSize ?? 128
    const collectMs = this.deps.collectMs ?? 10
    while (this.running) {
      let items = this.deps.outbox.peek(INGRESS_QUEUE, batchSize)
      if (items.length > 0 && items.length < batchSize && collectMs > 0) {
        await new Promise((r) => setTimeout(r, collectMs))
        if (!this.running) break
        items = this.deps.outbox.peek(INGRESS_QUEUE, batchSize)
      }
      if (items.length === 0) {
        await new Promise<void>((resolve) => {
          this.wakeUp = resolve
          setTimeout(resolve, 1000).unref()
        })
        continue
      }
      try {
        const progressed = await this.processBatch(items)
        if (!progressed) await new Promise((r) => setTimeout(r, 1000).unref())
      } catch (e) {
        this.deps.log.error({ err: e }, 'pipeline batch failed; retrying')
        await new Promise((r) => setTimeout(r, 1000).unref())
      }
    }
  }

  /**
   * Inspect and commit one batch. The batch's subjects and lease use are flushed to the state
   * file first; then each payload's products and its ack (or hold) go in one outbox
   * transaction (`outbox.settle`), all payloads of the batch in one group commit: one outbox
   * fsync per batch. Returns false when nothing could be completed (e.g. outbox full).
   */
  async processBatch(items: OutboxItem[]): Promise<boolean> {
    const { outbox, audit, log, bus } = this.deps
    const work: { id: string; produce: EnqueueItem[]; hold?: string }[] = []
    const touched = new Set<string>()
    for (const item of items) {
      const produce: EnqueueItem[] = []
      const hold = this.processOne(item, produce, touched)
      work.push(hold ? { id: item.id, produce, hold } : { id: item.id, produce })
    }
    // Subjects and lease use of the batch become durable before its payloads are acknowledged.
    this.deps.state.flush()
    const results = await Promise.allSettled(work.map((w) => outbox.settle({ destination: INGRESS_QUEUE, ...w })))
    let settled = 0
    let held = 0
    let stuck = 0
    let firstError: unknown
    results.forEach((r, i) => {
      if (r.status === 'fulfilled' && r.value.settled) {
        settled++
        if (work[i]!.hold) held++
      } else {
        stuck++
        firstError ??= r.status === 'rejected' ? r.reason : r.value.settled ? undefined : r.value.error
      }
    })
    // One line per batch, not per payload: a full outbox would otherwise flood the log.
    if (stuck) log.warn({ err: firstError, count: stuck }, 'could not queue what payloads produced (e.g. outbox full); they stay in ingress and are retried')
    audit.sync()
    this.processed += settled
    for (const d of touched) bus.emit('enqueued', { destination: d })
    return settled > 0 || held > 0
  }

  /** Decide one payload; pushes the items it produces into `produce`; returns the hold code when held. */
  private processOne(item: OutboxItem, produce: EnqueueItem[], touched: Set<string>): string | undefined {
    const { inspector, audit, state } = this.deps
    const meta = parseMeta(item.meta)
    const nowMs = this.now()
    // On a gateway each payload belongs to one of its vehicles, with that vehicle's policy and lease.
    const vehicleId = meta.veh ?? this.deps.vehicleId
    const keeper = meta.veh === undefined ? this.deps.keeper : this.deps.keeperOf?.(meta.veh)
    const incident = (i: Omit<IncidentInput, 'vehiclePseudonym' | 'detectedMs'>) => {
      produce.push(incidentItem({ ...i, vehiclePseudonym: vehicleId, detectedMs: nowMs }))
      touched.add('@incidents')
    }
    const dest = this.dests.get(meta.dest)
    if (!dest) {
      incident({ type: 'ADX_INC_UNKNOWN_DESTINATION', key: item.id, payloadId: reportedPayloadId(meta.pid), reasonCode: HOLD_UNKNOWN_DESTINATION, detail: `destination "${meta.dest.slice(0, 64)}" is not configured` })
      audit.append({ event: 'hold', payloadId: reportedPayloadId(meta.pid), destination: meta.dest.slice(0, 64), codes: [HOLD_UNKNOWN_DESTINATION] })
      return HOLD_UNKNOWN_DESTINATION
    }
    if (!keeper) {
      incident({ type: 'ADX_INC_UNKNOWN_DESTINATION', key: item.id, payloadId: reportedPayloadId(meta.pid), reasonCode: HOLD_UNKNOWN_VEHICLE, detail: `vehicle "${vehicleId.slice(0, 64)}" is not served by this gateway` })
      audit.append({ event: 'hold', payloadId: reportedPayloadId(meta.pid), destination: dest.name, codes: [HOLD_UNKNOWN_VEHICLE] })
      return HOLD_UNKNOWN_VEHICLE
    }
    const input = meta.ct === 'json' ? Buffer.from(item.body).toString('utf8') : item.body
    const policy = keeper.effective(nowMs)
    const v = inspector.inspect(input, { name: dest.name, region: dest.region, recipient: dest.recipient, purposes: dest.purposes }, policy)
    const pid = reportedPayloadId(meta.pid, dest.region === 'abroad' ? v.payloadId : undefined)
    for (const reason of ['key-material', 'control-instruction'] as const) {
      const items = v.stripped.filter((s) => s.reason === reason)
      if (items.length === 0) continue
      incident({
        type: strippedIncident[reason],
        key: item.id,
        payloadId: pid,
        count: items.length,
        detail: `${items.length} item(s) removed before ${dest.region} destination ${dest.name}: ${[...new Set(items.map((s) => `${s.kind}${s.encoding ? `/${s.encoding}` : ''}`))].join(', ')}`,
        categories: v.categories.map((c) => c.id),
        ...(dest.region === 'abroad' ? { recipients: [dest.recipient] } : {}),
        subjectPseudonyms: v.subjects.map((s) => s.pseudonym),
      })
    }
    const summary = {
      payloadId: pid,
      destination: dest.name,
      vehiclePseudonym: v.vehiclePseudonym,
      rules: v.rules.map((r) => r.id),
      categories: v.categories.map((c) => c.id),
      subjects: v.subjects.map((s) => s.pseudonym),
      stripped: v.stripped.length,
      policyVersion: v.policyVersion,
      leaseId: policy.leaseId,
    }
    if (v.decision === 'hold' || !v.output) {
      const code = v.reasons[0]?.code ?? 'ADX_HOLD_INTERNAL'
      if (failClosedReasons.has(code)) incident({ type: 'ADX_INC_FAIL_CLOSED', key: item.id, payloadId: pid, reasonCode: code, detail: v.reasons[0]?.message.slice(0, 200) ?? code })
      const filingHold = v.reasons.find((r) => r.code === 'ADX_HOLD_NEEDS_FILING' || r.code === 'ADX_HOLD_EXEMPTION_UNSUPPORTED')
      if (filingHold && dest.region === 'abroad') {
        // One incident per vehicle, rules and China-time day: visible without flooding the log.
        const rules = [...(filingHold.ruleIds ?? [])].sort().join(',')
        const day = Math.floor((nowMs + 8 * 3_600_000) / 86_400_000)
        incident({
          type: 'ADX_INC_IMPORTANT_DATA_HELD',
          key: `${vehicleId}:${dest.name}:${rules}:${day}`,
          payloadId: pid,
          reasonCode: filingHold.code,
          detail: `held for lack of a filing or reference in force covering ${rules || 'the claim'} for ${dest.recipient}`,
          categories: v.categories.map((c) => c.id),
          recipients: [dest.recipient],
          subjectPseudonyms: v.subjects.map((s) => s.pseudonym),
        })
      }
      audit.append({ event: 'hold', ...summary, codes: v.reasons.map((r) => r.code) })
      return code
    }
    const abroad = dest.region === 'abroad'
    if (abroad) state.recordExported(v.subjects.filter((s) => s.new).map((s) => ({ pseudonym: s.pseudonym, sensitive: s.sensitive })), policy.leaseId || undefined)
    const recordId = recordIdOf(vehicleId, dest.name, meta.pid)
    // Abroad, the id the receiver sees is the sanitised payload's (identifiers in it pseudonymised).
    // On a gateway the vehicle prefixes the delivery id: two vehicles may use the same payload id.
    const deliveryId = (abroad && v.payloadId) || meta.pid
    produce.push({ id: meta.veh === undefined ? deliveryId : `${meta.veh}|${deliveryId}`, destination: dest.name, priority: PRIORITY.payload, body: v.output, meta: JSON.stringify({ recordId }) })
    touched.add(dest.name)
    if (abroad) {
      const rec = exportRecordOf(v, { recordId, vehicleId, nowMs, leaseId: policy.leaseId })
      produce.push({ id: recordId, destination: RECORDS_QUEUE, priority: PRIORITY.uplink, body: wire.ExportRecord.encode(wire.ExportRecord.fromObject(rec)).finish() })
      touched.add(RECORDS_QUEUE)
    }
    audit.append({ event: 'send', ...summary, ...(abroad ? { recordId } : {}), bytes: v.sizes.exportedBytes, codes: [] })
    return undefined
  }
}

/** Parse an ingress item's meta (defensive: a bad meta means "unknown destination"). */
export function parseMeta(meta: string | null): IngressMeta {
  try {
    const m = JSON.parse(meta ?? '{}') as Partial<IngressMeta>
    const out: IngressMeta = { ct: m.ct === 'json' ? 'json' : 'pb', dest: String(m.dest ?? ''), pid: String(m.pid ?? ''), rx: Number(m.rx ?? 0) }
    if (typeof m.veh === 'string') out.veh = m.veh
    return out
  } catch {
    return { ct: 'pb', dest: '', pid: '', rx: 0 }
  }
}
