/**
 * `npm run bench` (`tsx bench/run.ts [--quick] [--only inspect,agent,backend,audit] [--keep]`):
 * runs every benchmark, one after the other, each in its own child process
 * (`node --import tsx bench/child.ts <name>`: fresh heap, its own RSS, no bench sees another's
 * memory), streams their logs, parses each one's final `BENCH_RESULT {json}` line, saves the
 * results to bench/results/<quick|full>.json after every bench and writes BENCHMARKS.md
 * (bench/report.ts) after every bench too, so an interrupted run still leaves a report that says
 * what was not measured. --only runs a subset; with --keep the other benches' saved results of
 * the same mode are kept (to re-run one bench), otherwise they are dropped.
 * Not a test: nothing fails on timing; the exit code is 0 unless the harness itself breaks.
 */
import { execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus, release, totalmem, type as osType } from 'node:os'
import { dirname } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { type BenchRun, resultsPath, type RunFile, writeReport } from './report.ts'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const ALL = ['inspect', 'agent', 'backend', 'audit'] as const

function sh(cmd: string): string {
  try {
    return execFileSync('sh', ['-c', cmd], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim()
  } catch (e) {
    return String((e as { stdout?: string }).stdout ?? '').trim()
  }
}

function runChild(name: string, quick: boolean): Promise<BenchRun> {
  const startedIso = new Date().toISOString()
  const t0 = performance.now()
  return new Promise((resolve) => {
    const cp = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./child.ts', import.meta.url)), name, ...(quick ? ['--quick'] : [])], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let parsed: { result?: unknown; error?: string } | undefined
    const partial: unknown[] = []
    createInterface({ input: cp.stdout! }).on('line', (line) => {
      if (line.startsWith('BENCH_RESULT ')) {
        parsed = JSON.parse(line.slice('BENCH_RESULT '.length)) as typeof parsed
        console.log(`[${name}] BENCH_RESULT (${line.length} chars) parsed`)
        return
      }
      if (line.startsWith('AUDIT_STAGE ')) partial.push(JSON.parse(line.slice('AUDIT_STAGE '.length)))
      console.log(`[${name}] ${line}`)
    })
    cp.on('close', (code) => {
      const seconds = (performance.now() - t0) / 1000
      const run: BenchRun = { name, quick, seconds, startedIso, exitCode: code }
      if (parsed?.result !== undefined) run.result = parsed.result
      else run.error = parsed?.error ?? `child exited with ${code} without a BENCH_RESULT line`
      if (partial.length) run.partial = partial
      resolve(run)
    })
  })
}

const args = process.argv.slice(2)
const quick = args.includes('--quick')
const onlyArg = args.find((a) => a.startsWith('--only'))
const only = onlyArg ? (onlyArg.includes('=') ? onlyArg.split('=')[1]! : args[args.indexOf(onlyArg) + 1]!).split(',') : [...ALL]
for (const n of only) if (!(ALL as readonly string[]).includes(n)) throw new Error(`--only: unknown bench "${n}" (${ALL.join(', ')})`)
const keep = args.includes('--keep')

const path = resultsPath(quick)
mkdirSync(dirname(path), { recursive: true })
const c = cpus()
const file: RunFile =
  keep && existsSync(path)
    ? (JSON.parse(readFileSync(path, 'utf8')) as RunFile)
    : {
        quick,
        machine: {
          cpu: `${c[0]?.model ?? 'unknown'}${sh("lscpu | sed -n 's/^Model name: *//p'") && !c[0]?.model?.includes(sh("lscpu | sed -n 's/^Model name: *//p'")) ? ` (${sh("lscpu | sed -n 's/^Model name: *//p'")})` : ''}`,
          cores: c.length,
          memoryGiB: totalmem() / 2 ** 30,
          node: process.version,
          os: `${osType()} ${release()}`,
          sha256sum: sh('sha256sum --version | head -1') || 'not found',
          mosquitto: sh('command -v mosquitto >/dev/null && (mosquitto -h 2>&1 | head -1)') || 'not on PATH',
        },
        startedIso: new Date().toISOString(),
        command: `npx tsx bench/run.ts ${args.join(' ')}`.trim(),
        runs: {},
      }
if (keep) file.command = `${file.command}; then npx tsx bench/run.ts ${args.join(' ')}`
delete file.finishedIso
const save = () => {
  writeFileSync(path, `${JSON.stringify(file, null, 1)}\n`)
  writeReport(file)
}

console.log(`bench/run.ts: ${quick ? 'QUICK' : 'FULL'} run of ${only.join(', ')}; each in its own child process, one at a time`)
for (const name of only) {
  console.log(`\n========== ${name} ==========`)
  const r = await runChild(name, quick)
  file.runs[name] = r
  console.log(`========== ${name}: ${r.result ? 'ok' : `FAILED: ${r.error?.split('\n')[0]}`} in ${r.seconds.toFixed(0)} s ==========`)
  save()
}
file.finishedIso = new Date().toISOString()
save()
console.log(`\nwrote ${path} and ${ROOT}BENCHMARKS.md`)
console.log('\npackage.json script lines:')
console.log('    "bench": "tsx bench/run.ts",')
console.log('    "bench:audit": "tsx bench/audit.bench.ts"')
