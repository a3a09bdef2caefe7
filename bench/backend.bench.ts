/**
 * `npx tsx bench/backend.bench.ts [--quick]`: backend ingest throughput. Not a test: nothing
 * fails on timing. All traffic on 127.0.0.1, bounded in count and time.
 *
 *  1. End to end, embedded broker: the real backend (startBackend: aedes, ingest, group commit,
 *     SQLite, policy re-evaluation, Acks); 4 provisioned vehicles (mqtt.js, clientId = vehicle id,
 *     in a child process) publish ExportRecordBatch messages at QoS 1, each keeping a window of
 *     messages not yet acknowledged by the backend; the clock runs from the first publish to the
 *     last record acknowledged (= durably stored and counted).
 *  2. Baselines in the same run, same messages: (a) the backend's own embedded broker code
 *     (startEmbeddedBroker: auth, ACL, frame guard) handing each message to one in-process
 *     subscriber that does nothing, window on PUBACK (aedes delivers to in-process subscribers
 *     before it PUBACKs); (b) a plain aedes with the same options relaying to one mqtt.js
 *     subscriber over TCP that does nothing, window on receipt by the subscriber.
 *  3. The same end-to-end run with the backend on an external Mosquitto (when on PATH), plus
 *     Mosquitto relaying to one no-op mqtt.js subscriber.
 *  4. Ingest of 1,000,000 distinct persons over 100,000 vehicles through IngestService (the path
 *     the MQTT handler takes after validation), in a child process: time, records/s, peak RSS
 *     (kernel maxrss, VmHWM, and where the resident memory is at the sampled peak), exact final
 *     counts, and a 1 % redelivery that must count nothing. `BENCH_ONLY=ingest` runs this alone.
 *
 * Settings (env): BENCH_ONLY=e2e,relay,mosquitto,ingest (phases), BENCH_E2E_RECORDS, BENCH_PER_MESSAGE,
 * BENCH_WINDOW, BENCH_RELAY_ROUNDS, BENCH_RELAY_RECORDS, BENCH_PERSONS, BENCH_VEHICLES, BENCH_INFLIGHT (ingest records in flight); experiments that change the
 * backend's settings (off by default, printed when on): BENCH_MAX_DELAY_MS, BENCH_MAX_RECORDS
 * (group commit), BENCH_SQLITE_PRAGMAS (e.g. "cache_size=-65536;journal_mode=PERSIST").
 */
