/**
 * The simulator's backend: the real one on the embedded defaults, either in this process or as
 * a child process (`adx backend -c`) that a fault run can SIGKILL and start again on the same
 * data, ports and signing key. Its ports and key are fixed before it starts, so agents and the
 * sink survive its restarts.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Logger } from 'pino'
import { parseConfig } from '../backend/config.ts'
import { type RunningBackend, startBackend } from '../backend/server.ts'
import { generateSigningKey } from '../shared/signature.ts'

const BIN = fileURLToPath(new URL('../bin/adx.js', import.meta.url))

/** A free TCP port on 127.0.0.1 (bound and released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })
}

/** The backend as the simulator sees it. */
export interface SimBackend {
  http: { host: string; port: number }
  broker: { host: string; port: number }
  signer: { publicKeyPem: string }
  /** The SQLite file (provisioning writes it before the backend starts). */
  storePath: string
  /** The in-process backend, when it runs in this process. */
  readonly inProcess: RunningBackend | undefined
  /** Start (in this process, or as a child process when `process` was asked for). */
  start(): Promise<void>
  /** SIGKILL the child process (no shutdown of any kind); in process: stop it. */
  kill(): Promise<void>
  stop(): Promise<void>
}

export interface SimBackendOptions {
  dir: string
  token: string
  httpPort?: number
  /** Run as a child process (fault runs kill it). */
  process?: boolean
  log: Logger
  /** Persons / sensitive persons per quota lease. */
  lease: { persons: number; sensitivePersons: number }
}

/** Prepare the backend's configuration and key (nothing runs yet). */
export async function prepareSimBackend(options: SimBackendOptions): Promise<SimBackend> {
  const opts = { ...options, dir: resolve(options.dir) }
  const dataDir = join(opts.dir, 'backend')
  mkdirSync(dataDir, { recursive: true })
  const key = generateSigningKey()
  writeFileSync(join(dataDir, 'policy-signing-key.pem'), key.privateKeyPem, { mode: 0o600 })
  const httpPort = opts.httpPort || (await freePort())
  const brokerPort = await freePort()
  const raw = {
    dataDir,
    http: { port: httpPort },
    broker: { mode: 'embedded', port: brokerPort },
    api: { accounts: [{ id: 'sim-officer', role: 'officer', token: opts.token }] },
    policy: { reevaluateIntervalMs: 1000, lease: opts.lease },
    log: { level: opts.process ? 'warn' : 'silent' },
  }
  const configPath = join(opts.dir, 'backend.json')
  writeFileSync(configPath, JSON.stringify(raw, null, 2))
  let running: RunningBackend | undefined
  let child: ChildProcess | undefined
  const health = async () => {
    const end = Date.now() + 60_000
    while (Date.now() < end) {
      if (child && child.exitCode !== null) throw new Error(`backend exited with ${child.exitCode} (see ${join(opts.dir, 'backend.log')})`)
      try {
        const r = await fetch(`http://127.0.0.1:${httpPort}/api/health`)
        if (r.ok) return
      } catch {
        // not up yet
      }
      await new Promise((r) => setTimeout(r, 100))
    }
    throw new Error('backend did not become healthy within 60 s')
  }
  /** In process: stop it; a child: send the signal and wait for it to exit. */
  const end = async (signal: 'SIGKILL' | 'SIGTERM') => {
    if (running) {
      await running.stop()
      running = undefined
    }
    const c = child
    if (!c || c.exitCode !== null) return
    const gone = new Promise<void>((resolve) => c.once('exit', () => resolve()))
    c.kill(signal)
    await gone
    child = undefined
  }
  return {
    http: { host: '127.0.0.1', port: httpPort },
    broker: { host: '127.0.0.1', port: brokerPort },
    signer: { publicKeyPem: key.publicKeyPem },
    storePath: join(dataDir, 'backend.sqlite'),
    get inProcess() {
      return running
    },
    async start() {
      if (!opts.process) {
        running = await startBackend(parseConfig(raw, opts.dir), { logger: opts.log })
        return
      }
      const out = createWriteStream(join(opts.dir, 'backend.log'), { flags: 'a' })
      child = spawn(process.execPath, [BIN, 'backend', '-c', configPath], { stdio: ['ignore', 'pipe', 'pipe'] })
      child.stdout!.pipe(out, { end: false })
      child.stderr!.pipe(out, { end: false })
      await health()
    },
    kill: () => end('SIGKILL'),
    stop: () => end('SIGTERM'),
  }
}

/** A backend someone else runs (`adx sim --backend URL`): reached through its API and broker only. */
export async function externalSimBackend(url: string, token: string, brokerUrl?: string): Promise<SimBackend> {
  const http = new URL(url)
  const res = await fetch(new URL('/api/policy', http), { headers: { authorization: `Bearer ${token}` } })
  if (!res.ok) throw new Error(`${url}: GET /api/policy answered ${res.status} (is the token an admin's?)`)
  const { publicKeyPem } = (await res.json()) as { publicKeyPem: string }
  const broker = new URL(brokerUrl ?? `mqtt://${http.hostname}:1883`)
  const refuse = async () => {
    throw new Error('an external backend is not started, killed or stopped by the simulator')
  }
  return {
    http: { host: http.hostname, port: Number(http.port || 80) },
    broker: { host: broker.hostname, port: Number(broker.port || 1883) },
    signer: { publicKeyPem },
    storePath: '',
    inProcess: undefined,
    start: async () => undefined,
    kill: refuse,
    stop: async () => undefined,
  }
}
