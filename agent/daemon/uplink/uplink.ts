/**
 * The uplink extension: one mqtt.js client to the backend (username = vehicle id).
 *
 * - Publishes queued ExportRecords (as ExportRecordBatch) and Incidents under the vehicle's
 *   topics, QoS 1, oldest first. They stay in the outbox until the backend's Ack on
 *   `adx/v1/vehicles/<id>/ack` names them; unacknowledged ones are published again after
 *   `resendMs` or a reconnect (the backend deduplicates by record / incident id).
 * - Subscribes to the vehicle's policy topic and the fleet policy topic; every SignedPolicy is
 *   verified (Ed25519, configured key) before use; a bad one keeps the last good policy and
 *   raises ADX_INC_POLICY_SIGNATURE. A new good policy emits `policyChanged`.
 * - Publishes a Heartbeat every `heartbeatSeconds`.
 */
import { createHash } from 'node:crypto'
import type { MqttClient } from 'mqtt'
import { FLEET_POLICY_TOPIC, parseVehicleTopic, vehiclesFilter, vehicleTopic } from '../../../shared/topics.ts'
import { wire } from '../../../shared/wire/index.ts'
import { type Core, evictionIncident } from '../core.ts'
import { connectMqtt } from '../delivery/mqtt.ts'
import { queueIncident } from '../incidents.ts'
import type { PolicySource } from '../policy.ts'
import { INCIDENTS_QUEUE, RECORDS_QUEUE } from '../queues.ts'

/** Uplink tuning (tests shorten the timers). */
export interface UplinkOptions {
  /** Publish an unacknowledged record again after this long. Default 30 s. */
  resendMs?: number
  /** Records (or incidents) published but not yet acknowledged, at most. Default 10 batches. */
  window?: number
  agentVersion?: string
  /** Delay between reconnect attempts. Default 5 s. */
  reconnectMs?: number
}

/** The uplink extension. */
export class Uplink {
  readonly name = 'uplink'
  private client: MqttClient | undefined
  private running = false
  private loopDone: Promise<void> = Promise.resolve()
  private wakeUp: (() => void) | undefined
  private heartbeat: NodeJS.Timeout | undefined
  private readonly inflight = new Map<string, number>()
  private lastPrune = 0
  /** Publish rounds waiting for their PUBACKs; stop() releases them. */
  private readonly waiters = new Set<() => void>()
  /** Counters for tests and metrics. */
  readonly stats = { recordsPublished: 0, recordsAcked: 0, policiesAccepted: 0, policiesRejected: 0 }

  constructor(
    private readonly core: Core,
    private readonly opts: UplinkOptions = {},
  ) {}

  async start(): Promise<void> {
    const { config, bus, log } = this.core
    this.running = true
    bus.on('enqueued', this.name, ({ destination }) => {
      if (destination === RECORDS_QUEUE || destination === INCIDENTS_QUEUE) this.wake()
    })
    const b = config.backend
    const client = connectMqtt(
      b.url,
      { ...(b.pinSha256 ? { pinSha256: b.pinSha256 } : {}), ...(b.caFile ? { caFile: b.caFile } : {}), ...(b.clientCertFile ? { certFile: b.clientCertFile } : {}), ...(b.clientKeyFile ? { keyFile: b.clientKeyFile } : {}) },
      // The backend accepts a vehicle only with client id = vehicle id (no session takeover).
      { clientId: config.vehicle.id, username: b.username, ...(b.password ? { password: b.password } : {}), clean: true, protocolVersion: 4, reconnectPeriod: this.opts.reconnectMs ?? 5000 },
    )
    this.client = client
    const id = config.vehicle.id
    // Log a connection problem once per outage, not once per reconnect attempt.
    let outage = false
    client.on('connect', () => {
      outage = false
      this.inflight.clear() // resend whatever is unacknowledged
      log.info({ url: b.url }, 'uplink connected')
      // A gateway holds the wildcards; the broker forwards only its enrolled vehicles' messages.
      const filters = this.gateway ? [vehiclesFilter('policy'), vehiclesFilter('ack'), FLEET_POLICY_TOPIC] : [vehicleTopic(id, 'policy'), vehicleTopic(id, 'ack'), FLEET_POLICY_TOPIC]
      client.subscribe(filters, { qos: 1 }, (err) => {
        if (err) log.warn({ err }, 'uplink subscribe failed')
      })
      this.wake()
    })
    client.on('error', (err) => {
      if (outage) return log.debug({ err: err.message }, 'uplink error')
      outage = true
      log.warn({ err: err.message }, 'uplink error; retrying quietly until connected')
    })
    client.on('message', (topic, payload) => {
      void this.onMessage(topic, new Uint8Array(payload)).catch((e: unknown) => log.error({ err: e, topic }, 'uplink message handling failed'))
    })
    this.heartbeat = setInterval(() => void this.tick(), config.heartbeatSeconds * 1000)
    this.heartbeat.unref()
    this.loopDone = this.loop()
  }

