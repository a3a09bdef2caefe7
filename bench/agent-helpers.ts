/**
 * Helpers for bench/agent.bench.ts: ~1 KB protobuf payloads, a keep-alive HTTP poster, free
 * ports, the bundled agent as a child process (config file, readiness, RSS from /proc) and a
 * memoryUsage() probe preloaded into the bundle with `node --import` (no change to the agent).
 * Everything listens on 127.0.0.1 only.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { wire } from '../shared/wire/index.ts'
import { PSEUDONYM_KEY_HEX, VIN } from '../agent/daemon/test-fixtures.ts'
import { AGENT_LAUNCH_ENV, AGENT_NODE_ARGS } from '../agent/daemon/launch.ts'

export const ROOT = fileURLToPath(new URL('..', import.meta.url))
export const BUNDLE = join(ROOT, 'dist', 'agent', 'adx-agent.mjs')

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** A telemetry OutboundPayload of at least `bytes` bytes (protobuf), with id `id`. */
export function payloadBytes(id: string, destination: string, bytes = 1024): Uint8Array {
  const t = Date.UTC(2026, 5, 1)
  const paths = ['Vehicle.Speed', 'Vehicle.OBD.EngineSpeed', 'Vehicle.Powertrain.TractionBattery.StateOfCharge.Current', 'Vehicle.Cabin.HVAC.AmbientAirTemperature']
  const samples: Record<string, unknown>[] = []
  for (;;) {
    const obj = { id, vehicleId: VIN, createdMs: t, destination, purpose: 'fleet-quality', telemetry: { samples } }
    const b = wire.OutboundPayload.encode(wire.OutboundPayload.fromObject(obj)).finish()
    if (b.length >= bytes) return b
    const i = samples.length
    samples.push({ path: paths[i % paths.length], timestampMs: t + i * 100, value: { number: 40 + (i % 17) } })
  }
}

/** `count` payloads with ids `${prefix}${i}`. */
export function payloads(prefix: string, count: number, destination: string): Uint8Array[] {
  return Array.from({ length: count }, (_, i) => payloadBytes(`${prefix}${i}`, destination))
}

/** A keep-alive protobuf poster to `POST /v1/payloads` (or `path`, e.g. `/v1/payloads/batch`). */
export function poster(port: number, sockets: number, path = '/v1/payloads'): { post(body: Uint8Array): Promise<number>; close(): void } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: sockets })
  return {
    post: (body) =>
      new Promise<number>((resolve) => {
        const req = http.request(
          { host: '127.0.0.1', port, path, method: 'POST', agent, headers: { 'content-type': 'application/x-protobuf', 'content-length': body.length } },
          (res) => {
            res.resume()
            res.on('end', () => resolve(res.statusCode ?? 0))
          },
        )
        req.setTimeout(30_000, () => req.destroy())
        req.on('error', () => resolve(0))
        req.end(body)
      }),
    close: () => agent.destroy(),
  }
}

/** POST `bodies` with `clients` concurrent keep-alive clients (to `path`); resolves with seconds and statuses (accepted = 202s). */
export async function postAll(port: number, bodies: readonly Uint8Array[], clients: number, path?: string): Promise<{ seconds: number; accepted: number; other: Map<number, number> }> {
  const p = poster(port, clients, path)
  let next = 0
  let accepted = 0
  const other = new Map<number, number>()
  const t0 = performance.now()
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < bodies.length) {
        const s = await p.post(bodies[next++]!)
        if (s === 202) accepted++
        else other.set(s, (other.get(s) ?? 0) + 1)
      }
    }),
  )
  const seconds = (performance.now() - t0) / 1000
  p.close()
  return { seconds, accepted, other }
}

/** A free TCP port on 127.0.0.1 (bound then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo
      s.close(() => resolve(port))
    })
  })
}

/** Resolves once something accepts a TCP connection on 127.0.0.1:port (polls every `everyMs`). */
export async function waitAccepting(port: number, timeoutMs = 20_000, everyMs = 2): Promise<void> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port })
      s.once('connect', () => (s.destroy(), resolve(true)))
      s.once('error', () => (s.destroy(), resolve(false)))
    })
    if (ok) return
    if (Date.now() > end) throw new Error(`nothing accepted on 127.0.0.1:${port} within ${timeoutMs} ms`)
    await sleep(everyMs)
  }
}

/**
 * VmRSS / VmHWM of a process in MiB, from /proc/<pid>/status (undefined once it is gone), and
 * VmRSS split into anonymous memory (heaps, WebAssembly memory) and file-backed pages (mostly
 * the node executable's code and read-only data that the process has touched).
 */
export function procMem(pid: number): { rssMiB: number; hwmMiB: number; anonMiB: number; fileMiB: number } | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8')
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? Number.NaN)
    return { rssMiB: kb('VmRSS') / 1024, hwmMiB: kb('VmHWM') / 1024, anonMiB: kb('RssAnon') / 1024, fileMiB: kb('RssFile') / 1024 }
  } catch {
    return undefined
  }
}

/** The agent config file for the bundle (JSON is YAML). */
export interface BundleConfigInput {
  dir: string
  httpPort: number
  backendPort: number
  policyPublicKeyPem: string
  sinkUrl: string
  sinkPin: string
  outbox?: { maxBytes?: number; maxItems?: number }
  logLevel?: string
}

