/**
 * A small fleet of real agents (the daemon code: inspect, outbox, pinned delivery, uplink)
 * in one process, against a real backend (embedded broker, SQLite) and an abroad sink.
 * `adx demo` runs it; tests and `adx sim` build on it.
 */
import { apiClient } from './api-client.ts'
import { randomBytes } from 'node:crypto'
import { mkdirSync, rmSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { Logger } from 'pino'
import { pino } from 'pino'
import { GATEWAY_ONLY } from '../backend/api/routes/gateways.ts'
import { openSqliteStore } from '../backend/store/sqlite.ts'
import type { FilingRow, NewVehicle } from '../backend/store/types.ts'
import { generateSecret, hashSecret } from '../backend/vehicles/credentials.ts'
import { type AbroadSink, sinkCertificate, startAbroadSink } from './abroad-sink.ts'
import { createFleet, type SimFleet } from './fleet.ts'
import type { KeyMaterial } from './key-material.ts'
import { keyPool, simPayload } from './payloads.ts'
import { seeded } from './random.ts'
import { type SimAgent, startSimAgent } from './sim-agent.ts'
import { externalSimBackend, prepareSimBackend, type SimBackend } from './sim-backend.ts'
import { filingKindNames } from '../shared/wire/enums.ts'

export interface DemoFleetOptions {
  dir: string
  vehicles: number
  seed?: number
  httpPort?: number
  brokerPort?: number
  log?: Logger
  /**
   * Vehicles per agent process-part: 1 (default) runs one agent per vehicle with its own
   * connection; more runs gateways, each one agent (outbox, state, pipeline, uplink) serving
   * that many vehicles over one connection with a gateway identity.
   */
  vehiclesPerAgent?: number
  /** Agents' heartbeat period (each heartbeat renews the vehicle's policy and lease). Default 30. */
  heartbeatSeconds?: number
  /** Run the backend as a child process (a fault run SIGKILLs it). */
  backendProcess?: boolean
  /** Run the first this-many agents as child processes (a fault run SIGKILLs them). */
  childAgents?: number
  /** Persons / sensitive persons per quota lease. Default 50 / 5. */
  lease?: { persons: number; sensitivePersons: number }
  /** Filings on record before the backend starts. */
  filings?: FilingRow[]
  /** Use a backend someone else runs (its HTTP API with an admin token, and its broker) instead of starting one. */
  backend?: { url: string; token: string; broker?: string }
}

type Api = (path: string, init?: { method?: string; body?: unknown }) => Promise<unknown>

/** Provision vehicles and gateways (enrolled 2,000 at a time) and filings through the backend's API. */
async function provisionThroughApi(api: Api, plan: { id: string; secret: string; members?: string[] }[], filings: readonly FilingRow[]): Promise<void> {
  const must = (r: unknown, what: string) => {
    const o = r as { code?: string; message?: string; secret?: string }
    if (o.code) throw new Error(`${what}: ${o.code}: ${o.message}`)
    return o
  }
  for (const p of plan) {
    if (!p.members) {
      p.secret = String(must(await api('/api/vehicles', { method: 'POST', body: { vehicleId: p.id, label: 'sim' } }), `provisioning ${p.id}`).secret)
      continue
    }
    p.secret = String(must(await api('/api/gateways', { method: 'POST', body: { gatewayId: p.id, label: 'sim' } }), `provisioning ${p.id}`).secret)
    for (let i = 0; i < p.members.length; i += 2000) must(await api(`/api/gateways/${p.id}/vehicles`, { method: 'POST', body: { vehicles: p.members.slice(i, i + 2000) } }), `enrolling to ${p.id}`)
  }
  for (const f of filings)
    must(await api('/api/filings', { method: 'POST', body: { kind: (filingKindNames as Record<number, string>)[f.kind], reference: f.reference, categories: f.categories, recipients: f.recipients, purposes: f.purposes, validFromMs: f.validFromMs, validUntilMs: f.validUntilMs } }), `filing ${f.reference}`)
}

/** Where a simulated vehicle's payloads go: its agent, and the vehicle id to name on a gateway. */
export interface SimVehicleSlot {
  vehicleId: string
  agent: SimAgent
  /** Set when the agent is a gateway (submissions name the vehicle). */
  viaGateway: boolean
}

export interface DemoFleet {
  fleet: SimFleet
  backend: SimBackend
  sink: AbroadSink
  agents: SimAgent[]
  /** Per fleet vehicle (same order as fleet.vehicles): its id and agent. */
  slots: SimVehicleSlot[]
  /** Bearer token of the demo officer account. */
  token: string
  api(path: string, init?: { method?: string; body?: unknown }): Promise<unknown>
  /** Submit `perVehicle` payloads from every vehicle; returns what was planted. */
  drive(perVehicle: number, startSeq?: number): Promise<{ submitted: number; plantedKeys: KeyMaterial[]; plantedControls: number; driverIds: Set<string> }>
  stop(): Promise<void>
}

/** Start backend, sink and `vehicles` agents. */
export async function startDemoFleet(options: DemoFleetOptions): Promise<DemoFleet> {
  // Absolute from here on: the backend's configuration resolves relative paths against its own folder.
  const opts = { ...options, dir: resolve(options.dir) }
  rmSync(opts.dir, { recursive: true, force: true })
  mkdirSync(opts.dir, { recursive: true })
  const log = opts.log ?? pino({ level: 'silent' })
  const token = opts.backend?.token ?? randomBytes(18).toString('base64url')
  const external = opts.backend
  const backend = external ? await externalSimBackend(external.url, external.token, external.broker) : await prepareSimBackend({
    dir: opts.dir,
    token,
    ...(opts.httpPort !== undefined ? { httpPort: opts.httpPort } : {}),
    process: opts.backendProcess ?? false,
    log,
    // Leases: a simulated vehicle names a few persons; 50 / 5 per vehicle keeps a fleet of a
    // thousand inside the 10,000 sensitive-person headroom (the default 100 / 10 suits real vehicles).
    lease: opts.lease ?? { persons: 50, sensitivePersons: 5 },
  })
  const fleet = createFleet({ vehicles: opts.vehicles, seed: opts.seed ?? 1 })
  const cheap = { N: 1024, r: 8, p: 1 }
  const per = Math.max(1, opts.vehiclesPerAgent ?? 1)
  // The backend knows vehicles by an opaque id, never the VIN.
  // On a backend someone else runs, this run's ids must not meet earlier runs' ones.
  const tag = external ? `sim${randomBytes(3).toString('hex')}-` : ''
  const ids = fleet.vehicles.map((v) => `${tag}veh-${String(v.index).padStart(6, '0')}`)
  // Provision every vehicle and gateway before the backend starts (one transaction).
  const plan: { id: string; secret: string; members?: string[] }[] = []
  const rows: NewVehicle[] = []
  for (let g = 0; g < ids.length; g += per) {
    const members = ids.slice(g, g + per)
    const secret = generateSecret()
    if (per === 1) {
      rows.push({ vehicleId: members[0]!, label: 'sim', secretHash: await hashSecret(secret, cheap), createdMs: Date.now() })
      plan.push({ id: members[0]!, secret })
      continue
    }
    const gatewayId = `${tag}gw-${String(g / per).padStart(4, '0')}`
    // Vehicles behind a gateway never connect themselves: they get no usable secret.
    rows.push({ vehicleId: gatewayId, kind: 'gateway', label: 'sim', secretHash: await hashSecret(secret, cheap), createdMs: Date.now() })
    for (const m of members) rows.push({ vehicleId: m, label: 'sim', secretHash: GATEWAY_ONLY, createdMs: Date.now(), gatewayId })
    plan.push({ id: gatewayId, secret, members })
  }
  const base = `http://${backend.http.host}:${backend.http.port}`
  const api = apiClient(base, token)
  if (external) await provisionThroughApi(api, plan, opts.filings ?? [])
  else {
    const store = await openSqliteStore(backend.storePath)
    try {
      await store.addVehicles(rows)
      for (const f of opts.filings ?? []) await store.addFiling(f)
    } finally {
      await store.close()
    }
  }
  await backend.start()
  const sink = await startAbroadSink(sinkCertificate(opts.dir))
  const pseudonymKey = randomBytes(32).toString('hex')
  const agentConfig = (id: string, secret: string, gateway?: string[]) => ({
    vehicle: { id },
    ...(gateway ? { gateway: { vehicles: gateway } } : {}),
    backend: { url: `mqtt://${backend.broker.host}:${backend.broker.port}`, password: secret, policyPublicKey: backend.signer.publicKeyPem, batchSize: 50 },
    pseudonymKey,
    dataDir: join(opts.dir, 'agents', id),
    ingress: { http: { port: 0 } },
    destinations: [{ name: 'oem-eu', region: 'abroad', recipient: 'CN=abroad-sink.adx.test', transport: 'https', url: sink.url, pinSha256: sink.fingerprint }],
    heartbeatSeconds: opts.heartbeatSeconds ?? 30,
    log: { level: 'silent' },
  })
  const agents: SimAgent[] = []
  const slots: SimVehicleSlot[] = []
  for (const [i, a] of plan.entries()) {
    const agent = await startSimAgent(a.id, agentConfig(a.id, a.secret, a.members), { dir: opts.dir, log, child: i < (opts.childAgents ?? 0) })
    agents.push(agent)
    for (const m of a.members ?? [a.id]) slots.push({ vehicleId: m, agent, viaGateway: a.members !== undefined })
  }
  const pool = keyPool()
  const r = seeded((opts.seed ?? 1) + 1)
  return {
    fleet,
    backend,
    sink,
    agents,
    slots,
    token,
    api,
    async drive(perVehicle, startSeq = 0) {
      const plantedKeys: KeyMaterial[] = []
      const driverIds = new Set<string>()
      let plantedControls = 0
      let submitted = 0
      for (let s = startSeq; s < startSeq + perVehicle; s++) {
        await Promise.all(
          fleet.vehicles.map(async (v, i) => {
            const p = simPayload(fleet, v, s, r, pool, 'oem-eu', Date.now(), { keyRate: 0.1, controlRate: 0.2 })
            plantedKeys.push(...p.plantedKeys)
            plantedControls += p.plantedControls
            for (const d of p.driverIds) driverIds.add(d)
            const slot = slots[i]!
            await slot.agent.submit(p.payload, slot.viaGateway ? slot.vehicleId : undefined)
            submitted++
          }),
        )
      }
      return { submitted, plantedKeys, plantedControls, driverIds }
    },
    async stop() {
      for (const a of agents) await a.stop()
      await sink.close()
      await backend.stop()
    },
  }
}
