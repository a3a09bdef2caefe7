/**
 * Child process of bench/backend.bench.ts (own process so its peak RSS is its own): drives the
 * ingest path the MQTT handler uses after validation, `IngestService.ingestRecords` (countRecord,
 * body encoding, group-commit queue with the configured defaults, the SQLite store's ingest
 * thread as startBackend wires it, and the V8 flags startBackend applies), with
 * `vehicles` vehicle pseudonyms and `persons` distinct person pseudonyms. Memory: RSS sampled
 * every 100 ms, with where it is at the sampled peak (memory-breakdown.ts: V8 heap pages of both
 * threads, malloc heap, executable, other anonymous), kernel maxrss and VmHWM at the end.
 *
 * Each vehicle sends one message of persons / vehicles / 2 records (5 by default), each record
 * with 2 distinct non-sensitive persons and the categories vehicle-operating, diagnostic and one
 * of five more (the vehicle's j-th record takes the j-th), so every one of the 7 categories ends
 * with exactly `vehicles` vehicles and persons.pi with exactly `persons`. Then 1 % of the
 * messages are delivered again: every record must come back 'duplicate' and no count may move.
 */
import { pathToFileURL } from 'node:url'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { countingYear } from '../shared/calendar.ts'
import { loadRulePack } from '../shared/rulepack/load.ts'
import type { ExportRecord } from '../shared/wire/index.ts'
import type { Bus } from '../backend/broker/types.ts'
import { parseConfig } from '../backend/config.ts'
import { countingPlan } from '../backend/counting/plan.ts'
import { IngestService } from '../backend/ingest/service.ts'
import { silentLogger } from '../backend/log.ts'
import { createMetrics } from '../backend/metrics.ts'
import { IngestWorker } from '../backend/store/ingest-writer.ts'
import { openSqliteStore } from '../backend/store/sqlite.ts'
import { applyBackendV8Tuning } from '../backend/v8-tuning.ts'
import { pseudonymHex } from './backend-publishers.ts'
import { memoryBreakdown, type MemoryBreakdown } from './memory-breakdown.ts'

export interface IngestJob {
  vehicles: number
  persons: number
  /** Records in flight (submitted, not yet committed) at most. */
  inflightRecords: number
  timeoutMs: number
}

export interface IngestResult {
  vehicles: number
  persons: number
  records: number
  messages: number
  seconds: number
  commits: number
  peakRssSampled: number
  /** process.memoryUsage() when the sampled peak was seen. */
  atPeak: { heapTotal: number; heapUsed: number; external: number; arrayBuffers: number }
  /** Resident memory by kind of mapping when the sampled peak was seen (memory-breakdown.ts). */
  breakdownAtPeak: MemoryBreakdown
  /** VmHWM (/proc/self/status) at the end. */
  vmHwm: number
  /** V8 flags the backend applies at start (backend/v8-tuning.ts), applied here too. */
  v8Flags: string[]
  maxRssKernel: number
  rssBefore: number
  dbBytes: number
  counts: Record<string, Record<string, number>>
  redelivered: { records: number; duplicates: number; countsUnchanged: boolean }
  timedOut: boolean
  /** PRAGMAs applied as a what-if (empty: the backend's own settings). */
  whatIf: string[]
}

/**
 * What-if experiments only (BENCH_SQLITE_PRAGMAS="cache_size=-65536;journal_mode=PERSIST"): applies
 * PRAGMAs the backend does not set, through the store's private handle. Off by default.
 */
export function applyWhatIfPragmas(store: unknown): string[] {
  const list = (process.env.BENCH_SQLITE_PRAGMAS ?? '').split(';').map((x) => x.trim()).filter(Boolean)
  const db = (store as { db: { exec(sql: string): void } }).db
  for (const p of list) db.exec(`PRAGMA ${p}`)
  return list
}

const EXTRA = ['location', 'charging', 'personal', 'driving-automation', 'software-upgrade']