import { type ChildProcess, execFileSync, fork, spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server, connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { pipeline, Duplex } from 'node:stream'
import { Aedes } from 'aedes'
import { countingYear } from '../shared/calendar.ts'
import { VehicleAuthenticator } from '../backend/broker/auth.ts'
import { startEmbeddedBroker } from '../backend/broker/embedded.ts'
import { frameGuard } from '../backend/broker/frame-guard.ts'
import { uplinkFilter } from '../shared/topics.ts'
import { parseConfig } from '../backend/config.ts'
import { silentLogger } from '../backend/log.ts'
import { startBackend } from '../backend/server.ts'
import { openSqliteStore } from '../backend/store/sqlite.ts'
import { generateSecret, hashSecret } from '../backend/vehicles/credentials.ts'
import { applyWhatIfPragmas, type IngestJob, type IngestResult } from './backend-ingest.ts'
import type { PublisherJob, PublisherResult } from './backend-publishers.ts'
import { fmt, machine } from './stats.ts'

/** Test-only scrypt cost (the e2e tests use the same); verification happens once per vehicle. */
const cheapScrypt = { N: 1024, r: 8, p: 1 }
const VEHICLES = 4

export interface Rate {
  records: number
  messages: number
  seconds: number
  recordsPerSecond: number
  messagesPerSecond: number
  bytes: number
  timedOut: boolean
}

export interface E2eRate extends Rate {
  inserted: number
  commits: number
  recordsPerCommit: number
  peakRss: number
  /**
   * CPU time (user + system, all threads) the backend process spent per record while the
   * publishers ran: steadier than records/s when other work shares the machine.
   */
  cpuUsPerRecord: number
}

export interface BackendBenchResult {
  machine: string
  quick: boolean
  settings: { records: number; perMessage: number; window: number; vehicles: number; relayRounds: number }
  embedded?: E2eRate
  /** Medians of relayRounds rounds. */
  relayInProcess?: Rate
  relayTcp?: Rate
  /** backend records/s ÷ relay (in-process subscriber) records/s */
  ratioInProcess?: number
  /** backend records/s ÷ relay (TCP subscriber) records/s */
  ratioTcp?: number
  mosquitto?: { version: string; e2e: E2eRate; relayTcp: Rate; ratioVsEmbedded?: number; ratioVsRelay: number }
  ingest1M?: IngestResult & { recordsPerSecond: number; exact: boolean }
}

const here = (f: string) => fileURLToPath(new URL(f, import.meta.url))
const mb = (b: number) => `${fmt(b / 2 ** 20, 1)} MiB`

/** Runs a job in a forked child (inherits tsx's loader through execArgv); bounded by timeoutMs. */
function child<J, R>(script: string, job: J, timeoutMs: number, log: (s: string) => void): Promise<R> {
  return new Promise((resolve, reject) => {
    const cp: ChildProcess = fork(here(script), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    const timer = setTimeout(() => {
      cp.kill('SIGKILL')
      reject(new Error(`${script} did not finish within ${timeoutMs} ms`))
    }, timeoutMs)
    cp.on('message', (m: { type: string; result?: R; message?: string; line?: string }) => {
      if (m.type === 'log') log(`  [${script}] ${m.line}`)
      else if (m.type === 'result') {
        clearTimeout(timer)
        resolve(m.result!)
      } else if (m.type === 'error') {
        clearTimeout(timer)
        reject(new Error(m.message))
      }
    })
    cp.on('exit', (code) => {
      clearTimeout(timer)
      if (code !== 0) reject(new Error(`${script} exited with ${code}`))
    })
    cp.send(job as object)
  })
}

function toRate(r: PublisherResult, perMessage: number): Rate {
  const messages = r.completedRecords / perMessage
  return {
    records: r.completedRecords,
    messages,
    seconds: r.seconds,
    recordsPerSecond: r.completedRecords / r.seconds,
    messagesPerSecond: messages / r.seconds,
    bytes: r.bytes,
    timedOut: r.timedOut,
  }
}

async function freePort(): Promise<number> {
  const s = createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  const port = (s.address() as { port: number }).port
  await new Promise<void>((r) => s.close(() => r()))
  return port
}

/** Samples this process's RSS every 100 ms. */
function rssSampler(): { stop(): number } {
  let peak = process.memoryUsage().rss
  const t = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 100)
  return {
    stop() {
      clearInterval(t)
      return Math.max(peak, process.memoryUsage().rss)
    },
  }
}

interface Opts {
  records: number
  perMessage: number
  window: number
  timeoutMs: number
  log: (s: string) => void
}

/** 1 / 3: the real backend end to end, on the embedded broker or an external URL. */
async function endToEnd(o: Opts, external?: string): Promise<E2eRate> {
  const dir = mkdtempSync(join(tmpdir(), 'adx-bench-backend-'))
  const config = parseConfig(
    {
      dataDir: dir,
      http: { host: '127.0.0.1', port: 0 },
      broker: external ? { mode: 'external', url: external, clientId: `adx-backend-bench-${process.pid}` } : { mode: 'embedded', host: '127.0.0.1', port: 0 },
      policy: { reevaluateIntervalMs: 60_000 },
      log: { level: 'silent' },
      // Group-commit settings are the defaults unless BENCH_MAX_DELAY_MS / BENCH_MAX_RECORDS say otherwise.
      ...(process.env.BENCH_MAX_DELAY_MS || process.env.BENCH_MAX_RECORDS
        ? {
            ingest: {
              batch: {
                maxDelayMs: Number(process.env.BENCH_MAX_DELAY_MS ?? 5),
                maxRecords: Number(process.env.BENCH_MAX_RECORDS ?? 20_000),
                highWaterRecords: 100_000,
              },
            },
          }
        : {}),
    },
    dir,
  )
  const backend = await startBackend(config, { logger: silentLogger(), scrypt: cheapScrypt })
  const pragmas = applyWhatIfPragmas(backend.store)
  if (process.env.BENCH_MAX_DELAY_MS || process.env.BENCH_MAX_RECORDS)
    o.log(`  WHAT-IF: ingest.batch ${JSON.stringify((config as { ingest: { batch: unknown } }).ingest.batch)} (defaults: maxRecords 20000, maxDelayMs 5)`)
  if (pragmas.length) o.log(`  WHAT-IF: PRAGMA ${pragmas.join('; ')} applied to the backend's store (not its settings)`)
  try {
    const vehicles: PublisherJob['vehicles'] = []
    for (let v = 0; v < VEHICLES; v++) {
      const id = `veh-bench-${v}`
      const secret = generateSecret()
      await backend.store.addVehicle({ vehicleId: id, secretHash: await hashSecret(secret, cheapScrypt), label: 'bench', createdMs: Date.now() })
      vehicles.push({ id, password: external ? undefined : secret })
    }
    const url = external ?? `mqtt://127.0.0.1:${backend.broker!.port}`
    const rss = rssSampler()
    const cpu0 = process.cpuUsage()
    const r = await child<PublisherJob, PublisherResult>(
      'backend-publishers.ts',
      { url, vehicles, records: o.records, perMessage: o.perMessage, window: o.window, mode: 'ack', timeoutMs: o.timeoutMs, seed: 1 },
      o.timeoutMs + 60_000,
      o.log,
    )
    const peakRss = rss.stop()
    const cpu = process.cpuUsage(cpu0)
    const inserted = (await backend.metrics.records.get()).values.find((x) => x.labels.result === 'inserted')?.value ?? 0
    const commits = (await backend.metrics.commitRecords.get()).values.find((x) => x.metricName === 'adx_backend_commit_records_count')?.value ?? 0
    const totals = await backend.store.totals(countingYear(Date.now() - 60_000))
    const pi = totals.find((t) => t.counter === 'persons.pi')?.value ?? 0
    o.log(`  stored: ${fmt(inserted)} records inserted in ${fmt(commits)} group commits; persons.pi = ${fmt(pi)}`)
    return { ...toRate(r, o.perMessage), inserted, commits, recordsPerCommit: inserted / Math.max(1, commits), peakRss, cpuUsPerRecord: (cpu.user + cpu.system) / Math.max(1, r.completedRecords) }
  } finally {
    await backend.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

/** 2a: startEmbeddedBroker (auth, ACL, frame guard) with one in-process no-op subscriber. */
async function relayInProcess(o: Opts): Promise<Rate> {
  const dir = mkdtempSync(join(tmpdir(), 'adx-bench-relay-'))
  const store = await openSqliteStore(join(dir, 'relay.sqlite'))
  const vehicles: PublisherJob['vehicles'] = []
  for (let v = 0; v < VEHICLES; v++) {
    const id = `veh-bench-${v}`
    const secret = generateSecret()
    await store.addVehicle({ vehicleId: id, secretHash: await hashSecret(secret, cheapScrypt), label: 'bench', createdMs: Date.now() })
    vehicles.push({ id, password: secret })
  }
  const auth = new VehicleAuthenticator(store)
  await auth.refresh()
  const broker = await startEmbeddedBroker({ host: '127.0.0.1', port: 0, maxPacketBytes: 2 * 1024 * 1024, auth, log: silentLogger(), onSecurityEvent: () => undefined })
  let received = 0
  await broker.bus.subscribe(uplinkFilter('records'), () => {
    received++
  })
  try {
    const r = await child<PublisherJob, PublisherResult>(
      'backend-publishers.ts',
      { url: `mqtt://127.0.0.1:${broker.port}`, vehicles, records: o.records, perMessage: o.perMessage, window: o.window, mode: 'puback', timeoutMs: o.timeoutMs, seed: 1 },
      o.timeoutMs + 60_000,
      o.log,
    )
    o.log(`  subscriber received ${fmt(received)} messages`)
    return toRate(r, o.perMessage)
  } finally {
    await broker.close()
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

/** A plain aedes with the embedded broker's options and socket plumbing, no auth/ACL (for a TCP subscriber). */
async function plainAedes(): Promise<{ port: number; close(): Promise<void> }> {
  const aedes = await Aedes.createBroker({ drainTimeout: 30_000 })
  const server: Server = createServer((socket) => {
    const guard = frameGuard(2 * 1024 * 1024)
    const conn = Duplex.from({ readable: guard, writable: socket })
    pipeline(socket, guard, () => {
      socket.destroy()
      conn.destroy()
    })
    socket.on('error', () => undefined)
    conn.on('error', () => undefined)
    aedes.handle(conn)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    port: (server.address() as { port: number }).port,
    async close() {
      const closed = new Promise<void>((r) => server.close(() => r()))
      await new Promise<void>((r) => aedes.close(() => r()))
      await closed
    },
  }
}

/** 2b / 3: a broker at url relaying to one no-op mqtt.js subscriber. */
async function relayTcp(o: Opts, url: string): Promise<Rate> {
  const vehicles = Array.from({ length: VEHICLES }, (_, v) => ({ id: `veh-bench-${v}` }))
  const r = await child<PublisherJob, PublisherResult>(
    'backend-publishers.ts',
    { url, vehicles, records: o.records, perMessage: o.perMessage, window: o.window, mode: 'subscriber', timeoutMs: o.timeoutMs, seed: 1 },
    o.timeoutMs + 60_000,
    o.log,
  )
  return toRate(r, o.perMessage)
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const ok = await new Promise<boolean>((r) => {
      const s = connect(port, '127.0.0.1', () => {
        s.destroy()
        r(true)
      })
      s.on('error', () => r(false))
    })
    if (ok) return
    if (Date.now() > deadline) throw new Error(`nothing listening on ${port} after ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** Starts Mosquitto on a free loopback port with a minimal config; undefined when not on PATH. */
async function startMosquitto(): Promise<{ url: string; version: string; stop(): Promise<void> } | undefined> {
  let bin: string
  try {
    bin = execFileSync('sh', ['-c', 'command -v mosquitto'], { encoding: 'utf8' }).trim()
  } catch {
    return undefined
  }
  if (!bin) return undefined
  const version = (() => {
    try {
      return execFileSync(bin, ['-h'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).split('\n')[0]!.trim()
    } catch (e) {
      return String((e as { stdout?: string }).stdout ?? '').split('\n')[0]!.trim() || 'mosquitto'
    }
  })()
  const dir = mkdtempSync(join(tmpdir(), 'adx-bench-mosquitto-'))
  const port = await freePort()
  const conf = join(dir, 'mosquitto.conf')
  // Minimal: one loopback listener, anonymous allowed, no persistence, no logging.
  writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest none\n`)
  const proc = spawn(bin, ['-c', conf], { stdio: 'ignore' })
  try {
    await waitForPort(port, 5_000)
  } catch (e) {
    proc.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
    throw e
  }
  return {
    url: `mqtt://127.0.0.1:${port}`,
    version,
    async stop() {
      const exited = new Promise<void>((r) => proc.once('exit', () => r()))
      proc.kill('SIGTERM')
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3_000))])
      if (proc.exitCode === null) proc.kill('SIGKILL')
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

const line = (name: string, r: Rate) =>
  `${name}: ${fmt(r.recordsPerSecond)} records/s, ${fmt(r.messagesPerSecond)} messages/s (${fmt(r.records)} records in ${fmt(r.seconds, 2)} s)${r.timedOut ? ' TIMED OUT' : ''}`

/** Median (by records/s) of several rounds. */
async function rounds(n: number, once: () => Promise<Rate>, log: (s: string) => void, name: string): Promise<Rate> {
  const all: Rate[] = []
  for (let i = 0; i < n; i++) all.push(await once())
  all.sort((x, y) => x.recordsPerSecond - y.recordsPerSecond)
  const med = all[Math.floor((all.length - 1) / 2)]!
  log(`   ${line(name, med)} [median of ${n}: ${all.map((r) => fmt(r.recordsPerSecond)).join(', ')} records/s]`)
  return med
}

/** Run the benchmark and return its figures. BENCH_ONLY=e2e,relay,mosquitto,ingest picks phases. */
export async function benchBackend(log: (s: string) => void = console.log, opts: { quick?: boolean } = {}): Promise<BackendBenchResult> {
  const quick = opts.quick ?? false
  const env = (k: string, d: number) => Number(process.env[k] ?? d)
  const only = new Set((process.env.BENCH_ONLY ?? 'e2e,relay,mosquitto,ingest').split(','))
  const o: Opts = {
    records: env('BENCH_E2E_RECORDS', quick ? 20_000 : 200_000),
    perMessage: env('BENCH_PER_MESSAGE', 50),
    window: env('BENCH_WINDOW', 64),
    timeoutMs: quick ? 60_000 : 120_000,
    log,
  }
  const relayRounds = env('BENCH_RELAY_ROUNDS', 3)
  // The relay is far faster than the backend: give each round enough messages to time.
  const relayOpts: Opts = { ...o, records: env('BENCH_RELAY_RECORDS', Math.max(o.records, quick ? 200_000 : 500_000)) }
  const ingestJob: IngestJob = {
    vehicles: env('BENCH_VEHICLES', quick ? 10_000 : 100_000),
    persons: env('BENCH_PERSONS', quick ? 100_000 : 1_000_000),
    // One full group-commit batch (maxRecords) in flight: full batches, bounded memory.
    inflightRecords: env('BENCH_INFLIGHT', 20_000),
    timeoutMs: quick ? 60_000 : 180_000,
  }
  const result: BackendBenchResult = {
    machine: machine(),
    quick,
    settings: { records: o.records, perMessage: o.perMessage, window: o.window, vehicles: VEHICLES, relayRounds },
  }
  log(`machine: ${machine()}`)
  log(
    `conditions: ${VEHICLES} vehicles (mqtt.js, in a child process) publishing at QoS 1, ${o.perMessage} records/message (1–3 psn: subjects, 1–3 categories, 1–3 rule ids), ` +
      `window ${o.window} messages/vehicle, ${fmt(o.records)} records per backend run (${fmt(relayOpts.records)} per relay round), loopback, temp-dir SQLite (synchronous=FULL)`,
  )

  if (only.has('e2e')) {
    log('1. end to end, embedded aedes (startBackend; clock stops at the last backend Ack):')
    const e = await endToEnd(o)
    result.embedded = e
    log(`   ${line('backend', e)}; ${fmt(e.recordsPerCommit)} records/commit; backend CPU ${fmt(e.cpuUsPerRecord, 1)} µs/record (all threads); backend process peak RSS ${mb(e.peakRss)} (sampled every 100 ms)`)
  }

  if (only.has('relay')) {
    log('2. baselines, same kind of messages:')
    const relayIn = await rounds(relayRounds, () => relayInProcess(relayOpts), log, 'relay, embedded broker code → in-process no-op subscriber')
    const plain = await plainAedes()
    let relayT: Rate
    try {
      relayT = await rounds(relayRounds, () => relayTcp(relayOpts, `mqtt://127.0.0.1:${plain.port}`), log, 'relay, plain aedes → mqtt.js TCP no-op subscriber')
    } finally {
      await plain.close()
    }
    result.relayInProcess = relayIn
    result.relayTcp = relayT
    if (result.embedded) {
      const e = result.embedded
      result.ratioInProcess = e.recordsPerSecond / relayIn.recordsPerSecond
      result.ratioTcp = e.recordsPerSecond / relayT.recordsPerSecond
      log(
        `   ratio backend/relay (records/s): ${fmt(result.ratioInProcess, 2)} vs in-process subscriber, ${fmt(result.ratioTcp, 2)} vs TCP subscriber ` +
          `(goal ≥ 0.5: ${result.ratioInProcess >= 0.5 ? 'met' : 'NOT met'}; ≥ 20,000 records/s: ${e.recordsPerSecond >= 20_000 ? 'met' : 'NOT met'})`,
      )
    }
  }

  if (only.has('mosquitto')) {
    const mq = await startMosquitto()
    if (!mq) log('3. SKIP external Mosquitto: `mosquitto` is not on PATH (apt-get install -y mosquitto)')
    else {
      log(`3. external ${mq.version} on ${mq.url} (minimal config: loopback listener, anonymous, no persistence):`)
      try {
        const e2e = await endToEnd(o, mq.url)
        log(`   ${line('backend on Mosquitto', e2e)}; ${fmt(e2e.recordsPerCommit)} records/commit; backend process peak RSS ${mb(e2e.peakRss)}`)
        const rt = await rounds(relayRounds, () => relayTcp(relayOpts, mq.url), log, 'relay, Mosquitto → mqtt.js TCP no-op subscriber')
        const m: NonNullable<BackendBenchResult['mosquitto']> = { version: mq.version, e2e, relayTcp: rt, ratioVsRelay: e2e.recordsPerSecond / rt.recordsPerSecond }
        if (result.embedded) m.ratioVsEmbedded = e2e.recordsPerSecond / result.embedded.recordsPerSecond
        result.mosquitto = m
        log(`   ratio: backend on Mosquitto is ${m.ratioVsEmbedded === undefined ? '?' : fmt(m.ratioVsEmbedded, 2)}× the embedded run, ${fmt(m.ratioVsRelay, 2)} of Mosquitto's relay rate`)
      } finally {
        await mq.stop()
      }
    }
  }

  if (only.has('ingest')) {
    log(`4. ingest of ${fmt(ingestJob.persons)} distinct persons over ${fmt(ingestJob.vehicles)} vehicles (IngestService.ingestRecords → group commit → SQLite, child process):`)
    const ing = await child<IngestJob, IngestResult>('backend-ingest.ts', ingestJob, ingestJob.timeoutMs + 60_000, log)
    if (ing.whatIf.length) log(`  WHAT-IF: PRAGMA ${ing.whatIf.join('; ')} applied to the store (not the backend's settings)`)
    const categories = Object.entries(ing.counts.vehicles ?? {})
    const exact =
      !ing.timedOut &&
      ing.counts['persons.pi']?.[''] === ingestJob.persons &&
      categories.length === 7 &&
      categories.every(([, n]) => n === ingestJob.vehicles) &&
      ing.redelivered.duplicates === ing.redelivered.records &&
      ing.redelivered.countsUnchanged
    result.ingest1M = { ...ing, recordsPerSecond: ing.records / ing.seconds, exact }
    log(
      `   ${fmt(ing.records)} records (${fmt(ing.messages)} messages of ${fmt(ing.records / ing.messages)}) in ${fmt(ing.seconds, 2)} s = ${fmt(result.ingest1M.recordsPerSecond)} records/s, ` +
        `${fmt(ing.commits)} commits; database ${mb(ing.dbBytes)}${ing.timedOut ? ' TIMED OUT' : ''}`,
    )
    log(`   peak RSS: ${mb(ing.peakRssSampled)} sampled every 100 ms (kernel maxrss ${mb(ing.maxRssKernel)}, VmHWM ${mb(ing.vmHwm)}; ${mb(ing.rssBefore)} at start; goal ≤ 300 MB ${ing.maxRssKernel <= 300e6 ? 'met' : 'NOT met'}); V8 flags as the backend sets them: ${ing.v8Flags.join(' ') || 'none (ADX_V8_TUNING=0)'}`)
    const b = ing.breakdownAtPeak
    log(
      `   at the peak: main thread's JS heap ${mb(ing.atPeak.heapUsed)} used of ${mb(ing.atPeak.heapTotal)}, array buffers ${mb(ing.atPeak.arrayBuffers)}; ` +
        `resident by mapping (smaps): V8 heap pages of all threads ${mb(b.v8HeapPages)}, malloc heap ${mb(b.mallocHeap)}, node executable and libraries ${mb(b.fileBacked)}, ` +
        `other anonymous (WebAssembly memories and code of both SQLite connections, stacks, large allocations) ${mb(b.otherAnon)}`,
    )
    log(
      `   counts: persons.pi = ${fmt(ing.counts['persons.pi']?.[''] ?? 0)}; vehicles: ${categories.map(([c, n]) => `${c} ${fmt(n)}`).join(', ')}; ` +
        `redelivered ${fmt(ing.redelivered.records)} records → ${fmt(ing.redelivered.duplicates)} duplicates, counts ${ing.redelivered.countsUnchanged ? 'unchanged' : 'CHANGED'} → ${exact ? 'exact' : 'NOT EXACT'}`,
    )
  }
  return result
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchBackend(console.log, { quick: process.argv.includes('--quick') })
}
