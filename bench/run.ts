/**
 * `npm run bench` (`tsx bench/run.ts [--quick] [--only inspect,agent,backend,audit] [--keep] [--rounds N | --rounds name=N,…]`):
 * runs every benchmark, one after the other, each in its own child process
 * (`node --import tsx bench/child.ts <name>`: fresh heap, its own RSS, no bench sees another's
 * memory), streams their logs, parses each one's final `BENCH_RESULT {json}` line, saves the
 * results to bench/results/<quick|full>.json after every bench and writes BENCHMARKS.md
 * (bench/report.ts) after every bench too, so an interrupted run still leaves a report that says
 * what was not measured. --only runs a subset; with --keep the other benches' saved results of
 * the same mode are kept (to re-run one bench), otherwise they are dropped.
 *
 * Rounds: each bench child runs `--rounds` times (default 3 for the short benches, inspect and
 * backend; 1 for agent and audit — see DEFAULT_ROUNDS for why), one after the other, and every
 * round's BENCH_RESULT is kept (`results`); bench/report.ts gives each figure as the median
 * [min–max] over the rounds and says where a figure is a single run and why. `--rounds 5` sets
 * the short benches' rounds, `--rounds backend=5,agent=2` sets any bench's.
 * Not a test: nothing fails on timing; the exit code is 0 unless the harness itself breaks.
 */
import { execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus, release, totalmem, type as osType } from 'node:os'
import { dirname } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { type BenchRun, DEFAULT_ROUNDS, resultsPath, type RunFile, writeReport } from './report.ts'

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
const roundsArg = args.find((a) => a.startsWith('--rounds'))
const rounds: Record<string, number> = { ...DEFAULT_ROUNDS }
if (roundsArg) {
  // --rounds=3, --rounds 3, --rounds=backend=5,agent=2 or --rounds backend=5,agent=2
  const v = roundsArg.startsWith('--rounds=') ? roundsArg.slice('--rounds='.length) : args[args.indexOf(roundsArg) + 1] ?? ''
  for (const part of v.split(',')) {
    const [k, n] = part.includes('=') ? part.split('=') : [undefined, part]
    const count = Number(n)
    if (!Number.isInteger(count) || count < 1) throw new Error(`--rounds: "${part}" is not a positive round count`)
    if (k === undefined) for (const short of ['inspect', 'backend']) rounds[short] = count
    else if ((ALL as readonly string[]).includes(k)) rounds[k] = count
    else throw new Error(`--rounds: unknown bench "${k}" (${ALL.join(', ')})`)
  }
}

// --results FILE / --report FILE: elsewhere than bench/results/<mode>.json and BENCHMARKS.md (to try the harness).
const opt = (name: string) => {
  const a = args.find((x) => x === name || x.startsWith(`${name}=`))
  return a === undefined ? undefined : a.includes('=') ? a.slice(name.length + 1) : args[args.indexOf(a) + 1]
}
const path = opt('--results') ?? resultsPath(quick)
const reportPath = opt('--report') ?? `${ROOT}BENCHMARKS.md`
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
  writeReport(file, reportPath)
}

console.log(`bench/run.ts: ${quick ? 'QUICK' : 'FULL'} run of ${only.join(', ')}; each in its own child process, one at a time`)
for (const name of only) {
  const n = rounds[name] ?? 1
  const all: BenchRun[] = []
  for (let k = 1; k <= n; k++) {
    console.log(`\n========== ${name}${n > 1 ? ` (round ${k} of ${n})` : ''} ==========`)
    const r = await runChild(name, quick)
    all.push(r)
    // The first round that produced a result is the one the report's detail sections describe;
    // every round's result is kept for the per-figure median [min–max].
    const first = all.find((x) => x.result !== undefined) ?? all[0]!
    file.runs[name] = {
      ...first,
      seconds: all.reduce((a, x) => a + x.seconds, 0),
      startedIso: all[0]!.startedIso,
      roundsAsked: n,
      results: all.filter((x) => x.result !== undefined).map((x) => x.result),
      roundErrors: all.filter((x) => x.result === undefined).map((x) => x.error ?? `exit ${x.exitCode}`),
    }
    console.log(`========== ${name}${n > 1 ? ` round ${k}` : ''}: ${r.result ? 'ok' : `FAILED: ${r.error?.split('\n')[0]}`} in ${r.seconds.toFixed(0)} s ==========`)
    save()
  }
}
file.finishedIso = new Date().toISOString()
save()
console.log(`\nwrote ${path} and ${reportPath}`)
console.log('\npackage.json script lines:')
console.log('    "bench": "tsx bench/run.ts",')
console.log('    "bench:audit": "tsx bench/audit.bench.ts"')