  async stop(): Promise<void> {
    this.running = false
    this.core.bus.removeOwner(this.name)
    if (this.heartbeat) clearInterval(this.heartbeat)
    for (const w of this.waiters) w()
    this.waiters.clear()
    this.wake()
    await this.loopDone
    await this.client?.endAsync(true)
  }

  private wake(): void {
    const w = this.wakeUp
    this.wakeUp = undefined
    w?.()
  }

  /** True when this agent is a gateway for several vehicles. */
  private get gateway(): boolean {
    return this.core.gatewayVehicles.length > 0
  }

  private async onMessage(topic: string, bytes: Uint8Array): Promise<void> {
    if (topic === FLEET_POLICY_TOPIC) return this.onPolicy('fleet', bytes, this.core.config.vehicle.id)
    const t = parseVehicleTopic(topic)
    if (!t) return
    // acks of its own incidents come on its own topic, also when it is a gateway
    if (t.leaf === 'ack' && (t.vehicleId === this.core.config.vehicle.id || this.core.keeperOf(t.vehicleId))) return this.onAck(bytes)
    if (!this.core.keeperOf(t.vehicleId)) return
    if (t.leaf === 'policy') return this.onPolicy('vehicle', bytes, t.vehicleId)
  }

  private async onAck(bytes: Uint8Array): Promise<void> {
    const { outbox, bus, audit } = this.core
    let ack: { ids?: string[] }
    try {
      ack = wire.Ack.decode(bytes) as unknown as { ids?: string[] }
    } catch (e) {
      this.core.log.warn({ err: (e as Error).message }, 'undecodable Ack ignored')
      return
    }
    const ids = ack.ids ?? []
    if (ids.length === 0) return
    const recs = ids.filter((i) => i.startsWith('rec-'))
    const evictions = ids.filter((i) => i.startsWith('inc-evicted-')).map((i) => Number(i.slice('inc-evicted-'.length))).filter(Number.isInteger)
    const incs = ids.filter((i) => !i.startsWith('rec-') && !i.startsWith('inc-evicted-'))
    if (recs.length) this.stats.recordsAcked += (await outbox.ack(RECORDS_QUEUE, recs)).acked
    if (incs.length) await outbox.ack(INCIDENTS_QUEUE, incs)
    if (evictions.length) await outbox.confirmIncidents(evictions)
    for (const i of ids) this.inflight.delete(i)
    bus.emit('backendAcked', { ids })
    if (this.core.now() - this.lastPrune > 10_000) {
      this.lastPrune = this.core.now()
      audit.prune((r) => outbox.get(RECORDS_QUEUE, r) !== null)
    }
    this.wake()
  }

  private async onPolicy(source: PolicySource, bytes: Uint8Array, vehicleId: string): Promise<void> {
    const { bus, audit, log, outbox } = this.core
    const keeper = source === 'fleet' ? this.core.keeper : this.core.keeperOf(vehicleId)!
    const r = keeper.accept(source, bytes)
    if (r.ok) {
      if (!r.changed) return
      this.stats.policiesAccepted++
      const eff = keeper.effective(this.core.now())
      audit.append({ event: 'policy', detail: source, policyVersion: r.version, leaseId: eff.leaseId })
      log.info({ source, version: r.version, leaseId: eff.leaseId }, 'signed policy accepted')
      bus.emit('policyChanged', source === 'vehicle' ? { version: r.version, leaseId: eff.leaseId, vehicleId } : { version: r.version, leaseId: eff.leaseId })
      return
    }
    this.stats.policiesRejected++
    log.warn({ code: 'ADX_ERR_AGENT_POLICY_REJECTED', source, reason: r.reason, detail: r.detail, security: true }, 'signed policy rejected; last good policy kept')
    audit.append({ event: 'policy-rejected', codes: ['ADX_INC_POLICY_SIGNATURE'], detail: `${source}: ${r.reason}`, policyVersion: keeper.version })
    await queueIncident(outbox, {
      type: 'ADX_INC_POLICY_SIGNATURE',
      key: createHash('sha256').update(bytes).digest('hex'),
      reasonCode: r.reason,
      detail: `${source} policy rejected (${r.reason}): ${r.detail}; version ${keeper.version} stays in force`,
      vehiclePseudonym: vehicleId,
      detectedMs: this.core.now(),
    })
    bus.emit('incident', { type: 'ADX_INC_POLICY_SIGNATURE', reasonCode: r.reason, payloadId: '' })
    this.wake()
  }

