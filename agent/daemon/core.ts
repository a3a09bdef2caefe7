/**
 * The daemon's shared resources, opened once and closed last: outbox, state, policy keeper,
 * inspector, audit log, event bus and the ingress acceptor. It also turns the outbox's refusals
 * (when full) into an agent incident for the backend; evictions are published by the uplink
 * from the outbox's own incident table (see evictionIncident).
 */
import { mkdirSync } from 'node:fs'
import type { Logger } from 'pino'
import type { Inspector } from '../inspect/inspector.ts'
import { loadInspector } from '../load-inspector.ts'
import { openOutbox, type Outbox, type OutboxEvictedIncident, type OutboxIncident } from '../outbox/index.ts'
import type { Incident } from '../../shared/wire/index.ts'
import { AuditLog } from './audit-log.ts'
import type { AgentConfig } from './config.ts'
import { EventBus } from './event-bus.ts'
import { queueIncident } from './incidents.ts'
import { INCIDENTS_QUEUE } from './queues.ts'
import { IngressAcceptor } from './ingress/accept.ts'
import { PolicyKeeper } from './policy-keeper.ts'
import { AgentState } from './state.ts'

/** Everything the extensions share. */
export interface Core {
  config: AgentConfig
  log: Logger
  outbox: Outbox
  state: AgentState
  /** The agent's own keeper (its vehicle policy; on a gateway, the fleet policy). */
  keeper: PolicyKeeper
  /** On a gateway, the vehicles it serves (in configuration order); else empty. */
  gatewayVehicles: readonly string[]
  /** The keeper of a vehicle's policy: the agent's own, or a gateway vehicle's. */
  keeperOf(vehicleId: string): PolicyKeeper | undefined
  inspector: Inspector
  audit: AuditLog
  bus: EventBus
  acceptor: IngressAcceptor
  now: () => number
  /** Queue an incident for outbox refusals not yet reported (retried until there is room). */
  flushOutboxIncidents(): Promise<void>
  close(): Promise<void>
}

/** Options for tests. */
export interface CoreOptions {
  now?: () => number
  /** Use this inspector instead of loading the configured rule pack. */
  inspector?: Inspector
}

/**
 * Open the shared resources.
 * @throws AdxError / OutboxError when a file cannot be opened (the daemon exits non-zero).
 */
export async function openCore(config: AgentConfig, log: Logger, opts: CoreOptions = {}): Promise<Core> {
  const now = opts.now ?? Date.now
  mkdirSync(config.dataDir, { recursive: true })
  const inspector =
    opts.inspector ??
    loadInspector({
      pseudonymKey: config.pseudonymKey,
      ...(config.rulePackFile ? { packPath: config.rulePackFile } : {}),
      ...(config.vssOverlayFile ? { overlayPath: config.vssOverlayFile } : {}),
    })
  let refused = { count: 0, bytes: 0, first: 0, code: '' }
  let outboxRef: Outbox | undefined
  let auditRef: AuditLog | undefined
  const onIncident = (i: OutboxIncident) => {
    if (i.type === 'ADX_INC_OUTBOX_REFUSED') {
      if (i.destination === INCIDENTS_QUEUE) return // our own report waiting for room: retried, not counted
      if (refused.count === 0) refused.first = i.at
      refused.count += i.ids.length
      refused.bytes += i.bytes
      refused.code = i.code
      log.warn({ code: i.code, destination: i.destination, bytes: i.bytes }, 'outbox refused an item')
      queueMicrotask(() => void core.flushOutboxIncidents().catch(() => undefined))
    } else {
      // Evictions are stored by the outbox itself (pendingIncidents) and published by the uplink
      // straight from there: reporting them through the queue would take room and evict again.
      log.warn({ destination: i.destination, evicted: i.ids.length }, 'outbox evicted items to make room')
      auditRef?.append({ event: 'evicted', destination: i.destination, detail: `${i.ids.length} evicted for ${i.evictedFor.destination}` })
    }
  }
  const outbox = await openOutbox({
    path: config.outboxPath,
    maxBytes: config.outbox.maxBytes,
    maxItems: config.outbox.maxItems,
    whenFull: config.outbox.whenFull,
    now,
    onIncident,
  })
  outboxRef = outbox
  let state: AgentState
  try {
    state = AgentState.open(config.statePath, now)
  } catch (e) {
    await outbox.close()
    throw e
  }
  const bus = new EventBus(log.child({ component: 'bus' }))
  const audit = new AuditLog(config.audit.dir, config.audit.maxFileBytes, now)
  auditRef = audit
  const keeper = new PolicyKeeper(state, config.backend.policyPublicKeyPem, config.vehicle.id)
  const gatewayVehicles = config.gateway?.vehicles ?? []
  const keepers = new Map(gatewayVehicles.map((v) => [v, new PolicyKeeper(state, config.backend.policyPublicKeyPem, v, keeper)]))
  let flushing: Promise<void> | undefined
  let again = false
  const core: Core = {
    config,
    log,
    outbox,
    state,
    keeper,
    gatewayVehicles,
    keeperOf: (v) => (keepers.size ? keepers.get(v) : v === config.vehicle.id ? keeper : undefined),
    inspector,
    audit,
    bus,
    acceptor: new IngressAcceptor(outbox, bus, now, keepers.size ? new Set(gatewayVehicles) : undefined),
    now,
    flushOutboxIncidents() {
      // One flush at a time; a request during a flush runs once more after it.
      if (flushing) {
        again = true
        return flushing
      }
      flushing = (async () => {
        do {
          again = false
          await flushOnce()
        } while (again)
      })().finally(() => {
        flushing = undefined
      })
      return flushing
    },
    async close() {
      audit.sync()
      await outbox.close()
      state.close()
    },
  }
  async function flushOnce(): Promise<void> {
      const ob = outboxRef
      if (!ob || ob.isClosed) return
      try {
        if (refused.count > 0) {
          const r = refused
          await queueIncident(ob, {
            type: 'ADX_INC_OUTBOX_REFUSED',
            key: `refused:${r.first}`,
            reasonCode: r.code,
            count: r.count,
            detail: `outbox full (${config.outbox.whenFull}): ${r.count} payload(s), ${r.bytes} bytes refused since ${new Date(r.first).toISOString()}`,
            vehiclePseudonym: config.vehicle.id,
            detectedMs: r.first,
          })
          if (refused === r) refused = { count: 0, bytes: 0, first: 0, code: '' }
          audit.append({ event: 'refused', codes: [r.code], detail: `${r.count} refused` })
          bus.emit('enqueued', { destination: '@incidents' })
        }
      } catch (e) {
        log.debug({ err: e }, 'outbox incidents not queued yet (retried later)')
      }
  }
  return core
}

/** Incident id of a stored eviction (`seq` from Outbox.pendingIncidents()). */
export function evictionIncidentId(seq: number): string {
  return `inc-evicted-${seq}`
}

/** The wire Incident for a stored eviction; acknowledged by id, then confirmed in the outbox. */
export function evictionIncident(e: OutboxEvictedIncident, vehicleId: string): Incident {
  return {
    incidentId: evictionIncidentId(e.seq),
    type: 'ADX_INC_OUTBOX_EVICTED',
    vehiclePseudonym: vehicleId,
    detectedMs: e.at,
    recipients: [],
    subjectPseudonyms: [],
    payloadId: '',
    reasonCode: 'ADX_INC_OUTBOX_EVICTED',
    detail: `${e.ids.length} item(s), ${e.bytes} bytes evicted from ${e.destination} to make room for ${e.evictedFor.destination}`,
    categories: [],
    count: e.ids.length,
  }
}
