/**
 * `npx tsx bench/audit.bench.ts [--quick]` (`npm run bench:audit`): the regulators' audit export of
 * one counting year, against `sha256sum` over the same bytes. Not a test: nothing fails on timing.
 *
 * Fill: a temp SQLite store (the backend's own, openSqliteStore, default settings) receives
 * export records of calendar/counting year 2025 through `store.ingest` — the store's public
 * batch entry point, the same transaction the ingest service's group commit ends in — in
 * transactions of BENCH_AUDIT_FILL_BATCH (20,000) records, each record counted with
 * `countRecord` and its body encoded with protobufjs exactly as the ingest path does. This skips
 * the group-commit queue and MQTT (nothing to measure here) and is the fastest way the store
 * allows without writing its tables behind its back. Records: 10,000 vehicles (quick 1,000), a
 * VIN subject per vehicle and a phone subject from a pool of 200,000 (quick 20,000), 1 in 4
 * records location + IDR-GEO-SURVEYING (important data), the rest vehicle-/person-identifier,
 * three recipients; exportedMs spread over the whole year at every fill stage.
 *
 * The store is filled in stages (quick: 10k, 50k; full: 100k, 400k, 700k, 1M); at each stage:
 *  - export = writeAuditExport (year 2025, streamed to the folder: the `adx export` work minus start-up;
 *    two threads: the export log is chained, hashed and written by a writer thread),
 *  - verify = verifyAuditDir (streamed: the `adx verify` work minus start-up; export-log.jsonl
 *    checked in segments on two threads),
 *  - baseline 1: `sha256sum` (GNU coreutils) over the exported files, in the page cache as
 *    written (so is the verify run's read),
 *  - baseline 2: node:crypto SHA-256 over the same files (readFileSync + createHash),
 * each BENCH_AUDIT_ROUNDS times (3), median [min–max]. Peak RSS: process RSS sampled every 50 ms
 * during each phase (the whole bench runs in its own process; the kernel's maxrss is reported
 * too). Budget BENCH_AUDIT_BUDGET_S (600 s full, 120 s quick) per stage: a stage gets
 * fewer rounds (at least 1) when its fill + rounds, extrapolated linearly from the previous
 * stage, would pass it, and is skipped (and said so) when not even one round fits; a stage that
 * throws is reported with its error and the bench stops there. BENCH_AUDIT_STAGES (a comma-separated
 * list of record counts; BENCH_AUDIT_STAGES=1000000 for the 1M stage alone) picks the stages.
 */
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { writeAuditExport, yearRange } from '../backend/audit/export.ts'
import { verifyAuditDir } from '../backend/audit/verify.ts'
import { countRecord } from '../backend/counting/count-record.ts'
import { countingPlan } from '../backend/counting/plan.ts'
import { gradeTable } from '../backend/incidents/grades.ts'
import { openSqliteStore } from '../backend/store/sqlite.ts'
import type { IngestRecord } from '../backend/store/types.ts'
import { yearWindow } from '../shared/calendar.ts'
import { loadRulePack } from '../shared/rulepack/load.ts'
import { generateSigningKey } from '../shared/signature.ts'
import { type ExportRecord, PayloadKind, wire } from '../shared/wire/index.ts'
import type { RulePack } from '../shared/rulepack/schema.ts'
import type { CountingPlan } from '../backend/counting/plan.ts'
import { fmt, machine, summary } from './stats.ts'

type Summary = { median: number; min: number; max: number }

export interface AuditStage {
  records: number
  /** Seconds to add this stage's records to the store (cumulative records = `records`). */
  fillSeconds: number
  fillRecordsPerSecond: number
  dbBytes: number
  bytesExported: number
  files: Record<string, number>
  export: Summary
  verify: Summary
  sha256sum: Summary
  nodeSha256: Summary
  /** median export ÷ median sha256sum */
  ratioExport: number
  /** median verify ÷ median sha256sum */
  ratioVerify: number
  ratioExportVsNode: number
  ratioVerifyVsNode: number
  verifyOk: boolean
  peakRss: { export: number; verify: number }
  /**
   * The export once more in a fresh process of its own (bench/audit-profile.ts export, the same
   * store): seconds including start-up, and its VmHWM, what `adx export` needs without
   * what the fill left in the bench process.
   */
  exportAlone?: { seconds: number; maxRss: number }
  rounds: number
}

export interface AuditBenchResult {
  machine: string
  quick: boolean
  target: number
  year: number
  stages: AuditStage[]
  skipped: { records: number; reason: string }[]
  failed?: { records: number; error: string }
  maxRssKernel: number
  sha256sumVersion: string
}

