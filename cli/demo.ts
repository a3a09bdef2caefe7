/**
 * `adx demo` (what `npm start` runs): ADX on the embedded defaults. A backend (embedded MQTT
 * broker, SQLite), an abroad sink, and a small fleet of real agents in one process. The fleet
 * sends payloads with planted key material and control instructions; the demo prints what
 * crossed the border, what was held and why, and the backend's yearly counts and measure; then
 * an officer records filings, and held exports resume.
 */
import { InvalidArgumentError, type Command } from 'commander'
import type { DemoFleet } from '../simulator/demo-fleet.ts'
import { startSimulation } from '../simulator/sim.ts'

interface DemoOptions {
  vehicles: number
  payloads: number
  dir: string
  port: number
  once: boolean
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function count(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1 || n > 200) throw new InvalidArgumentError('must be an integer from 1 to 200')
  return n
}
function port(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number (0 = any free port)')
  return n
}

/** Wait until every agent's outbox holds nothing but held payloads (or the time is up). */
async function settle(d: DemoFleet, ms = 30_000): Promise<void> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    const busy = d.agents.some((a) => {
      const s = a.core.outbox.stats()
      return s.items - s.held > 0 || s.pendingOps > 0
    })
    if (!busy) return
    await sleep(250)
  }
}

function heldReasons(d: DemoFleet): Map<string, number> {
  const m = new Map<string, number>()
  for (const a of d.agents) for (const h of a.core.outbox.listHeld()) m.set(h.reasonCode, (m.get(h.reasonCode) ?? 0) + 1)
  return m
}

interface Status {
  measure: string
  counts: Record<string, unknown>
  held: { category: string; limitIds: string[] }[]
  limits: { id: string; count: number; value: number; alertLevel: number; covered: boolean }[]
}

async function printStatus(d: DemoFleet, out: (s: string) => void): Promise<void> {
  const s = (await d.api('/api/status')) as Status
  const incidents = (await d.api('/api/incidents')) as { incidents?: unknown[] } | unknown[]
  const n = Array.isArray(incidents) ? incidents.length : (incidents.incidents?.length ?? 0)
  out(`  backend measure      ${s.measure}\n`)
  out(`  held fleet-wide      ${s.held.length ? s.held.map((h) => `${h.category} (${h.limitIds.join(', ')})`).join('; ') : 'nothing'}\n`)
  for (const l of s.limits.filter((x) => x.count > 0).slice(0, 6))
    out(`  ${l.id.padEnd(44)} ${String(l.count).padStart(7)} of ${l.value}${l.covered ? ' (filing in force)' : ''}\n`)
  out(`  incidents            ${n}\n`)
}

/** What the story run needs. */
export interface StoryOptions {
  vehicles: number
  payloads: number
  dir: string
  port: number
  once: boolean
  seed?: number
}

/**
 * The story `npm start` tells, through the simulator (`adx sim --story`, `adx demo`): the fleet
 * sends with nothing on file (important data waits, planted secrets are stripped, incidents
 * rise), then the officer records filings and held exports go; the backend keeps running.
 */
export async function runStory(opts: StoryOptions, out: (s: string) => void = (s) => process.stdout.write(s)): Promise<void> {
  out(`ADX demo: backend (embedded MQTT broker + SQLite), an abroad sink, ${opts.vehicles} vehicles running the real agent\n\n`)
  const sim = await startSimulation({ vehicles: opts.vehicles, messages: opts.payloads, dir: opts.dir, httpPort: opts.port, filings: 'none', keyRate: 0.1, controlRate: 0.2, ...(opts.seed !== undefined ? { seed: opts.seed } : {}) })
  const d = sim.fleet
  try {
    out(`1. The fleet sends ${opts.payloads} payloads per vehicle to an endpoint abroad, nothing on file\n`)
    await sim.drive(opts.payloads)
    await settle(d)
    const summary1 = await sim.check()
    out(`  submitted            ${summary1.payloads.submitted} (${summary1.planted.keys} with planted key material, ${summary1.planted.controls} control instructions)\n`)
    out(`  crossed the border   ${d.sink.ids().size} payloads; planted secrets found there: ${summary1.leaks.length}\n`)
    for (const [code, n] of heldReasons(d)) out(`  held                 ${n} × ${code}\n`)
    await printStatus(d, out)

    out('\n2. The officer records an MNR approval (location) and a standard contract; the backend pushes signed policy\n')
    await sim.recordFilings()
    // Agents re-inspect held payloads when the signed policy with the filings arrives.
    for (let i = 0; i < 40 && heldReasons(d).size > 0; i++) await sleep(250)
    await settle(d)
    out(`  crossed the border   ${d.sink.ids().size} payloads\n`)
    for (const [code, n] of heldReasons(d)) out(`  still held           ${n} × ${code}\n`)
    await printStatus(d, out)

    const base = `http://${d.backend.http.host}:${d.backend.http.port}`
    out('\nWhere to look:\n')
    out(`  curl -H 'Authorization: Bearer ${d.token}' ${base}/api/status\n`)
    out(`  curl -H 'Authorization: Bearer ${d.token}' ${base}/api/incidents\n`)
    out(`  ${base}/api/openapi.json · ${base}/metrics · data in ${opts.dir}\n`)
    if (!opts.once) {
      out('\nThe backend keeps running; press Ctrl-C to stop.\n')
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve())
        process.once('SIGTERM', () => resolve())
      })
    }
  } finally {
    await sim.stop()
  }
}

/** Register `adx demo` (the story; `npm start` runs it through `adx sim --story`). */
export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('run ADX on the embedded defaults: backend, abroad sink and a small fleet of real agents (= adx sim --story)')
    .option('--vehicles <n>', 'vehicles in the demo fleet', count, 8)
    .option('--payloads <n>', 'payloads per vehicle', count, 6)
    .option('--dir <path>', 'working folder (wiped at start)', '.adx/demo')
    .option('--port <n>', 'HTTP API port (0 = any free port)', port, 8080)
    .option('--once', 'stop after the run instead of keeping the backend up', false)
    .action((opts: DemoOptions) => runStory(opts))
}