async function run(job: IngestJob): Promise<IngestResult> {
  // As startBackend does, first.
  const v8Flags = [...applyBackendV8Tuning()]
  const dir = mkdtempSync(join(tmpdir(), 'adx-bench-ingest-'))
  const config = parseConfig({ dataDir: dir }, dir)
  let peak = process.memoryUsage().rss
  const rssBefore = peak
  let atPeak = process.memoryUsage()
  let breakdownAtPeak = memoryBreakdown()
  let breakdownRss = 0
  const sample = () => {
    const m = process.memoryUsage()
    if (m.rss > peak) {
      peak = m.rss
      atPeak = m
      // Reading smaps costs a few ms: only when the peak rose by 1 MiB or more.
      if (m.rss >= breakdownRss + 2 ** 20) {
        breakdownAtPeak = memoryBreakdown()
        breakdownRss = m.rss
      }
    }
  }
  const sampler = setInterval(sample, 100)
  const store = await openSqliteStore(config.store.path)
  const whatIf = applyWhatIfPragmas(store)
  // As startBackend wires it: group commits in the store's ingest thread.
  const writer = await IngestWorker.start(config.store.path)
  const plan = countingPlan(loadRulePack())
  const metrics = createMetrics()
  const bus: Bus = { subscribe: async () => undefined, publish: async () => undefined, isConnected: () => true, close: async () => undefined }
  const ingest = new IngestService({
    bus,
    store,
    writer,
    plan,
    limits: config.ingest.limits,
    batching: config.ingest.batch,
    log: silentLogger(),
    metrics,
    onCounted: () => undefined,
    onHeartbeat: () => undefined,
  })
  const perVehicle = Math.round(job.persons / job.vehicles / 2)
  if (perVehicle * 2 * job.vehicles !== job.persons) throw new Error('persons must be a multiple of 2 × vehicles')
  const now = Date.now()
  const year = countingYear(now - 60_000)
  const message = (v: number): { vehicleId: string; records: ExportRecord[] } => {
    const vehicleId = `veh-${pseudonymHex(v)}`
    const records: ExportRecord[] = []
    for (let j = 0; j < perVehicle; j++) {
      const p = (v * perVehicle + j) * 2
      records.push({
        recordId: `rec-${v}-${j}`,
        payloadId: `pl-${v}-${j}`,
        vehiclePseudonym: vehicleId,
        exportedMs: now - 60_000,
        destination: 'oem-eu-cloud',
        recipient: 'CN=oem-eu.example',
        purpose: 'remote-diagnostics',
        kind: 1,
        categories: ['vehicle-operating', 'diagnostic', EXTRA[j % EXTRA.length]!],
        ruleIds: ['DT-PHONE', 'DT-DRIVER-ID'],
        subjects: [
          { pseudonym: `psn:phone:${pseudonymHex(p)}`, kind: 'phone', sensitive: false, charging: false },
          { pseudonym: `psn:driver-id:${pseudonymHex(p + 1)}`, kind: 'driver-id', sensitive: false, charging: false },
        ],
        originalBytes: 1200,
        exportedBytes: 600,
        exemption: null,
        strippedItems: 1,
        cameraKm: 0,
        cameraHours: 0,
        rulePackVersion: '2026.1.0',
        policyVersion: 1,
        leaseId: '',
      })
    }
    return { vehicleId, records }
  }

  // Submit every vehicle's message, keeping at most inflightRecords waiting for their commit.
  let inflight = 0
  let wake: (() => void) | undefined
  let failed: unknown
  const deadline = Date.now() + job.timeoutMs
  let sent = 0
  const t0 = performance.now()
  for (let v = 0; v < job.vehicles && Date.now() < deadline; v++) {
    while (inflight >= job.inflightRecords) await new Promise<void>((r) => (wake = r))
    if (failed) throw failed
    const m = message(v)
    // Only the count waits for the commit, as only the ids do in the MQTT handler (for its Ack).
    const n = m.records.length
    inflight += n
    sent++
    ingest.ingestRecords(m.vehicleId, m.records).then(
      () => {
        inflight -= n
        wake?.()
      },
      (err: unknown) => {
        failed = err
        inflight -= n
        wake?.()
      },
    )
  }
  while (inflight > 0) await new Promise<void>((r) => (wake = r))
  const seconds = (performance.now() - t0) / 1000
  if (failed) throw failed
  const toCounts = async () => {
    const out: Record<string, Record<string, number>> = {}
    for (const t of await store.totals(year)) (out[t.counter] ??= {})[t.category] = t.value
    return out
  }
  const counts = await toCounts()
  const commitCount = async () => (await metrics.commitRecords.get()).values.find((x) => x.metricName === 'adx_backend_commit_records_count')?.value ?? 0
  const commits = await commitCount()

  // Redelivery of 1 % of the messages: nothing may count twice.
  const again = Math.max(1, Math.floor(sent / 100))
  let duplicates = 0
  let redeliveredRecords = 0
  const outs = await Promise.all(Array.from({ length: again }, (_, i) => message(Math.floor((i * sent) / again))).map((m) => ingest.ingestRecords(m.vehicleId, m.records)))
  for (const o of outs) {
    redeliveredRecords += o.length
    duplicates += o.filter((x) => x === 'duplicate').length
  }
  const after = await toCounts()
  await ingest.stop()
  await writer.close()
  clearInterval(sampler)
  sample()
  const { statSync } = await import('node:fs')
  const dbBytes = statSync(config.store.path).size
  await store.close()
  rmSync(dir, { recursive: true, force: true })
  return {
    vehicles: sent,
    persons: job.persons,
    records: sent * perVehicle,
    messages: sent,
    seconds,
    commits,
    peakRssSampled: peak,
    atPeak: { heapTotal: atPeak.heapTotal, heapUsed: atPeak.heapUsed, external: atPeak.external, arrayBuffers: atPeak.arrayBuffers },
    breakdownAtPeak,
    vmHwm: memoryBreakdown().vmHwm,
    v8Flags,
    maxRssKernel: process.resourceUsage().maxRSS * 1024,
    rssBefore,
    dbBytes,
    counts,
    redelivered: { records: redeliveredRecords, duplicates, countsUnchanged: JSON.stringify(after) === JSON.stringify(counts) },
    timedOut: sent < job.vehicles,
    whatIf,
  }
}

if (process.send && import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.once('message', (job: IngestJob) => {
    run(job).then(
      (result) => process.send!({ type: 'result', result }, () => process.exit(0)),
      (err: unknown) => process.send!({ type: 'error', message: (err as Error).stack ?? String(err) }, () => process.exit(1)),
    )
  })
}
