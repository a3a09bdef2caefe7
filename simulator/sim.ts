/**
 * A simulation run: a fleet of real agents (through gateways when large) against a real backend
 * and the abroad sink, driven for a number of payloads per vehicle, then checked against the
 * simulator's ground truth: what was planted must not be at the sink, and the backend's yearly
 * counts must equal the distinct vehicles and persons the simulator knows it exported.
 * `adx sim` and the CI runs call it; it prints nothing itself (progress goes to `onProgress`).
 */
import { verifyAuditExport } from '../backend/audit/verify.ts'
import { countingYear } from '../shared/calendar.ts'
import { wire } from '../shared/wire/index.ts'
import { type DemoFleet, startDemoFleet } from './demo-fleet.ts'
import { forbiddenForms, type KeyMaterial } from './key-material.ts'
import { keyPool, simPayload, type SimSubject } from './payloads.ts'
import { seeded } from './random.ts'

/** What to run. */
export interface SimOptions {
  vehicles: number
  /** Payloads per vehicle. */
  messages: number
  seed?: number
  /** Working folder (wiped at start). */
  dir: string
  /** Vehicles per agent: 1 = one agent and connection per vehicle; more = gateways. Default 1 up to 20 vehicles, else 100. */
  perGateway?: number
  /** Filings on record before the fleet drives: all (nothing held for lack of one) or none. Default all. */
  filings?: 'all' | 'none'
  /** Share of payloads with planted key material / control instructions. */
  keyRate?: number
  controlRate?: number
  /** Give up waiting for the fleet to drain after this long. Default 120 s. */
  settleTimeoutMs?: number
  httpPort?: number
  /**
   * A fault run: the backend and two agents run as child processes; a third of the way in they
   * are SIGKILLed while the fleet keeps driving, then started again (the agents in this process,
   * on their files). The end state must still be exact.
   */
  faults?: boolean
  /** Run against a backend someone else runs: its API (with an admin token) and its broker. */
  backend?: { url: string; token: string; broker?: string }
  onProgress?: (p: SimProgress) => void
}

/** Progress of a run (for a progress bar or a plain line). */
export interface SimProgress {
  phase: 'starting' | 'driving' | 'draining' | 'checking'
  submitted: number
  total: number
  /** Distinct payloads at the abroad sink so far. */
  delivered: number
}

/** One count at the backend against the simulator's truth. */
export interface CountCheck {
  name: string
  backend: number
  truth: number
}