export function writeBundleConfig(c: BundleConfigInput): string {
  const file = join(c.dir, 'agent.yaml')
  const cfg = {
    vehicle: { id: 'veh-1' },
    backend: { url: `mqtt://127.0.0.1:${c.backendPort}`, password: 'pw', policyPublicKey: c.policyPublicKeyPem },
    pseudonymKey: PSEUDONYM_KEY_HEX,
    dataDir: join(c.dir, 'data'),
    ...(c.outbox ? { outbox: c.outbox } : {}),
    ingress: { http: { host: '127.0.0.1', port: c.httpPort } },
    destinations: [{ name: 'oem-eu', region: 'abroad', recipient: 'CN=sink.test', transport: 'https', url: c.sinkUrl, pinSha256: c.sinkPin }],
    heartbeatSeconds: 60,
    log: { level: c.logLevel ?? 'info' },
  }
  writeFileSync(file, JSON.stringify(cfg, null, 2))
  return file
}

/** Source of a `node --import` preload that prints `ADXMEM {json}` on stderr every `everyMs`. */
export function writeMemProbe(dir: string, everyMs: number): string {
  const file = join(dir, 'adx-memprobe.mjs')
  writeFileSync(
    file,
    `import v8 from 'node:v8'
const t = setInterval(() => {
  const m = process.memoryUsage()
  const spaces = Object.fromEntries(v8.getHeapSpaceStatistics().map((s) => [s.space_name, s.space_used_size]))
  const h = v8.getHeapStatistics()
  process.stderr.write('ADXMEM ' + JSON.stringify({ ...m, spaces, mallocedMemory: h.malloced_memory, externalMemory: h.external_memory }) + '\\n')
}, ${everyMs})
t.unref()
`,
  )
  return file
}

/** The bundled agent as a child process. */
export interface BundledAgent {
  child: ChildProcess
  pid: number
  /** ms from spawn to the HTTP ingress accepting a connection. */
  readyMs: number
  /** ms from spawn to the "agent started" log line (NaN if not seen by then). */
  startedLogMs: number
  /** Last memoryUsage() printed by the probe (when started with one). */
  lastProbe(): Record<string, unknown> | undefined
  stderr(): string
  stop(): Promise<number | null>
}

/**
 * Spawn the bundle as deployed and wait for the ingress: `node <AGENT_NODE_ARGS> [nodeArgs]
 * dist/agent/adx-agent.mjs agent --config FILE` with AGENT_LAUNCH_ENV in the environment, which
 * is what the `dist/agent/adx-agent` launcher (and so the systemd unit) runs; node is this
 * process's node. `asDeployed: false` runs bare `node [nodeArgs] bundle` instead (for comparisons).
 */
export async function spawnBundled(configFile: string, httpPort: number, opts: { nodeArgs?: string[]; bundle?: string; asDeployed?: boolean } = {}): Promise<BundledAgent> {
  const bundle = opts.bundle ?? BUNDLE
  if (!existsSync(bundle)) throw new Error(`${bundle} missing (npx tsx scripts/build-agent.ts)`)
  const deployed = opts.asDeployed ?? true
  const t0 = performance.now()
  const child = spawn(process.execPath, [...(deployed ? AGENT_NODE_ARGS : []), ...(opts.nodeArgs ?? []), bundle, 'agent', '--config', configFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: deployed ? { ...AGENT_LAUNCH_ENV, ...process.env } : process.env,
  })
  let startedLogMs = Number.NaN
  let out = ''
  let err = ''
  let probe: Record<string, unknown> | undefined
  child.stdout!.setEncoding('utf8')
  child.stdout!.on('data', (d: string) => {
    if (Number.isNaN(startedLogMs) && (out + d).includes('"msg":"agent started"')) startedLogMs = performance.now() - t0
    out = (out + d).slice(-4096)
  })
  child.stderr!.setEncoding('utf8')
  let pending = ''
  child.stderr!.on('data', (d: string) => {
    pending += d
    let i: number
    while ((i = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, i)
      pending = pending.slice(i + 1)
      if (line.startsWith('ADXMEM ')) probe = JSON.parse(line.slice(7)) as Record<string, unknown>
      else err = (err + line + '\n').slice(-8192)
    }
  })
  let exited: number | null | undefined
  const exit = new Promise<number | null>((r) => child.once('exit', (code) => ((exited = code), r(code))))
  const stop = async () => {
    if (exited === undefined) {
      child.kill('SIGTERM')
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000)
      const code = await exit
      clearTimeout(t)
      return code
    }
    return exited
  }
  try {
    await Promise.race([waitAccepting(httpPort, 20_000, 1), exit.then((c) => Promise.reject(new Error(`agent exited ${c}: ${err}${out}`)))])
  } catch (e) {
    await stop()
    throw e
  }
  const readyMs = performance.now() - t0
  return { child, pid: child.pid!, readyMs, get startedLogMs() { return startedLogMs }, lastProbe: () => probe, stderr: () => err, stop }
}

/** Spawn a plain node process with `args`; resolves once 127.0.0.1:port accepts (ms from spawn). */
export async function spawnPlain(args: string[], port?: number): Promise<{ child: ChildProcess; readyMs: number; stop(): Promise<void> }> {
  const t0 = performance.now()
  const child = spawn(process.execPath, args, { stdio: 'ignore' })
  const exit = new Promise<void>((r) => child.once('exit', () => r()))
  if (port !== undefined) await waitAccepting(port, 10_000, 1)
  const readyMs = performance.now() - t0
  return {
    child,
    readyMs,
    stop: async () => {
      child.kill('SIGKILL')
      await exit
    },
  }
}