  private async tick(): Promise<void> {
    await this.core.flushOutboxIncidents()
    const c = this.client
    if (!c?.connected) return
    const s = this.core.outbox.stats()
    const beat = (vehicleId: string, policyVersion: number, own: boolean) => {
      const hb = {
        vehiclePseudonym: vehicleId,
        sentMs: this.core.now(),
        agentVersion: this.opts.agentVersion ?? '',
        policyVersion,
        // A gateway's outbox is shared: its figures are the gateway's, not one vehicle's.
        outboxPayloads: own ? s.items : 0,
        outboxBytes: own ? s.bytes : 0,
        heldPayloads: own ? s.held : 0,
      }
      c.publish(vehicleTopic(vehicleId, 'heartbeats'), Buffer.from(wire.Heartbeat.encode(wire.Heartbeat.fromObject(hb)).finish()), { qos: 0 })
    }
    if (!this.gateway) return beat(this.core.config.vehicle.id, this.core.keeper.version, true)
    // One heartbeat per vehicle (each renews its own lease), spread out by the socket's buffer.
    for (const v of this.core.gatewayVehicles) beat(v, this.core.keeperOf(v)?.version ?? 0, false)
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      this.wakeUp = resolve
      setTimeout(resolve, ms).unref()
    })
  }

  private async loop(): Promise<void> {
    while (this.running) {
      try {
        if (this.client?.connected) await this.publishDue()
      } catch (e) {
        this.core.log.warn({ err: e }, 'uplink publish failed')
      }
      await this.sleep(500)
    }
  }

  /** Publish what is queued and not in flight (or in flight for longer than resendMs). */
  private async publishDue(): Promise<void> {
    const c = this.client!
    const { outbox, config } = this.core
    const now = this.core.now()
    const resendMs = this.opts.resendMs ?? 30_000
    const batch = config.backend.batchSize
    const window = this.opts.window ?? batch * 10
    const due = (id: string) => {
      const t = this.inflight.get(id)
      return t === undefined || now - t >= resendMs
    }
    const records = outbox.peek(RECORDS_QUEUE, window).filter((i) => due(i.id))
    const id = config.vehicle.id
    const pubs: Promise<unknown>[] = []
    // Records go out in batches on their vehicle's topic (a gateway's records name many vehicles).
    const byVehicle = new Map<string, { id: string; record: unknown }[]>()
    for (const r of records) {
      const record = wire.ExportRecord.decode(r.body)
      const v = this.gateway ? (record as unknown as { vehiclePseudonym: string }).vehiclePseudonym : id
      let list = byVehicle.get(v)
      if (!list) byVehicle.set(v, (list = []))
      list.push({ id: r.id, record })
    }
    for (const [v, list] of byVehicle) {
      for (let i = 0; i < list.length; i += batch) {
        const chunk = list.slice(i, i + batch)
        const msg = wire.ExportRecordBatch.encode({ records: chunk.map((r) => r.record) } as never).finish()
        for (const r of chunk) this.inflight.set(r.id, now)
        this.stats.recordsPublished += chunk.length
        pubs.push(c.publishAsync(vehicleTopic(v, 'records'), Buffer.from(msg), { qos: 1 }))
      }
    }
    for (const inc of outbox.peek(INCIDENTS_QUEUE, window).filter((i) => due(i.id))) {
      this.inflight.set(inc.id, now)
      const v = this.gateway ? (wire.Incident.decode(inc.body) as unknown as { vehiclePseudonym?: string }).vehiclePseudonym || id : id
      pubs.push(c.publishAsync(vehicleTopic(v, 'incidents'), Buffer.from(inc.body), { qos: 1 }))
    }
    // Evictions live in the outbox's incident table (they take no queue room) until acked.
    for (const e of outbox.pendingIncidents().slice(0, window)) {
      const inc = evictionIncident(e, id)
      if (!due(inc.incidentId)) continue
      this.inflight.set(inc.incidentId, now)
      pubs.push(c.publishAsync(vehicleTopic(id, 'incidents'), Buffer.from(wire.Incident.encode(wire.Incident.fromObject(inc)).finish()), { qos: 1 }))
    }
    // Never wait past stop(): a publish to a vanished broker may not settle; whatever was not
    // acknowledged stays in the outbox and is published again. (Not Promise.race with a
    // long-lived promise: each race left a reaction on it holding the published packets, a
    // leak of ~2.5 KiB per payload measured by bench/agent-heap.ts.)
    let failure: unknown
    await new Promise<void>((resolve) => {
      this.waiters.add(resolve)
      Promise.all(pubs)
        .then(
          () => undefined,
          (e: unknown) => {
            failure = e
          },
        )
        .finally(() => {
          this.waiters.delete(resolve)
          resolve()
        })
    })
    if (failure !== undefined) throw failure
  }
}
