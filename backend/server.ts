/**
 * Wires the backend together and runs it: store, rule pack, broker (embedded or external),
 * policy publisher, ingest, HTTP API and a periodic re-evaluation. `stop()` shuts down in the
 * order that loses nothing: no new HTTP requests, no new messages, commit and acknowledge what
 * is queued, close the broker, close the store.
 */
import { mkdirSync } from 'node:fs'
import { randomUUID } from 'node:crypto'
import { type ServerType, serve } from '@hono/node-server'
import { loadRulePack } from '../shared/rulepack/load.ts'
import { type ExportRecord, PayloadKind } from '../shared/wire/index.ts'
import { createApi } from './api/app.ts'
import type { Account } from './api/auth.ts'
import { VehicleAuthenticator } from './broker/auth.ts'
import { type EmbeddedBroker, startEmbeddedBroker } from './broker/embedded.ts'
import { connectExternalBroker } from './broker/external.ts'
import type { Bus, SecurityEvent } from './broker/types.ts'
import type { BackendConfig } from './config.ts'
import { countingPlan } from './counting/plan.ts'
import { buildAuditExport } from './audit/export.ts'
import { incidentTypes, RecentIncidents, raiseIncident } from './incidents/raise.ts'
import { setupIncidents } from './incidents/setup.ts'
import { checkExpiredFilings, offlineHeld } from './incidents/watch.ts'
import { IngestService } from './ingest/service.ts'
import { createLogger, type Logger } from './log.ts'
import { createMetrics, type Metrics } from './metrics.ts'
import { type Evaluation, PolicyService } from './policy/service.ts'
import { loadOrCreateSigningKey } from './signing-key.ts'
import { IngestWorker } from './store/ingest-writer.ts'
import { openSqliteStore, type SqliteStore } from './store/sqlite.ts'
import type { ScryptParams } from './vehicles/credentials.ts'
import { applyBackendV8Tuning } from './v8-tuning.ts'

/** A running backend. */
export interface RunningBackend {
  /** HTTP address actually bound (port 0 in the config picks a free one). */
  http: { host: string; port: number }
  /** Embedded broker address, when embedded. */
  broker?: { host: string; port: number }
  /** The policy-signing public key and id (give these to agents). */
  signer: { publicKeyPem: string; keyId: string }
  store: SqliteStore
  policy: PolicyService
  ingest: IngestService
  metrics: Metrics
  stop(): Promise<void>
}

/** Options that are not configuration (tests, embedding). */
export interface StartOptions {
  logger?: Logger
  /** scrypt cost for vehicle secrets provisioned through the API. */
  scrypt?: ScryptParams
  clock?: () => number
}

/**
 * Starts the backend.
 * @example const backend = await startBackend(loadConfig('backend.yaml')); … await backend.stop()
 */
