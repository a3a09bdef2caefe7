/**
 * A simulated vehicle's (or gateway's) agent: the real daemon, in this process or as a child
 * process (`adx agent -c`, fed through its loopback HTTP ingress) that a fault run can SIGKILL.
 * After a kill it starts again in this process on the same files: whatever it acknowledged is
 * in its outbox and goes on from there.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Logger } from 'pino'
import { resolveAgentConfig } from '../agent/daemon/config.ts'
import type { Core } from '../agent/daemon/core.ts'
import { type RunningAgent, startAgent } from '../agent/daemon/daemon.ts'
import type { Accepted, Submission } from '../agent/daemon/ingress/accept.ts'
import { freePort } from './sim-backend.ts'

const BIN = fileURLToPath(new URL('../bin/adx.js', import.meta.url))
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** An agent of the simulated fleet. */
export interface SimAgent {
  /** Its backend identity (vehicle id, or gateway id). */
  readonly id: string
  /** The running daemon's resources; only while it runs in this process. */
  readonly core: Core
  readonly inProcess: boolean
  /** Accept a payload (a gateway: for `vehicle`); a child that is down is retried until it is back. */
  submit(payload: Submission, vehicle?: string): Promise<Accepted>
  /** SIGKILL a child process (no shutdown of any kind). */
  kill(): Promise<void>
  /** Start again, in this process, on the same files. */
  restart(): Promise<void>
  stop(): Promise<void>
}

/** Start an agent from a raw (file-format) configuration. */
export async function startSimAgent(id: string, raw: Record<string, unknown>, o: { dir: string; log: Logger; child?: boolean }): Promise<SimAgent> {
  let agent: RunningAgent | undefined
  let child: ChildProcess | undefined
  let down = false
  let httpUrl = ''
  const inProcess = async () => {
    agent = await startAgent(resolveAgentConfig(raw, {}, o.dir), { log: o.log })
  }
  if (o.child) {
    const port = await freePort()
    const file = join(o.dir, `agent-${id}.json`)
    writeFileSync(file, JSON.stringify({ ...raw, ingress: { http: { port } }, log: { level: 'warn' } }, null, 2))
    child = spawn(process.execPath, [BIN, 'agent', '--config', file], { stdio: ['ignore', 'ignore', 'inherit'] })
    httpUrl = `http://127.0.0.1:${port}/v1/payloads`
    const end = Date.now() + 30_000
    for (;;) {
      try {
        await fetch(httpUrl, { method: 'GET' })
        break
      } catch {
        if (Date.now() > end || child.exitCode !== null) throw new Error(`agent ${id} did not start`)
        await sleep(100)
      }
    }
  } else await inProcess()
  const viaHttp = async (payload: Submission, vehicle?: string): Promise<Accepted> => {
    const body = typeof payload === 'string' ? payload : payload instanceof Uint8Array ? payload : JSON.stringify(payload)
    for (;;) {
      if (agent) return agent.submit(payload, vehicle === undefined ? undefined : { vehicle })
      if (!down) {
        try {
          const res = await fetch(httpUrl, {
            method: 'POST',
            headers: { 'content-type': body instanceof Uint8Array ? 'application/x-protobuf' : 'application/json', ...(vehicle ? { 'x-adx-vehicle': vehicle } : {}) },
            body,
          })
          const json = (await res.json()) as Accepted & { error?: { code: string; message: string } }
          if (res.status === 202) return json
          if (res.status < 500) throw new Error(`${json.error?.code}: ${json.error?.message}`)
        } catch (e) {
          if (e instanceof Error && /^ADX_/.test(e.message)) throw e
        }
      }
      await sleep(200) // the app on the vehicle retries until its agent is back
    }
  }
  return {
    id,
    get core() {
      if (!agent) throw new Error(`agent ${id} runs in a child process`)
      return agent.core
    },
    get inProcess() {
      return agent !== undefined
    },
    submit: (p, vehicle) => (agent ? agent.submit(p, vehicle === undefined ? undefined : { vehicle }) : viaHttp(p, vehicle)),
    async kill() {
      const c = child
      if (!c || c.exitCode !== null) return
      down = true
      const gone = new Promise<void>((resolve) => c.once('exit', () => resolve()))
      c.kill('SIGKILL')
      await gone
      child = undefined
    },
    async restart() {
      if (agent) return
      await inProcess()
      down = false
    },
    async stop() {
      if (agent) await agent.stop()
      agent = undefined
      const c = child
      if (!c || c.exitCode !== null) return
      const gone = new Promise<void>((resolve) => c.once('exit', () => resolve()))
      c.kill('SIGTERM')
      await gone
    },
  }
}
