/**
 * `node --import tsx bench/child.ts <inspect|agent|backend|audit> [--quick]`: runs one benchmark
 * module's exported function in this (fresh) process, its log on stdout, then prints one final
 * line `BENCH_RESULT {"name":…,"result":…}` that bench/run.ts parses. The bench modules are
 * imported unchanged: this wrapper is the only glue.
 */
import { existsSync } from 'node:fs'
import { execFileSync } from 'node:child_process'

const name = process.argv[2]
const quick = process.argv.includes('--quick')
const log = (s: string) => console.log(s)

async function main(): Promise<unknown> {
  switch (name) {
    case 'inspect': {
      // inspect has no quick switch of its own: --quick shortens its rounds through its env knobs.
      if (quick) {
        process.env.BENCH_ROUNDS ??= '3'
        process.env.BENCH_SECONDS ??= '1'
      }
      const { benchInspect } = await import('./inspect.bench.ts')
      return benchInspect(log)
    }
    case 'agent': {
      const mod = (await import('./agent.bench.ts')) as Record<string, unknown>
      if (typeof mod.benchAgent !== 'function') throw new Error('bench/agent.bench.ts exports no benchAgent function')
      const { BUNDLE, ROOT } = await import('./agent-helpers.ts')
      if (!existsSync(BUNDLE)) {
        log('dist/agent missing: building it (npx tsx scripts/build-agent.ts)')
        execFileSync('npx', ['tsx', 'scripts/build-agent.ts'], { cwd: ROOT, stdio: 'inherit' })
      }
      return (mod.benchAgent as (o: { quick?: boolean; log?: (s: string) => void }) => Promise<unknown>)({ quick, log })
    }
    case 'backend': {
      const { benchBackend } = await import('./backend.bench.ts')
      return benchBackend(log, { quick })
    }
    case 'audit': {
      const { benchAudit } = await import('./audit.bench.ts')
      return benchAudit(log, { quick })
    }
    default:
      throw new Error(`unknown bench "${name}" (inspect, agent, backend, audit)`)
  }
}

const t0 = performance.now()
try {
  const result = await main()
  const seconds = (performance.now() - t0) / 1000
  process.stdout.write(`BENCH_RESULT ${JSON.stringify({ name, quick, seconds, result })}\n`, () => process.exit(0))
} catch (e) {
  process.stdout.write(`BENCH_RESULT ${JSON.stringify({ name, quick, seconds: (performance.now() - t0) / 1000, error: (e as Error).stack ?? String(e) })}\n`, () => process.exit(1))
}