export async function startBackend(config: BackendConfig, opts: StartOptions = {}): Promise<RunningBackend> {
  applyBackendV8Tuning()
  const log = opts.logger ?? createLogger({ level: config.log.level })
  const clock = opts.clock ?? Date.now
  mkdirSync(config.dataDir, { recursive: true })
  const pack = loadRulePack(config.rulePack)
  const plan = countingPlan(pack)
  const signer = loadOrCreateSigningKey(config.signing.privateKeyPath)
  if (signer.created) log.warn({ keyId: signer.keyId, path: config.signing.privateKeyPath }, 'generated a new policy-signing key; give its public key to the agents')
  const metrics = createMetrics({ defaultMetrics: true })
  const store = await openSqliteStore(config.store.path, {
    busyTimeoutMs: config.store.busyTimeoutMs,
    onStaleLock: (p) => log.warn({ path: p }, 'removed a lock left by a process that died inside a transaction'),
  })
  // Group commits run on their own connection in a worker thread (closed before the store).
  const writer = await IngestWorker.start(config.store.path, {
    busyTimeoutMs: config.store.busyTimeoutMs,
    onStaleLock: (p) => log.warn({ path: p }, 'removed a lock left by a process that died inside a transaction'),
  }).catch(async (err: unknown) => {
    await store.close()
    throw err
  })
  const cleanups: Array<() => Promise<void>> = [() => store.close(), () => writer.close()]
  const cleanup = async () => {
    for (const c of cleanups.reverse()) await c().catch((err: unknown) => log.error({ err }, 'shutdown step failed'))
  }

  try {
    // Emergency-response log and export log (hash-chained files under dataDir, streamed to stdout).
    const incidents = setupIncidents(config, pack, store, signer, log.child({ component: 'logs' }), clock)
    await incidents.logs.checkIntegrity()
    incidents.logs.prune()
    await incidents.logs.pump()
    const pumpLogs = () => {
      incidents.logs.pump().catch((err: unknown) => log.error({ err }, 'hash-chained logs not appended'))
    }
    const logTick = setInterval(pumpLogs, 1_000)
    logTick.unref()
    const pruneTick = setInterval(() => {
      try {
        incidents.logs.prune()
      } catch (err) {
        log.error({ err }, 'log pruning failed')
      }
    }, 86_400_000)
    pruneTick.unref()
    // Runs before the store closes (cleanups run in reverse): the last events reach the logs.
    cleanups.push(async () => {
      clearInterval(logTick)
      clearInterval(pruneTick)
      await incidents.logs.pump()
    })
    const recentWatch = new RecentIncidents()
    /** Payloads each vehicle last reported holding (from heartbeats; relearned after a restart). */
    const heldByVehicle = new Map<string, number>()

    const auth = new VehicleAuthenticator(store)
    await auth.refresh()
    let bus: Bus
    let embedded: EmbeddedBroker | undefined
    let policy: PolicyService | undefined
    const recentSecurity = new RecentIncidents()
    const onSecurityEvent = (e: SecurityEvent) => {
      metrics.securityEvents.inc({ kind: e.kind })
      if (e.kind === 'auth' && e.reason !== 'revoked') return // wrong passwords are logged and counted, not incidents
      void raiseIncident(store, log, {
        type: incidentTypes.ACL_REFUSED,
        incidentId: `security:${e.kind}:${e.vehicleId}:${e.topic}`,
        reasonCode: e.kind === 'auth' ? 'ADX_ERR_BROKER_AUTH' : e.kind === 'frame' ? 'ADX_ERR_BROKER_FRAME_TOO_LARGE' : 'ADX_ERR_BROKER_ACL',
        detail: `${e.kind} refused from ${e.remoteAddress || 'unknown address'}: ${e.reason}`,
        vehicleId: e.vehicleId || undefined,
        nowMs: clock(),
      }, recentSecurity).catch((err: unknown) => log.error({ err }, 'security incident not stored'))
    }
    if (config.broker.mode === 'embedded') {
      embedded = await startEmbeddedBroker({
        host: config.broker.host,
        port: config.broker.port,
        maxPacketBytes: config.broker.maxPacketBytes,
        auth,
        log: log.child({ component: 'broker' }),
        onSecurityEvent,
        onVehicleReady: (id, principal) => {
          // A gateway gets no lease of its own: each of its vehicles gets its policy and lease (one batch).
          const ids = principal.kind === 'gateway' ? [...principal.vehicles] : [id]
          policy?.vehiclePolicies(ids, { republish: true }).catch((err: unknown) => log.error({ err, vehicleId: id }, 'vehicle policies not issued'))
        },
      })
      bus = embedded.bus
      cleanups.push(() => embedded!.close())
      log.info({ host: embedded.host, port: embedded.port }, 'embedded MQTT broker listening')
    } else {
      bus = await connectExternalBroker({
        url: config.broker.url,
        username: config.broker.username,
        password: config.broker.password,
        clientId: config.broker.clientId,
        sharedGroup: config.broker.sharedGroup,
        log: log.child({ component: 'broker' }),
      })
      cleanups.push(() => bus.close())
      log.info({ url: config.broker.url }, 'connected to the external MQTT broker')
    }

    const updateGauges = (ev: Evaluation) => {
      metrics.counts.reset()
      for (const [counter, cats] of Object.entries(ev.counts)) for (const [category, v] of Object.entries(cats)) metrics.counts.set({ counter, category }, v)
      for (const l of ev.report.limits) metrics.limitFraction.set({ limit: l.id }, l.fraction)
    }
    policy = new PolicyService({
      store,
      pack,
      plan,
      signer,
      ciio: config.processor.ciio,
      options: { lease: config.policy.lease, sumHoldFraction: config.policy.sumHoldFraction },
      publish: (topic, payload, o) => bus.publish(topic, payload, o),
      log: log.child({ component: 'policy' }),
      clock,
      connectedVehicles: () => embedded?.connectedPrincipals().flatMap((p) => (p.kind === 'gateway' ? [...p.vehicles] : [p.id])) ?? [],
    })
    const svc = policy
    let evaluating = false
    let again = false
    const evaluateSoon = () => {
      if (evaluating) {
        again = true
        return
      }
      evaluating = true
      svc
        .evaluate()
        .then(updateGauges, (err: unknown) => log.error({ err }, 'evaluation failed'))
        .finally(() => {
          evaluating = false
          if (again) {
            again = false
            evaluateSoon()
          }
        })
    }

    const beating = new Set<string>()
    let beatTimer: NodeJS.Timeout | undefined
    cleanups.push(async () => clearTimeout(beatTimer))
    const ingest = new IngestService({
      bus,
      store,
      writer,
      plan,
      limits: config.ingest.limits,
      batching: config.ingest.batch,
      log: log.child({ component: 'ingest' }),
      metrics,
      onCounted: () => {
        evaluateSoon()
        pumpLogs()
      },
      onHeartbeat: (id, hb) => {
        heldByVehicle.set(id, hb.heldPayloads)
        // Heartbeats come in waves (a gateway beats for all its vehicles): one batch per wave.
        beating.add(id)
        beatTimer ??= setTimeout(() => {
          beatTimer = undefined
          const ids = [...beating]
          beating.clear()
          svc.vehiclePolicies(ids).catch((err: unknown) => log.error({ err, vehicles: ids.length }, 'vehicle policies not issued'))
        }, 50)
      },
      clock,
    })

    /** ADX_INC_AGENT_OFFLINE_HELD: one incident per offline episode of a vehicle holding data. */
    const checkOfflineHeld = async () => {
      const holding = [...heldByVehicle].filter(([, n]) => n > 0)
      if (holding.length === 0) return
      const rows = (await Promise.all(holding.map(([id]) => store.getVehicle(id)))).filter((v): v is NonNullable<typeof v> => v !== undefined)
      const afterMs = incidents.settings.offlineHeldAfterMs
      for (const id of offlineHeld(rows, heldByVehicle, clock(), afterMs)) {
        const v = rows.find((r) => r.vehicleId === id)!
        await raiseIncident(store, log, {
          type: incidentTypes.AGENT_OFFLINE_HELD,
          incidentId: `offline-held:${id}:${v.lastSeenMs}`,
          vehicleId: id,
          nowMs: clock(),
          reasonCode: 'ADX_INC_AGENT_OFFLINE_HELD',
          detail: `offline since ${new Date(v.lastSeenMs ?? 0).toISOString()} holding ${heldByVehicle.get(id)} payloads (limit ${Math.round(afterMs / 60_000)} min)`,
          count: heldByVehicle.get(id) ?? 0,
        }, recentWatch)
      }
    }

    updateGauges(await policy.evaluate())
    await policy.republish()
    await ingest.start()
    cleanups.push(() => ingest.stop())

    const tick = setInterval(() => {
      evaluateSoon()
      checkExpiredFilings(store, log, clock(), recentWatch).catch((err: unknown) => log.error({ err }, 'filing expiry check failed'))
      checkOfflineHeld().catch((err: unknown) => log.error({ err }, 'offline-with-held-data check failed'))
      auth
        .refresh()
        .then((revoked) => {
          for (const id of revoked) if (embedded?.connectedVehicles().includes(id)) embedded.disconnect(id)
        })
        .catch((err: unknown) => log.error({ err }, 'revocation refresh failed'))
    }, config.policy.reevaluateIntervalMs)
    tick.unref()
    cleanups.push(async () => clearInterval(tick))

    const recordExport = async (account: Account, route: string, categories: string[], subjects: ExportRecord['subjects']) => {
      const record: ExportRecord = {
        recordId: `api-read:${randomUUID()}`,
        payloadId: '',
        vehiclePseudonym: '',
        exportedMs: clock(),
        destination: 'adx-api',
        recipient: account.id,
        purpose: `api-read ${route}`,
        kind: PayloadKind.OPAQUE,
        categories,
        ruleIds: [],
        subjects,
        originalBytes: 0,
        exportedBytes: 0,
        exemption: null,
        strippedItems: 0,
        cameraKm: 0,
        cameraHours: 0,
        rulePackVersion: pack.version,
        policyVersion: svc.latest?.fleetPolicy.version ?? 0,
        leaseId: '',
      }
      await ingest.ingestRecords(`api:${account.id}`, [record])
    }

    const app = createApi({
      store,
      pack,
      policy,
      metrics,
      log: log.child({ component: 'api' }),
      accounts: config.api.accounts,
      signer,
      overseas: { recordExport },
      onVehicleAdded: (id) => ingest.forgetVehicle(id),
      onVehicleRevoked: (id) => {
        auth.markRevoked(id)
        ingest.forgetVehicle(id)
        embedded?.disconnect(id)
      },
      health: async () => {
        const storeOk = await store.totals(0).then(
          () => true,
          () => false,
        )
        return { store: storeOk, broker: bus.isConnected() }
      },
      clock,
      scrypt: opts.scrypt,
      incidents: { service: incidents.service, onChanged: pumpLogs },
      audit: {
        utcOffsetMinutes: plan.utcOffsetMinutes,
        exportFiles: async (range, o) => {
          await incidents.logs.pump()
          return buildAuditExport(
            {
              store,
              pack,
              plan,
              ciio: config.processor.ciio,
              signer,
              table: incidents.table,
              range,
              nowMs: clock(),
              liveLogs: incidents.logs.verify(),
            },
            { maxBytes: o.maxBytes },
          )
        },
      },
    })
    let httpServer: ServerType | undefined
    const httpPort = await new Promise<number>((resolve, reject) => {
      httpServer = serve({ fetch: app.fetch, hostname: config.http.host, port: config.http.port }, (info) => resolve(info.port))
      httpServer.once('error', reject)
    })
    // Closed first on stop (cleanups run in reverse).
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          httpServer!.close(() => resolve())
          ;(httpServer as unknown as { closeAllConnections?: () => void }).closeAllConnections?.()
        }),
    )
    log.info({ host: config.http.host, port: httpPort, keyId: signer.keyId }, 'ADX backend started')

    let stopped: Promise<void> | undefined
    return {
      http: { host: config.http.host, port: httpPort },
      broker: embedded ? { host: embedded.host, port: embedded.port } : undefined,
      signer: { publicKeyPem: signer.publicKeyPem, keyId: signer.keyId },
      store,
      policy,
      ingest,
      metrics,
      stop() {
        stopped ??= cleanup().then(() => log.info('ADX backend stopped'))
        return stopped
      },
    }
  } catch (err) {
    await cleanup()
    throw err
  }
}