/** What a run found. */
export interface SimSummary {
  vehicles: number
  /** Agents run (= connections to the backend). */
  agents: number
  /** Persons in the simulated fleet (drivers). */
  persons: number
  payloads: { submitted: number; delivered: number; held: number }
  planted: { keys: number; controls: number }
  /** Items removed before the border, by kind, as the agents reported them to the backend. */
  stripped: Record<string, number>
  /** Payloads still held at the end, by reason. */
  held: Record<string, number>
  /** Incidents at the backend, by type. */
  incidents: Record<string, number>
  counts: CountCheck[]
  /** Planted items found at the sink (raw, base64 or hex): must be 0. */
  leaks: string[]
  audit: { verified: boolean; problems: string[] }
  /** What a fault run killed (SIGKILL) and restarted. */
  faults: { backendKills: number; agentKills: number }
  seconds: number
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** The control instructions the simulator plants, as they would appear if they crossed. */
function controlForms(): string[] {
  const b64 = (x: number[]) => Buffer.from(x).toString('base64')
  const hex = (x: number[]) => Buffer.from(x).toString('hex')
  // The actuator write's path, and the OTA install action's routine-control request in every
  // form. The 2-byte UDS requests (27 01, 11 01) are too short to search for byte-wise (they
  // occur by chance in pseudonyms): `controlsIn` decodes every payload and looks for them there.
  const routine = [0x31, 0x01, 0xff, 0x00]
  return ['Vehicle.Cabin.Door.Row1.DriverSide.IsLocked', Buffer.from(routine).toString('latin1'), b64(routine), hex(routine), hex(routine).toUpperCase()]
}

/** The key's JWK members (private and public numbers), as planted in JWK form. */
function jwkMembers(k: KeyMaterial): string[] {
  if (!k.jwk) return []
  const j = JSON.parse(k.jwk) as Record<string, unknown>
  return ['d', 'n', 'x', 'y', 'p', 'q', 'dp', 'dq', 'qi'].map((m) => j[m]).filter((v): v is string => typeof v === 'string' && v.length >= 16)
}

/** Structural check of a sanitised payload: no actuator write, no state-changing UDS, no install action. */
function controlsIn(body: Buffer): number {
  let p: Record<string, unknown>
  try {
    p = wire.OutboundPayload.toObject(wire.OutboundPayload.decode(body), { bytes: Array }) as Record<string, unknown>
  } catch {
    try {
      p = JSON.parse(body.toString('utf8')) as Record<string, unknown>
    } catch {
      return 0
    }
  }
  const t = p.telemetry as { actuatorWrites?: unknown[]; remoteCommands?: unknown[] } | undefined
  const d = p.diagnostic as { uds?: { request?: number[] | string }[] } | undefined
  const o = p.ota as { manifest?: { targets?: { installActions?: unknown[] }[] } } | undefined
  let n = (t?.actuatorWrites?.length ?? 0) + (t?.remoteCommands?.length ?? 0)
  for (const u of d?.uds ?? []) {
    const req = typeof u.request === 'string' ? [...Buffer.from(u.request, 'base64')] : (u.request ?? [])
    if ([0x27, 0x29, 0x11, 0x2e, 0x31, 0x34, 0x36, 0x37, 0x14, 0x28, 0x85].includes(req[0] ?? -1)) n++
  }
  for (const target of o?.manifest?.targets ?? []) n += target.installActions?.length ?? 0
  return n
}

/** Wait until nothing but held payloads is left in any agent's outbox. */
async function drain(d: DemoFleet, timeoutMs: number, tick: () => void): Promise<void> {
  const start = Date.now()
  const end = start + timeoutMs
  while (Date.now() < end) {
    const busy = d.agents.some((a) => a.core.outbox.onTheirWay() > 0)
    // a payload held for its lease goes with the next heartbeat's lease: give it a few heartbeats
    const leaseHeld = Date.now() - start < 10_000 && d.agents.some((a) => a.core.outbox.listHeld().some((h) => h.reasonCode === 'ADX_HOLD_LEASE_EXHAUSTED'))
    if (!busy && !leaseHeld) return
    tick()
    await sleep(200)
  }
}

/** A started simulation: drive it in phases, record filings, drain, check, stop. */
export interface Simulation {
  fleet: DemoFleet
  /** Drive `rounds` payloads per vehicle (one per vehicle per round). */
  drive(rounds: number): Promise<void>
  /** Drive rounds until `ms` have passed. */
  driveFor(ms: number): Promise<void>
  /** Record an MNR approval (location) and a standard contract (everything), valid for 400 days. */
  recordFilings(): Promise<void>
  /** Wait until nothing but held payloads is left (payloads held for a lease wait a little for the next one). */
  drain(timeoutMs?: number): Promise<void>
  /** SIGKILL the backend and the agents that run as child processes; start them again after `downMs` (returns at once). */
  crash(downMs: number): Promise<void>
  /** Check the outcome against the ground truth. */
  check(): Promise<SimSummary>
  stop(): Promise<void>
}

/**
 * Start a simulation (backend, sink, agents); nothing is driven yet.
 * @example const sim = await startSimulation({ vehicles: 1000, messages: 3, dir }); await sim.drive(3); await sim.drain(); const s = await sim.check(); await sim.stop()
 */
export async function startSimulation(opts: SimOptions): Promise<Simulation> {
  const t0 = performance.now()
  let total = opts.vehicles * opts.messages
  let submitted = 0
  let seq = 0
  const progress = (phase: SimProgress['phase']) => opts.onProgress?.({ phase, submitted, total, delivered: d ? d.sink.count() : 0 })
  let d: DemoFleet | undefined
  progress('starting')
  const perGateway = opts.perGateway ?? (opts.vehicles <= 20 ? 1 : 100)
  d = await startDemoFleet({
    dir: opts.dir,
    vehicles: opts.vehicles,
    seed: opts.seed ?? 1,
    vehiclesPerAgent: perGateway,
    heartbeatSeconds: 2,
    ...(opts.httpPort !== undefined ? { httpPort: opts.httpPort } : {}),
    ...(opts.faults ? { backendProcess: true, childAgents: 2 } : {}),
    ...(opts.backend ? { backend: opts.backend } : {}),
  })
  const baseline = ((await d.api('/api/status')) as { counts: Record<string, Record<string, number>> }).counts
  const fleet = d
  const faults = { backendKills: 0, agentKills: 0 }
  const pool = keyPool()
  const r = seeded((opts.seed ?? 1) + 1)
  const mix = { keyRate: opts.keyRate ?? 0.05, controlRate: opts.controlRate ?? 0.1 }
  const planted: KeyMaterial[] = []
  let plantedControls = 0
  /** Ground truth per payload: (vehicle index, subjects), to count what was not held. */
  const sent = new Map<string, { vehicle: number; subjects: SimSubject[] }>()
  const round = async () => {
    const s = seq++
    // one payload per vehicle per round, a bounded number in flight at once
    for (let i = 0; i < fleet.fleet.vehicles.length; i += 256) {
      await Promise.all(
        fleet.fleet.vehicles.slice(i, i + 256).map(async (v) => {
          const p = simPayload(fleet.fleet, v, s, r, pool, 'oem-eu', Date.now(), mix)
          planted.push(...p.plantedKeys)
          plantedControls += p.plantedControls
          const slot = fleet.slots[v.index]!
          await slot.agent.submit(p.payload, slot.viaGateway ? slot.vehicleId : undefined)
          sent.set(`${slot.vehicleId}|${String(p.payload.id)}`, { vehicle: v.index, subjects: p.subjects })
          submitted++
        }),
      )
      progress('driving')
    }
  }
  return {
    fleet,
    async drive(rounds) {
      total = Math.max(total, submitted + rounds * opts.vehicles)
      for (let i = 0; i < rounds; i++) await round()
    },
    async driveFor(ms) {
      const end = Date.now() + ms
      while (Date.now() < end) {
        total = submitted + opts.vehicles
        await round()
      }
    },
    async recordFilings() {
      const now = Date.now()
      for (const [kind, categories] of [['mnr-approval', ['location']], ['standard-contract', ['*']]] as const)
        await fleet.api('/api/filings', { method: 'POST', body: { kind, reference: `SIM-${kind}`, categories, recipients: ['*'], purposes: ['*'], validFromMs: now - 1000, validUntilMs: now + 400 * 86_400_000 } })
      // every vehicle's next heartbeat brings a policy with the filings and a lease sized under them
      await sleep(3_000)
    },
    async drain(timeoutMs = opts.settleTimeoutMs ?? 120_000) {
      progress('draining')
      await drain(fleet, timeoutMs, () => progress('draining'))
    },
    async crash(downMs) {
      const victims = fleet.agents.filter((a) => !a.inProcess)
      await fleet.backend.kill()
      faults.backendKills++
      for (const a of victims) await a.kill()
      faults.agentKills += victims.length
      return new Promise<void>((resolve, reject) =>
        setTimeout(() => {
          ;(async () => {
            await fleet.backend.start()
            for (const a of victims) await a.restart()
          })().then(resolve, reject)
        }, downMs),
      )
    },
    async check() {
      progress('checking')
      return check(fleet, { opts, sent, planted, plantedControls, submitted, perGateway, t0, faults, baseline })
    },
    stop: () => fleet.stop(),
  }
}

/**
 * Run a simulation and check it: filings (unless `filings: none`), `messages` rounds, drain, check.
 * @example const s = await runSimulation({ vehicles: 1000, messages: 3, dir: '/tmp/sim' }); s.leaks.length === 0
 */
export async function runSimulation(opts: SimOptions & { durationMs?: number }): Promise<SimSummary> {
  const sim = await startSimulation(opts)
  try {
    if ((opts.filings ?? 'all') === 'all') await sim.recordFilings()
    if (opts.durationMs !== undefined) await sim.driveFor(opts.durationMs)
    else if (opts.faults) {
      // a third of the way in: kill while the fleet keeps driving, restart 3 s later
      const first = Math.max(1, Math.floor(opts.messages / 3))
      await sim.drive(first)
      const back = sim.crash(3_000)
      await sim.drive(Math.min(1, opts.messages - first))
      await back
      await sim.drive(Math.max(0, opts.messages - first - 1))
    } else await sim.drive(opts.messages)
    await sim.drain()
    return await sim.check()
  } finally {
    await sim.stop()
  }
}

interface CheckInput {
  opts: SimOptions
  sent: Map<string, { vehicle: number; subjects: SimSubject[] }>
  planted: KeyMaterial[]
  plantedControls: number
  submitted: number
  perGateway: number
  t0: number
  faults: { backendKills: number; agentKills: number }
  /** The backend's counts before the run. */
  baseline: Record<string, Record<string, number>>
}

/** What is held on the vehicles now, by reason and by (vehicle, payload id). */
function heldNow(d: DemoFleet): { held: Record<string, number>; keys: Set<string> } {
  const held: Record<string, number> = {}
  const keys = new Set<string>()
  for (const a of d.agents)
    for (const h of a.core.outbox.listHeld()) {
      held[h.reasonCode] = (held[h.reasonCode] ?? 0) + 1
      const meta = JSON.parse(h.meta ?? '{}') as { pid?: string; veh?: string }
      keys.add(`${meta.veh ?? a.core.config.vehicle.id}|${meta.pid ?? ''}`)
    }
  return { held, keys }
}

const busy = (d: DemoFleet) => d.agents.some((a) => a.core.outbox.onTheirWay() > 0)

async function check(d: DemoFleet, c: CheckInput): Promise<SimSummary> {
  // What stayed behind (held) is known by its ingress meta; everything else was exported. The
  // counts are read between two identical looks at what is held, with nothing on its way, so a
  // payload released in between (a lease renewed) cannot be counted but left out of the truth.
  let { held, keys: heldKeys } = heldNow(d)
  let status: { counts: Record<string, Record<string, number>> } = { counts: {} }
  for (let i = 0; i < 50; i++) {
    status = (await d.api('/api/status')) as typeof status
    const after = heldNow(d)
    if (!busy(d) && after.keys.size === heldKeys.size && [...after.keys].every((k) => heldKeys.has(k))) break
    await sleep(500)
    ;({ held, keys: heldKeys } = heldNow(d))
  }
  const vehicles = new Set<number>()
  const pi = new Set<string>()
  const sensitive = new Set<string>()
  const charging = new Set<string>()
  for (const [key, s] of c.sent) {
    if (heldKeys.has(key)) continue
    vehicles.add(s.vehicle)
    for (const p of s.subjects) {
      ;(p.sensitive ? sensitive : pi).add(p.person)
      if (p.charging) charging.add(p.person)
    }
  }
  // What this run added: on a backend someone else runs, counts start where earlier data left them.
  const count = (counter: string, category = '') => Number(status.counts[counter]?.[category] ?? 0) - Number(c.baseline[counter]?.[category] ?? 0)
  const counts: CountCheck[] = [
    { name: 'vehicles (vehicle-identifier)', backend: count('vehicles', 'vehicle-identifier'), truth: vehicles.size },
    { name: 'persons with non-sensitive PI', backend: count('persons.pi'), truth: pi.size },
    { name: 'persons with sensitive PI', backend: count('persons.sensitive'), truth: sensitive.size },
    { name: 'persons with charging data', backend: count('persons.charging'), truth: charging.size },
  ]

  // Every byte that crossed, searched for every planted item in raw, base64 and hex form.
  const crossed = Buffer.concat(d.sink.received.map((x) => x.body)).toString('latin1')
  const leaks: string[] = []
  for (const k of new Set(c.planted)) if ([...forbiddenForms(k), ...jwkMembers(k)].some((f) => crossed.includes(f))) leaks.push(`key material ${k.label}`)
  for (const f of controlForms()) if (crossed.includes(f)) leaks.push(`control instruction form ${f}`)
  const structural = d.sink.received.reduce((n, x) => n + controlsIn(x.body), 0)
  if (structural) leaks.push(`${structural} control instruction(s) in sanitised payloads`)

  const incidents: Record<string, number> = {}
  const stripped: Record<string, number> = {}
  const list = (await d.api('/api/incidents?limit=10000')) as { incidents?: { type: string; count?: number }[] }
  for (const i of list.incidents ?? []) {
    incidents[i.type] = (incidents[i.type] ?? 0) + 1
    if (i.type === 'ADX_INC_KEY_MATERIAL_AT_EGRESS') stripped['key-material'] = (stripped['key-material'] ?? 0) + (i.count ?? 1)
    if (i.type === 'ADX_INC_CONTROL_AT_EGRESS') stripped['control-instruction'] = (stripped['control-instruction'] ?? 0) + (i.count ?? 1)
  }

  const bundle = (await d.api(`/api/audit/export?year=${countingYear(Date.now())}`)) as { files?: Record<string, string> }
  const files = new Map(Object.entries(bundle.files ?? {}).map(([n, t]) => [n, Buffer.from(t)]))
  const verdict = verifyAuditExport(files, { publicKeyPem: d.backend.signer.publicKeyPem })
  const heldTotal = Object.values(held).reduce((a, b) => a + b, 0)
  return {
    vehicles: c.opts.vehicles,
    agents: d.agents.length,
    persons: d.fleet.persons.length,
    payloads: { submitted: c.submitted, delivered: d.sink.ids().size, held: heldTotal },
    planted: { keys: c.planted.length, controls: c.plantedControls },
    stripped,
    held,
    incidents,
    counts,
    leaks,
    audit: { verified: verdict.ok && files.size > 0, problems: verdict.ok ? [] : JSON.stringify(verdict).slice(0, 500).split('\n') },
    faults: c.faults,
    seconds: (performance.now() - c.t0) / 1000,
  }
}
