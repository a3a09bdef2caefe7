/**
 * `adx sim`: run a simulated fleet of real agents against a backend on the embedded defaults
 * and an abroad sink, then check it against the simulator's ground truth. Exit code 0 when
 * nothing planted crossed, the backend's counts equal the truth and the audit export verifies;
 * 1 otherwise.
 */
import { InvalidArgumentError, type Command } from 'commander'
import { AdxError } from '../shared/errors.ts'
import { runSimulation } from '../simulator/sim.ts'
import { runThreshold } from '../simulator/threshold.ts'
import { runStory } from './demo.ts'
import { progressReporter } from './progress.ts'
import { formatSimSummary, formatThresholdSummary, simPassed } from './sim-report.ts'

interface SimCliOptions {
  vehicles: number
  messages?: number
  duration?: number
  seed: number
  perGateway?: number
  filings: 'all' | 'none'
  keyRate: number
  controlRate: number
  dir: string
  json: boolean
  story: boolean
  faults: boolean
  threshold: boolean
  backend?: string
  token?: string
  broker?: string
  port: number
  once: boolean
}

const int = (min: number, max: number) => (value: string) => {
  const n = Number(value)
  if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`must be an integer from ${min} to ${max}`)
  return n
}
const rate = (value: string) => {
  const n = Number(value)
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError('must be a number from 0 to 1')
  return n
}
const seconds = (value: string) => {
  const m = /^(\d+)(s|m)?$/.exec(value)
  if (!m) throw new InvalidArgumentError('must be seconds (e.g. 90 or 90s) or minutes (e.g. 5m)')
  return Number(m[1]) * (m[2] === 'm' ? 60_000 : 1000)
}

/** Register `adx sim`. */
export function registerSimCommand(program: Command): void {
  program
    .command('sim')
    .description('run a simulated fleet of real agents (gateways when large) against the backend and an abroad sink; check it against the ground truth')
    .requiredOption('--vehicles <n>', 'vehicles in the fleet', int(1, 200_000))
    .option('--messages <n>', 'payloads per vehicle (default 3)', int(1, 10_000))
    .option('--duration <time>', 'drive rounds for this long instead of --messages (90s, 5m)', seconds)
    .option('--seed <n>', 'seed: the same seed gives the same fleet and payloads', int(0, 2 ** 31), 1)
    .option('--per-gateway <n>', 'vehicles per agent (1 = one agent and connection per vehicle); default 1 up to 20 vehicles, else 100', int(1, 100_000))
    .option('--filings <which>', 'filings on record before driving: all | none', (v) => {
      if (v !== 'all' && v !== 'none') throw new InvalidArgumentError('must be all or none')
      return v
    }, 'all')
    .option('--key-rate <r>', 'share of payloads with planted key material', rate, 0.05)
    .option('--control-rate <r>', 'share of payloads with planted control instructions', rate, 0.1)
    .option('--dir <path>', 'working folder (wiped at start)', '.adx/sim')
    .option('--faults', 'fault run: SIGKILL the backend and two agents a third of the way in, restart them, and still expect exact counts', false)
    .option('--threshold', 'the threshold run: drive --vehicles (use 100100) up to and across 100,000 vehicles and 1,000,000 persons, before and after a security assessment is recorded', false)
    .option('--backend <url>', 'use a running backend (its HTTP API) instead of starting one; needs --token (an admin account) and its broker')
    .option('--token <token>', 'admin bearer token for --backend (default: ADX_TOKEN)')
    .option('--broker <url>', 'the broker the backend listens on, with --backend (default mqtt://<backend host>:1883)')
    .option('--json', 'print the summary as JSON', false)
    .option('--story', 'the demo story: send with nothing on file, then record filings and watch held exports go; the backend keeps running (npm start)', false)
    .option('--port <n>', 'HTTP API port with --story (0 = any free port)', int(0, 65_535), 8080)
    .option('--once', 'with --story: stop after the run instead of keeping the backend up', false)
    .action(async (opts: SimCliOptions) => {
      const token = opts.token ?? process.env.ADX_TOKEN
      if (opts.backend && !token) throw new AdxError('ADX_ERR_INPUT', '--backend needs --token (or ADX_TOKEN): an admin account of that backend')
      if (opts.backend && (opts.faults || opts.threshold || opts.story)) throw new AdxError('ADX_ERR_INPUT', '--backend runs the plain simulation only (--faults, --threshold and --story start their own backend)')
      if (opts.threshold) {
        const t = await runThreshold({ dir: opts.dir, vehicles: opts.vehicles, ...(opts.perGateway !== undefined ? { perGateway: opts.perGateway } : {}), onProgress: (l) => process.stderr.write(`sim: ${l}\n`) })
        process.stdout.write(opts.json ? `${JSON.stringify(t, null, 2)}\n` : formatThresholdSummary(t))
        if (!t.checks.every((c) => c.ok)) process.exitCode = 1
        return
      }
      if (opts.story) return runStory({ vehicles: opts.vehicles, payloads: opts.messages ?? 6, dir: opts.dir, port: opts.port, once: opts.once, seed: opts.seed })
      const bar = progressReporter()
      const summary = await runSimulation({
        vehicles: opts.vehicles,
        messages: opts.messages ?? 3,
        ...(opts.duration !== undefined ? { durationMs: opts.duration } : {}),
        seed: opts.seed,
        dir: opts.dir,
        filings: opts.filings,
        keyRate: opts.keyRate,
        controlRate: opts.controlRate,
        faults: opts.faults,
        ...(opts.backend ? { backend: { url: opts.backend, token: token!, ...(opts.broker ? { broker: opts.broker } : {}) } } : {}),
        ...(opts.perGateway !== undefined ? { perGateway: opts.perGateway } : {}),
        onProgress: (p) => bar.update(p),
      })
      bar.done()
      process.stdout.write(opts.json ? `${JSON.stringify(summary, null, 2)}\n` : formatSimSummary(summary))
      if (!simPassed(summary)) process.exitCode = 1
    })
}