/** bench/audit-profile.ts export in a child process: its wall seconds and peak RSS (VmHWM, bytes). */
function exportInOwnProcess(dbPath: string, out: string): { seconds: number; maxRss: number } | undefined {
  try {
    const text = execFileSync(process.execPath, ['--import', 'tsx', new URL('./audit-profile.ts', import.meta.url).pathname, 'export', dbPath, out], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
    const m = /export: ([\d.]+) s wall.*maxrss (\d+) KiB/.exec(text)
    return m ? { seconds: Number(m[1]), maxRss: Number(m[2]) * 1024 } : undefined
  } catch {
    return undefined
  } finally {
    rmSync(out, { recursive: true, force: true })
  }
}

/** The counting year the bench exports. */
export const AUDIT_YEAR = 2025
const YEAR = AUDIT_YEAR

function hex(k: number): string {
  const a = Math.imul(k >>> 0, 0x9e3779b1) >>> 0
  const b = Math.imul((k ^ 0x5bd1e995) >>> 0, 0x85ebca6b) >>> 0
  return a.toString(16).padStart(8, '0') + b.toString(16).padStart(8, '0')
}

/**
 * The bench's records: record(i) is the i-th export record (deterministic), ingestRecord(r) the
 * row store.ingest takes for it (counted and encoded as on the ingest path).
 */
export function auditFixture(pack: RulePack, plan: CountingPlan, opts: { quick: boolean }): { record: (i: number) => ExportRecord; ingestRecord: (r: ExportRecord) => IngestRecord } {
  const vehicles = opts.quick ? 1_000 : 10_000
  const phones = opts.quick ? 20_000 : 200_000
  const w = yearWindow(AUDIT_YEAR, plan.utcOffsetMinutes)
  const span = w.endMs - w.startMs
  const recipients = ['oem-eu', 'oem-us', 'oem-jp']
  // Spread over the year at every stage: record i lands at a Weyl-sequence position in [0, 1).
  const PHI = 0.6180339887498949
  const record = (i: number): ExportRecord => {
    const v = i % vehicles
    const geo = i % 4 === 0
    return {
      recordId: `rec-${i}`,
      payloadId: `pl-${i}`,
      vehiclePseudonym: `veh-${hex(v)}`,
      exportedMs: w.startMs + Math.floor(((i * PHI) % 1) * (span - 1)),
      destination: 'oem-cloud',
      recipient: recipients[i % 3]!,
      purpose: 'remote-diagnostics',
      kind: geo ? PayloadKind.TELEMETRY : PayloadKind.DIAGNOSTIC,
      categories: geo ? ['location'] : ['vehicle-identifier', 'person-identifier'],
      ruleIds: geo ? ['IDR-GEO-SURVEYING'] : [],
      subjects: [
        { pseudonym: `psn:vin:${hex(v)}`, kind: 'vin', sensitive: false, charging: false },
        { pseudonym: `psn:phone:${hex(1_000_000 + (i % phones))}`, kind: 'phone', sensitive: i % 10 === 0, charging: false },
      ],
      originalBytes: 1000 + (i % 500),
      exportedBytes: 600 + (i % 300),
      exemption: null,
      strippedItems: i % 3,
      cameraKm: 0,
      cameraHours: 0,
      rulePackVersion: pack.version,
      policyVersion: 1,
      leaseId: '',
    }
  }
  const ingestRecord = (r: ExportRecord): IngestRecord => {
    const c = countRecord(plan, r)
    return {
      vehicleId: r.vehiclePseudonym,
      recordId: r.recordId,
      year: c.year,
      exportedMs: r.exportedMs,
      recipient: r.recipient,
      leaseId: '',
      body: wire.ExportRecord.encode(wire.ExportRecord.fromObject(r)).finish(),
      members: c.members,
      sums: c.sums,
    }
  }
  return { record, ingestRecord }
}

/** RSS sampled every 50 ms while a phase runs (samples land between awaits only). */
async function withPeak<T>(fn: () => Promise<T> | T): Promise<{ value: T; peak: number; seconds: number }> {
  let peak = process.memoryUsage().rss
  const t = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50)
  const t0 = performance.now()
  try {
    const value = await fn()
    const seconds = (performance.now() - t0) / 1000
    peak = Math.max(peak, process.memoryUsage().rss)
    return { value, peak, seconds }
  } finally {
    clearInterval(t)
  }
}

/** Run the benchmark and return its figures. */
export async function benchAudit(log: (s: string) => void = console.log, opts: { quick?: boolean } = {}): Promise<AuditBenchResult> {
  const quick = opts.quick ?? false
  const env = (k: string, d: number) => Number(process.env[k] ?? d)
  const target = env('BENCH_AUDIT_RECORDS', quick ? 50_000 : 1_000_000)
  const stages = (process.env.BENCH_AUDIT_STAGES ?? (quick ? '10000,50000' : '100000,400000,700000,1000000'))
    .split(',')
    .map(Number)
    .filter((n) => n > 0 && n <= target)
  if (!stages.includes(target)) stages.push(target)
  const rounds = env('BENCH_AUDIT_ROUNDS', 3)
  const batch = env('BENCH_AUDIT_FILL_BATCH', 20_000)
  const budgetS = env('BENCH_AUDIT_BUDGET_S', quick ? 120 : 600)
  const vehicles = quick ? 1_000 : 10_000
  const phones = quick ? 20_000 : 200_000
  const sha256sumVersion = execFileSync('sha256sum', ['--version'], { encoding: 'utf8' }).split('\n')[0]!.trim()

  const pack = loadRulePack()
  const plan = countingPlan(pack)
  const signer = generateSigningKey()
  const table = gradeTable(pack)
  const range = yearRange(YEAR, plan)
  const w = yearWindow(YEAR, plan.utcOffsetMinutes)
  const nowMs = w.endMs + 86_400_000
  const dir = mkdtempSync(join(tmpdir(), 'adx-bench-audit-'))
  const dbPath = join(dir, 'backend.sqlite')
  const store = await openSqliteStore(dbPath)
  const { record, ingestRecord } = auditFixture(pack, plan, { quick })

  const result: AuditBenchResult = { machine: machine(), quick, target, year: YEAR, stages: [], skipped: [], maxRssKernel: 0, sha256sumVersion }
  log(`machine: ${machine()}`)
  log(
    `conditions: counting year ${YEAR}; stages ${stages.map((n) => fmt(n)).join(', ')} records; ${fmt(vehicles)} vehicles, ${fmt(phones)} phone pseudonyms; ` +
      `fill via store.ingest in transactions of ${fmt(batch)}; ${rounds} rounds per figure; budget ${budgetS} s; baseline ${sha256sumVersion}`,
  )
  let filled = 0
  /** Per-record costs seen at the previous stage, for the budget. */
  let prev: { records: number; fillPerRecord: number; roundPerRecord: number } | undefined
  try {
    for (const n of stages) {
      let stageRounds = rounds
      if (prev) {
        const fillEst = prev.fillPerRecord * (n - filled)
        const roundEst = prev.roundPerRecord * n
        const left = budgetS - fillEst
        const fit = Math.floor(left / roundEst)
        if (fit < 1) {
          const reason = `estimated ${fmt(fillEst)} s fill + ${fmt(roundEst)} s per round (linear from the ${fmt(prev.records)} stage) > the ${budgetS} s budget per stage`
          log(`stage ${fmt(n)}: SKIPPED (${reason})`)
          result.skipped.push({ records: n, reason })
          continue
        }
        if (fit < stageRounds) {
          log(`stage ${fmt(n)}: ${fit} round(s) instead of ${stageRounds} to stay within the ${budgetS} s budget per stage (estimated ${fmt(roundEst)} s per round)`)
          stageRounds = fit
        }
      }
      // ---- fill up to n
      const f0 = performance.now()
      while (filled < n) {
        const count = Math.min(batch, n - filled)
        const rows: IngestRecord[] = new Array(count)
        for (let k = 0; k < count; k++) rows[k] = ingestRecord(record(filled + k))
        const out = await store.ingest(rows, nowMs)
        if (out.length !== count) throw new Error('store.ingest returned a short outcome list')
        filled += count
      }
      const fillSeconds = (performance.now() - f0) / 1000
      const dbBytes = statSync(dbPath).size + (() => { try { return statSync(`${dbPath}-wal`).size } catch { return 0 } })()
      log(`stage ${fmt(n)}: filled in ${fmt(fillSeconds, 1)} s (${fmt((n - (prev?.records ?? 0)) / fillSeconds)} records/s), database ${fmt(dbBytes / 2 ** 20, 1)} MiB`)

      const out = join(dir, `export-${n}`)
      const ex: number[] = []
      const ve: number[] = []
      const sh: number[] = []
      const nd: number[] = []
      let peakExport = 0
      let peakVerify = 0
      let verifyOk = true
      let files: Record<string, number> = {}
      const r0 = performance.now()
      for (let r = 0; r < stageRounds; r++) {
        rmSync(out, { recursive: true, force: true })
        const e = await withPeak(async () => {
          await writeAuditExport(out, { store, pack, plan, ciio: false, signer, table, range, nowMs })
        })
        ex.push(e.seconds)
        peakExport = Math.max(peakExport, e.peak)
        const names = readdirSync(out).sort()
        files = Object.fromEntries(names.map((x) => [x, statSync(join(out, x)).size]))
        const paths = names.map((x) => join(out, x))
        const v = await withPeak(() => verifyAuditDir(out))
        ve.push(v.seconds)
        peakVerify = Math.max(peakVerify, v.peak)
        if (!v.value.ok) {
          verifyOk = false
          log(`  verify NOT ok: ${JSON.stringify(v.value.problems)}`)
        }
        const s0 = performance.now()
        execFileSync('sha256sum', paths, { stdio: ['ignore', 'ignore', 'inherit'] })
        sh.push((performance.now() - s0) / 1000)
        const n0 = performance.now()
        for (const p of paths) createHash('sha256').update(readFileSync(p)).digest('hex')
        nd.push((performance.now() - n0) / 1000)
        log(`  round ${r + 1}: export ${fmt(e.seconds, 2)} s, verify ${fmt(v.seconds, 2)} s, sha256sum ${fmt(sh[r]!, 3)} s, node:crypto ${fmt(nd[r]!, 3)} s`)
        // Global gc between rounds when exposed; otherwise V8 decides.
        ;(globalThis as { gc?: () => void }).gc?.()
      }
      const bytesExported = Object.values(files).reduce((a, b) => a + b, 0)
      rmSync(out, { recursive: true, force: true })
      const exportAlone = exportInOwnProcess(dbPath, out)
      log(`  export alone, own process: ${exportAlone ? `${fmt(exportAlone.seconds, 2)} s with start-up, peak RSS ${fmt(exportAlone.maxRss / 2 ** 20)} MiB` : 'failed'}`)
      const st: AuditStage = {
        records: n,
        fillSeconds,
        fillRecordsPerSecond: (n - (prev?.records ?? 0)) / fillSeconds,
        dbBytes,
        bytesExported,
        files,
        export: summary(ex),
        verify: summary(ve),
        sha256sum: summary(sh),
        nodeSha256: summary(nd),
        ratioExport: summary(ex).median / summary(sh).median,
        ratioVerify: summary(ve).median / summary(sh).median,
        ratioExportVsNode: summary(ex).median / summary(nd).median,
        ratioVerifyVsNode: summary(ve).median / summary(nd).median,
        verifyOk,
        peakRss: { export: peakExport, verify: peakVerify },
        exportAlone,
        rounds: stageRounds,
      }
      result.stages.push(st)
      log(
        `stage ${fmt(n)}: ${fmt(bytesExported / 2 ** 20, 1)} MiB exported (export-log.jsonl ${fmt((files['export-log.jsonl'] ?? 0) / 2 ** 20, 1)} MiB); ` +
          `export ${fmt(st.export.median, 2)} s [${fmt(st.export.min, 2)}–${fmt(st.export.max, 2)}], verify ${fmt(st.verify.median, 2)} s [${fmt(st.verify.min, 2)}–${fmt(st.verify.max, 2)}], ` +
          `sha256sum ${fmt(st.sha256sum.median, 3)} s, node:crypto ${fmt(st.nodeSha256.median, 3)} s → export ${fmt(st.ratioExport, 1)}×, verify ${fmt(st.ratioVerify, 1)}× sha256sum (goal ≤ 3×); ` +
          `peak RSS export ${fmt(peakExport / 2 ** 20)} MiB, verify ${fmt(peakVerify / 2 ** 20)} MiB; verify ${verifyOk ? 'ok' : 'NOT OK'}`,
      )
      log(`AUDIT_STAGE ${JSON.stringify(st)}`)
      rmSync(out, { recursive: true, force: true })
      prev = { records: n, fillPerRecord: fillSeconds / Math.max(1, n - (prev?.records ?? 0)), roundPerRecord: (performance.now() - r0) / 1000 / stageRounds / n }
    }
  } catch (e) {
    const next = stages.find((n) => !result.stages.some((s) => s.records === n) && !result.skipped.some((s) => s.records === n))
    result.failed = { records: next ?? filled, error: (e as Error).stack?.split('\n').slice(0, 3).join(' | ') ?? String(e) }
    log(`stage ${fmt(result.failed.records)}: FAILED: ${result.failed.error}`)
  } finally {
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  }
  result.maxRssKernel = process.resourceUsage().maxRSS * 1024
  log(`kernel maxrss of this process (fill + all stages): ${fmt(result.maxRssKernel / 2 ** 20)} MiB`)
  return result
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchAudit(console.log, { quick: process.argv.includes('--quick') })
}
