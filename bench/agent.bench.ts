/**
 * `npm run bench:agent` (`tsx bench/agent.bench.ts [--quick] [--minutes M] [--only enqueue,memory,startup]`):
 * the agent daemon against its issue goals, all traffic on 127.0.0.1. Not a test: nothing fails on
 * timing; every figure is printed with its conditions.
 *
 * 1. enqueue: durable enqueue rate through the HTTP ingress into the outbox (in-process
 *    `startAgent`, and the bundled process), with no reachable destination or backend, against raw
 *    node-sqlite3-wasm insert loops with the outbox's durability (WAL + EXCLUSIVE + FULL): one
 *    transaction per insert, and one transaction per batch of the size the ingress group commit
 *    achieved. Also the library API (`agent.submit`). Goal: ingress ≥ 0.5 × raw.
 *    The batch ingress (`POST /v1/payloads/batch`, BATCH payloads per request, each acknowledged
 *    in the response) is measured the same way, against a raw loop with one transaction per
 *    the payloads per commit that the batch ingress achieved (pipeline paused): a payload's ack
 *    says it is durable in both cases, and a commit of N payloads gives each of them the same
 *    durability as a commit of one, so the raw loop batched the same way is the fair baseline.
 * 2. memory: the bundled agent as a child process (stand-in aedes backend, pinned HTTPS sink) fed
 *    100 payloads/s over HTTP for --minutes (default 10, --quick 1); VmRSS every 5 s, VmHWM at the
 *    end; a bare `node -e "setInterval(...)"` measured the same way; where the memory goes
 *    (process.memoryUsage() through a `node --import` probe; loading the bundle alone; the
 *    SQLite WASM heap alone). Goal: RSS ≤ 64 MB after 10 minutes.
 * 3. startup: spawn → HTTP ingress accepts a connection, N times (10, --quick 5), against a bare
 *    `node -e "require('http').createServer().listen(PORT)"`. Goal: ≤ 500 ms.
 *
 * The bundled process is started as deployed: with the node flags and malloc environment of
 * the `dist/agent/adx-agent` launcher that the systemd unit runs (agent/daemon/launch.ts).
 *
 * Options for memory experiments without touching agent/: --bundle FILE (a patched copy),
 * --node-arg ARG (repeatable, e.g. --node-arg=--max-semi-space-size=1), --plain-node (run
 * `node bundle` without the launcher's flags and environment, for comparison).
 */
import { spawn } from 'node:child_process'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve, type ServerType } from '@hono/node-server'
import { Hono } from 'hono'
import { mkdirSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { pino } from 'pino'
import { vehicleTopic } from '../shared/topics.ts'
import { startAgent } from '../agent/daemon/daemon.ts'
import { signedPolicy, tempDir, testConfig, testSigner } from '../agent/daemon/test-fixtures.ts'
import { startTestBackend } from '../agent/daemon/test-backend.ts'
import { startTestSink } from '../agent/daemon/test-sink.ts'
import { joinDelimited } from '../agent/daemon/ingress/batch.ts'
import { acquireOwnerLock } from '../agent/outbox/owner-lock.ts'
import { ensureSchema } from '../agent/outbox/schema.ts'
import { openDurableDatabase } from '../agent/outbox/sqlite.ts'
import { BUNDLE, freePort, payloads, poster, postAll, procMem, ROOT, sleep, spawnBundled, spawnPlain, writeBundleConfig, writeMemProbe } from './agent-helpers.ts'
import { fmt, machine, summary } from './stats.ts'

type Summary = { median: number; min: number; max: number }
const INSERT = 'INSERT INTO items (destination, id, priority, body, size, meta, enqueued_at, attempts, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, 0, 0)'

export interface AgentBenchOptions {
  quick?: boolean
  minutes?: number
  only?: string[]
  bundle?: string
  nodeArgs?: string[]
  /** Start the bundle as bare `node bundle`, without the launcher's flags and environment. */
  plainNode?: boolean
  log?: (s: string) => void
}

export interface EnqueueResult {
  payloadBytes: number
  count: number
  clients: number
  http: Summary
  meanGroup: number
  groupLive: number
  bundled: number
  httpCeiling: { bare: number; hono: number }
  httpAlone: Summary
  library: Summary
  libraryAlone: Summary
  rawPerInsert: Summary
  rawPerBatch: Summary
  ratioPerBatch: number
  ratioPerInsert: number
  /** Batch ingress: payloads per request. */
  batchSize: number
  /** Batch ingress → outbox, pipeline running / paused (payloads/s). */
  batchHttp: Summary
  batchHttpAlone: Summary
  /** Payloads per commit, batch ingress with the pipeline paused (median of rounds). */
  batchGroup: number
  /** Raw loop with one transaction per batchGroup inserts. */
  rawPerBatchForBatch: Summary
  /** batchHttp median ÷ rawPerBatchForBatch median. */
  ratioBatch: number
}

export interface MemoryResult {
  minutes: number
  rate: number
  idleMiB: number
  idle5sMiB: number
  endMiB: number
  peakMiB: number
  hwmMiB: number
  baselineMiB: number
  /** VmRSS split at the end: anonymous vs file-backed (the node executable's touched pages). */
  endAnonMiB: number
  endFileMiB: number
  baselineAnonMiB: number
  baselineFileMiB: number
  samples: { s: number; rssMiB: number }[]
  probe?: Record<string, unknown>
  loadOnlyMiB: number
  sqliteMiB: Record<string, number>
  delivered: number
  records: number
}

export interface StartupResult {
  runs: number
  agent: Summary
  startedLog: Summary
  baseline: Summary
}

// ---------------------------------------------------------------- 1. durable enqueue

interface RoundResult {
  http: number
  httpAlone: number
  library: number
  libraryAlone: number
  /** Outbox jobs per commit with the pipeline running (ingress + pipeline writes mixed). */
  groupLive: number
  /** Ingress enqueues per commit with the pipeline paused (the ingress's own group commit). */
  groupAlone: number
  batch: number
  batchAlone: number
  batchGroupAlone: number
  queues: string
}

/** Payloads per request of the batch ingress in the benchmark. */
const BATCH = 64

/**
 * One in-process round on a fresh agent: HTTP ingress and library API, each with the pipeline
 * running (realistic: it inspects and re-queues every accepted payload concurrently) and with
 * the pipeline paused (the ingress → outbox path alone). Pausing and group-size counting wrap
 * methods of the running outbox instance; nothing in agent/ changes.
 */
async function enqueueRound(count: number, clients: number, round: number): Promise<RoundResult> {
  const dir = tempDir('adx-bench-agent-')
  try {
    const signer = testSigner()
    // testConfig: backend mqtt://127.0.0.1:1 and destinations on port 9 — nothing reachable.
    const config = testConfig(dir, signer, { outbox: { maxBytes: 2 ** 30, maxItems: 1_000_000 } })
    const agent = await startAgent(config, { log: pino({ level: 'silent' }) })
    const ob = agent.core.outbox as unknown as { runBatch(jobs: unknown[]): void; peek(destination: string, n: number): unknown[] }
    const runBatch = ob.runBatch.bind(ob)
    const peek = ob.peek.bind(ob)
    let jobs = 0
    let commits = 0
    let paused = false
    ob.runBatch = (js: unknown[]) => {
      jobs += js.length
      commits++
      return runBatch(js)
    }
    ob.peek = (d: string, n: number) => (paused && d === '@ingress' ? [] : peek(d, n))
    const drained = async () => {
      while (peek('@ingress', 1).length > 0) await sleep(20)
    }
    const group = async <T>(fn: () => Promise<T>): Promise<[T, number]> => {
      jobs = 0
      commits = 0
      const r = await fn()
      return [r, jobs / commits]
    }
    const viaHttp = async (prefix: string) => {
      const h = await postAll(agent.httpPort, payloads(prefix, count, 'oem-eu'), clients)
      if (h.accepted !== count) throw new Error(`HTTP ingress accepted ${h.accepted} of ${count} (${JSON.stringify([...h.other])})`)
      return count / h.seconds
    }
    const viaBatch = async (prefix: string) => {
      const ps = payloads(prefix, count, 'oem-eu')
      const bodies: Uint8Array[] = []
      for (let i = 0; i < ps.length; i += BATCH) bodies.push(joinDelimited(ps.slice(i, i + BATCH)))
      const h = await postAll(agent.httpPort, bodies, clients, '/v1/payloads/batch')
      if (h.accepted !== bodies.length) throw new Error(`batch ingress: ${h.accepted} of ${bodies.length} requests fully accepted (${JSON.stringify([...h.other])})`)
      return count / h.seconds
    }
    const viaLibrary = async (prefix: string) => {
      const lib = payloads(prefix, count, 'oem-eu')
      let next = 0
      const t0 = performance.now()
      await Promise.all(
        Array.from({ length: clients }, async () => {
          while (next < lib.length) await agent.submit(lib[next++]!)
        }),
      )
      return count / ((performance.now() - t0) / 1000)
    }
    await postAll(agent.httpPort, payloads(`w${round}-`, 500, 'oem-eu'), clients)
    await drained()
    const [http, groupLive] = await group(() => viaHttp(`h${round}-`))
    await drained()
    const library = await viaLibrary(`l${round}-`)
    await drained()
    const batch = await viaBatch(`b${round}-`)
    await drained()
    paused = true
    const [httpAlone, groupAlone] = await group(() => viaHttp(`ha${round}-`))
    const libraryAlone = await viaLibrary(`la${round}-`)
    const [batchAlone, batchGroupAlone] = await group(() => viaBatch(`ba${round}-`))
    paused = false
    const st = agent.core.outbox.stats() as unknown as { destinations: Record<string, { items: number }> }
    await agent.stop()
    return { http, httpAlone, library, libraryAlone, groupLive, groupAlone, batch, batchAlone, batchGroupAlone, queues: Object.entries(st.destinations).map(([k, v]) => `${k} ${v.items}`).join(', ') }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Raw node-sqlite3-wasm loop on the outbox schema and durability; `batch` rows per transaction. */
function rawLoop(path: string, rows: number, batch: number, maxSeconds: number): number {
  const lock = acquireOwnerLock(path)
  const db = openDurableDatabase(path)
  ensureSchema(db)
  const body = new Uint8Array(1024).fill(7)
  const st = db.prepare(INSERT)
  let n = 0
  const t0 = performance.now()
  try {
    while (n < rows) {
      db.exec('BEGIN IMMEDIATE')
      for (let j = 0; j < batch && n < rows; j++, n++) st.run(['@ingress', `p-${n}`, 1, body, body.byteLength, '{"ct":"pb"}', Date.now()])
      db.exec('COMMIT')
      if (performance.now() - t0 > maxSeconds * 1000) break
    }
    return n / ((performance.now() - t0) / 1000)
  } finally {
    st.finalize()
    db.close()
    lock.release()
  }
}

/**
 * The HTTP layer alone, in this process like the in-process agent: a bare node:http server and
 * the same @hono/node-server + Hono route shape as the ingress, both reading the body and
 * answering 202 JSON without touching the outbox. Shows how much of the ingress rate HTTP takes.
 */
async function httpCeilings(count: number, clients: number): Promise<{ bare: number; hono: number }> {
  const bodies = payloads('c-', count, 'oem-eu')
  const bareServer = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const b = Buffer.concat(chunks)
      res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 'x', destination: 'oem-eu', status: 'queued', n: b.length }))
    })
  })
  await new Promise<void>((r) => bareServer.listen(0, '127.0.0.1', r))
  const bare = await postAll((bareServer.address() as AddressInfo).port, bodies, clients)
  await new Promise<void>((r) => (bareServer.closeAllConnections(), bareServer.close(() => r())))
  const app = new Hono()
  app.post('/v1/payloads', async (c) => {
    const b = new Uint8Array(await c.req.arrayBuffer())
    return c.json({ id: 'x', destination: 'oem-eu', status: 'queued', n: b.length }, 202)
  })
  let port = 0
  const honoServer = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info: AddressInfo) => {
      port = info.port
      resolve(s)
    })
  })
  const hono = await postAll(port, bodies, clients)
  await new Promise<void>((r) => ((honoServer as unknown as http.Server).closeAllConnections(), honoServer.close(() => r())))
  return { bare: count / bare.seconds, hono: count / hono.seconds }
}

async function bundledEnqueue(count: number, clients: number, bundle: string, nodeArgs: string[], asDeployed: boolean): Promise<number> {
  const dir = tempDir('adx-bench-agentb-')
  try {
    const signer = testSigner()
    const httpPort = await freePort()
    const dead = await freePort() // nothing listens there: backend and destination unreachable
    const cfg = writeBundleConfig({ dir, httpPort, backendPort: dead, policyPublicKeyPem: signer.publicKeyPem, sinkUrl: `https://127.0.0.1:${dead}/v1/adx`, sinkPin: 'a'.repeat(64), outbox: { maxBytes: 2 ** 30, maxItems: 1_000_000 }, logLevel: 'warn' })
    const a = await spawnBundled(cfg, httpPort, { bundle, nodeArgs, asDeployed })
    try {
      await postAll(httpPort, payloads('bw-', 500, 'oem-eu'), clients)
      const r = await postAll(httpPort, payloads('b-', count, 'oem-eu'), clients)
      if (r.accepted !== count) throw new Error(`bundled ingress accepted ${r.accepted} of ${count}`)
      return count / r.seconds
    } finally {
      await a.stop()
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

export async function benchEnqueue(o: AgentBenchOptions, log: (s: string) => void): Promise<EnqueueResult> {
  const count = o.quick ? 5_000 : 20_000
  const clients = 16
  const rounds = o.quick ? 1 : 3
  const size = payloads('s', 1, 'oem-eu')[0]!.length
  log(`\n## 1. durable enqueue: ${fmt(count)} × ${size} B protobuf payloads, ${clients} keep-alive clients, ${rounds} round(s); outbox on ${join(tempDir('adx-bench-probe-'), '..')}`)
  log('   agent: in-process startAgent, HTTP ingress on 127.0.0.1:0, backend and destinations unreachable (items stay in the outbox), log silent, outbox limits raised to 1 GiB / 1M items')
  const rs: RoundResult[] = []
  for (let r = 0; r < rounds; r++) {
    const x = await enqueueRound(count, clients, r)
    rs.push(x)
    log(`   round ${r + 1}: HTTP ${fmt(x.http)}/s with pipeline (${fmt(x.groupLive, 1)} outbox jobs/commit), ${fmt(x.httpAlone)}/s pipeline paused (${fmt(x.groupAlone, 1)} enqueues/commit); batch of ${BATCH} ${fmt(x.batch)}/s with pipeline, ${fmt(x.batchAlone)}/s paused (${fmt(x.batchGroupAlone, 1)} enqueues/commit); submit ${fmt(x.library)}/s with pipeline, ${fmt(x.libraryAlone)}/s paused; items at stop: ${x.queues}`)
  }
  const pick = (k: keyof RoundResult) => summary(rs.map((x) => x[k] as number))
  const http = rs.map((x) => x.http)
  const meanGroup = pick('groupAlone').median
  const batch = Math.max(1, Math.round(meanGroup))
  const batchGroup = pick('batchGroupAlone').median
  const bigBatch = Math.max(1, Math.round(batchGroup))
  const base = tempDir('adx-bench-raw-')
  const perInsert: number[] = []
  const perBatch: number[] = []
  const perBigBatch: number[] = []
  try {
    for (let r = 0; r < rounds; r++) {
      perInsert.push(rawLoop(join(base, `i${r}.db`), count, 1, o.quick ? 3 : 6))
      perBatch.push(rawLoop(join(base, `b${r}.db`), count, batch, 60))
      perBigBatch.push(rawLoop(join(base, `g${r}.db`), count, bigBatch, 60))
      log(`   raw round ${r + 1}: one transaction per insert ${fmt(perInsert[r]!)}/s; one transaction per ${batch} inserts ${fmt(perBatch[r]!)}/s; one per ${bigBatch} inserts ${fmt(perBigBatch[r]!)}/s`)
    }
  } finally {
    rmSync(base, { recursive: true, force: true })
  }
  const ceil = await httpCeilings(count, clients)
  const bundle = o.bundle ?? BUNDLE
  let bundled = Number.NaN
  try {
    bundled = await bundledEnqueue(count, clients, bundle, o.nodeArgs ?? [], !o.plainNode)
  } catch (e) {
    log(`   bundled process: failed (${(e as Error).message})`)
  }
  const res: EnqueueResult = {
    payloadBytes: size,
    count,
    clients,
    http: summary(http),
    meanGroup,
    bundled,
    httpCeiling: ceil,
    httpAlone: pick('httpAlone'),
    library: pick('library'),
    libraryAlone: pick('libraryAlone'),
    groupLive: pick('groupLive').median,
    rawPerInsert: summary(perInsert),
    rawPerBatch: summary(perBatch),
    ratioPerBatch: summary(http).median / summary(perBatch).median,
    ratioPerInsert: summary(http).median / summary(perInsert).median,
    batchSize: BATCH,
    batchHttp: pick('batch'),
    batchHttpAlone: pick('batchAlone'),
    batchGroup,
    rawPerBatchForBatch: summary(perBigBatch),
    ratioBatch: pick('batch').median / summary(perBigBatch).median,
  }
  const s = (x: Summary) => `${fmt(x.median)}/s [${fmt(x.min)}–${fmt(x.max)}]`
  log(`   HTTP ingress → outbox (202 = fsync'd), in-process, pipeline running: ${s(res.http)}`)
  log(`   HTTP ingress → outbox, in-process, pipeline paused:                  ${s(res.httpAlone)}`)
  log(`   HTTP ingress → outbox, bundled process, pipeline running (1 round):  ${fmt(bundled)}/s`)
  log(`   library API agent.submit, ${clients} producers, pipeline running:        ${s(res.library)}`)
  log(`   library API agent.submit, ${clients} producers, pipeline paused:         ${s(res.libraryAlone)}`)
  log(`   HTTP layer alone (same client, no outbox): bare node:http ${fmt(ceil.bare)}/s, @hono/node-server + Hono ${fmt(ceil.hono)}/s`)
  log(`   raw WAL+EXCLUSIVE+FULL, 1 txn per insert:                            ${s(res.rawPerInsert)}`)
  log(`   raw WAL+EXCLUSIVE+FULL, 1 txn per ${batch} inserts:                        ${s(res.rawPerBatch)}  (${batch} = ingress enqueues per commit, pipeline paused, median of rounds)`)
  log(`   ratio (goal ≥ 0.5), headline = pipeline running vs raw per-batch (same fsyncs per item, so it isolates the agent's own cost): ${fmt(res.ratioPerBatch, 2)}`)
  log(`   batch ingress (${BATCH} payloads per POST /v1/payloads/batch, each acked), pipeline running: ${s(res.batchHttp)}; pipeline paused: ${s(res.batchHttpAlone)} (${fmt(batchGroup, 1)} enqueues/commit)`)
  log(`   raw WAL+EXCLUSIVE+FULL, 1 txn per ${bigBatch} inserts:                       ${s(res.rawPerBatchForBatch)}`)
  log(`   batch ratio (goal ≥ 0.5), pipeline running vs raw per ${bigBatch}: ${fmt(res.ratioBatch, 2)}; pipeline paused: ${fmt(res.batchHttpAlone.median / res.rawPerBatchForBatch.median, 2)}`)
  log(`   other ratios: vs raw per-insert ${fmt(res.ratioPerInsert, 2)}; pipeline paused vs raw per-batch ${fmt(res.httpAlone.median / res.rawPerBatch.median, 2)}, vs raw per-insert ${fmt(res.httpAlone.median / res.rawPerInsert.median, 2)}`)
  return res
}

// ---------------------------------------------------------------- 2. resident memory

/** RSS (MiB) of a plain node process running `code` (ESM) after `waitMs`. */
async function plainRss(code: string, waitMs: number, marker?: string, nodeArgs: string[] = []): Promise<number> {
  const child = spawn(process.execPath, [...nodeArgs, '--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'], cwd: ROOT })
  const exit = new Promise<void>((r) => child.once('exit', () => r()))
  if (marker) {
    await new Promise<void>((resolve, reject) => {
      let out = ''
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString()
        if (out.includes(marker)) resolve()
      })
      child.once('exit', (c) => reject(new Error(`probe exited ${c}: ${out}`)))
    })
  }
  await sleep(waitMs)
  const m = procMem(child.pid!)
  child.kill('SIGKILL')
  await exit
  return m?.rssMiB ?? Number.NaN
}

/** The SQLite WASM heap alone: open the two databases the agent opens; optionally push `rows` 1 KB rows through. */
function sqliteProbeCode(rows: number, cacheKiB?: number): string {
  const req = createRequire(join(ROOT, 'package.json')).resolve('node-sqlite3-wasm')
  return `import { createRequire } from 'node:module'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
const sqlite = createRequire(import.meta.url)(${JSON.stringify(req)})
const dir = mkdtempSync(join(tmpdir(), 'adx-sqlprobe-'))
const open = (f) => { const db = new sqlite.Database(join(dir, f)); db.get('PRAGMA locking_mode=EXCLUSIVE'); db.get('PRAGMA journal_mode=WAL'); db.exec('PRAGMA synchronous=FULL'); ${cacheKiB ? `db.exec('PRAGMA cache_size=-${cacheKiB}');` : ''} db.exec('CREATE TABLE IF NOT EXISTS t (seq INTEGER PRIMARY KEY, id TEXT, body BLOB)'); db.exec('CREATE INDEX IF NOT EXISTS t_id ON t (id)'); return db }
const a = open('outbox.db'), b = open('state.db')
const body = new Uint8Array(1024).fill(7)
const ins = a.prepare('INSERT INTO t (id, body) VALUES (?, ?)')
for (let i = 0; i < ${rows}; i += 50) { a.exec('BEGIN'); for (let j = i; j < i + 50 && j < ${rows}; j++) ins.run(['p-' + j, body]); a.exec('COMMIT') }
ins.finalize()
for (let i = 0; i < ${rows}; i += 500) { a.all('SELECT seq, body FROM t ORDER BY seq LIMIT 500 OFFSET ' + i) }
a.exec('DELETE FROM t')
globalThis.gc?.()
const m = process.memoryUsage()
console.log('READY ' + JSON.stringify(m))
setInterval(() => {}, 1000)
process.on('exit', () => rmSync(dir, { recursive: true, force: true }))
`
}

export async function benchMemory(o: AgentBenchOptions, log: (s: string) => void): Promise<MemoryResult> {
  const minutes = o.minutes ?? (o.quick ? 1 : 10)
  const rate = 100
  const bundle = o.bundle ?? BUNDLE
  const nodeArgs = o.nodeArgs ?? []
  log(`\n## 2. resident memory: bundled agent (${bundle}${o.plainNode ? ', plain node' : ', as the launcher starts it'}${nodeArgs.length ? `, node ${nodeArgs.join(' ')}` : ''}) fed ${rate} payloads/s over HTTP for ${minutes} min; stand-in aedes backend (acks records), pinned HTTPS sink; log level warn; VmRSS every 5 s`)
  const dir = tempDir('adx-bench-mem-')
  const signer = testSigner()
  const sink = await startTestSink(dir)
  const backend = await startTestBackend()
  await backend.publish(
    vehicleTopic('veh-1', 'policy'),
    signedPolicy(signer, { version: 1, vehiclePseudonym: 'veh-1', lease: { leaseId: 'L', newPersons: 1e6, newSensitivePersons: 1e6, newVehicleAllowed: true, expiresMs: Date.now() + 24 * 3_600_000 } }),
  )
  const httpPort = await freePort()
  const cfg = writeBundleConfig({ dir, httpPort, backendPort: backend.port, policyPublicKeyPem: signer.publicKeyPem, sinkUrl: sink.url, sinkPin: sink.fingerprint, logLevel: 'warn' })
  const probe = writeMemProbe(dir, 5000)
  let delivered = 0
  const a = await spawnBundled(cfg, httpPort, { bundle, nodeArgs: ['--import', probe, ...nodeArgs], asDeployed: !o.plainNode })
  const samples: { s: number; rssMiB: number }[] = []
  let result: MemoryResult
  try {
    const idleMiB = procMem(a.pid)!.rssMiB
    await sleep(5000)
    const idle5sMiB = procMem(a.pid)!.rssMiB
    const idleProbe = a.lastProbe()
    log(`   ready after ${fmt(a.readyMs)} ms: RSS ${fmt(idleMiB, 1)} MiB at ready, ${fmt(idle5sMiB, 1)} MiB after 5 s idle${idleProbe ? ` (memoryUsage: ${mu(idleProbe)})` : ''}`)
    const p = poster(httpPort, 4)
    const bodies = payloads('m-', 1000, 'oem-eu')
    let sent = 0
    let ok = 0
    let bad = 0
    const t0 = performance.now()
    const end = t0 + minutes * 60_000
    let nextSample = t0 + 5000
    const inflight = new Set<Promise<void>>()
    while (performance.now() < end) {
      const due = Math.floor(((performance.now() - t0) / 1000) * rate)
      while (sent < due) {
        const body = sent < bodies.length ? bodies[sent]! : payloadFor(sent)
        sent++
        const pr = p.post(body).then((s) => void (s === 202 ? ok++ : bad++))
        inflight.add(pr)
        void pr.finally(() => inflight.delete(pr))
      }
      if (performance.now() >= nextSample) {
        nextSample += 5000
        const m = procMem(a.pid)
        if (!m) throw new Error(`agent exited: ${a.stderr()}`)
        samples.push({ s: Math.round((performance.now() - t0) / 1000), rssMiB: m.rssMiB })
        delivered += sink.received.length
        sink.received.length = 0 // the sink keeps bodies; counted and dropped so the bench itself stays small
        if (samples.length % 12 === 0) log(`   t=${samples.at(-1)!.s}s RSS ${fmt(m.rssMiB, 1)} MiB; accepted ${fmt(ok)}, refused ${bad}, delivered ${fmt(delivered)}, records acked ${fmt(backend.records.length)}`)
      }
      await sleep(10)
    }
    await Promise.all(inflight)
    p.close()
    await sleep(1000)
    delivered += sink.received.length
    sink.received.length = 0
    const m = procMem(a.pid)!
    const lastProbe = a.lastProbe()
    const peak = Math.max(...samples.map((x) => x.rssMiB), m.rssMiB)
    log(`   end (t=${minutes} min): RSS ${fmt(m.rssMiB, 1)} MiB (anonymous ${fmt(m.anonMiB, 1)}, file-backed ${fmt(m.fileMiB, 1)}), peak sampled ${fmt(peak, 1)} MiB, VmHWM ${fmt(m.hwmMiB, 1)} MiB; accepted ${fmt(ok)}/${fmt(sent)} (refused ${bad}), delivered to sink ${fmt(delivered)}, export records acked ${fmt(backend.records.length)}`)
    if (lastProbe) log(`   memoryUsage() in the agent at the end: ${mu(lastProbe)}; V8 spaces used: ${spaces(lastProbe)}`)
    result = { minutes, rate, idleMiB, idle5sMiB, endMiB: m.rssMiB, peakMiB: peak, hwmMiB: m.hwmMiB, baselineMiB: 0, endAnonMiB: m.anonMiB, endFileMiB: m.fileMiB, baselineAnonMiB: 0, baselineFileMiB: 0, samples, probe: lastProbe, loadOnlyMiB: 0, sqliteMiB: {}, delivered, records: backend.records.length }
  } finally {
    await a.stop()
    await backend.close()
    await sink.close()
    rmSync(dir, { recursive: true, force: true })
  }
  // Baselines and breakdown, each in a fresh process, RSS after 5 s.
  const wait = o.quick ? 3000 : 5000
  const base = await spawnPlain(['-e', 'setInterval(()=>{},1000)'])
  await sleep(wait)
  const bm = procMem(base.child.pid!)!
  result.baselineMiB = bm.rssMiB
  result.baselineAnonMiB = bm.anonMiB
  result.baselineFileMiB = bm.fileMiB
  await base.stop()
  result.loadOnlyMiB = await plainRss(`await import(${JSON.stringify(bundle)}); console.log('LOADED'); setInterval(() => {}, 1000)`, wait, 'LOADED')
  for (const [name, code, args] of [
    ['2 DBs opened', sqliteProbeCode(0), []],
    ['2 DBs opened, node --liftoff-only', sqliteProbeCode(0), ['--liftoff-only']],
    ['2 DBs + 20k×1KB rows in and out', sqliteProbeCode(20_000), []],
    ...(o.quick ? [] : [['2 DBs + 20k×1KB rows, cache_size=-512', sqliteProbeCode(20_000, 512), []]]),
  ] as [string, string, string[]][])
    result.sqliteMiB[name] = await plainRss(code, wait, 'READY', args)
  log(`   baseline node -e "setInterval(()=>{},1000)": RSS ${fmt(result.baselineMiB, 1)} MiB (anonymous ${fmt(result.baselineAnonMiB, 1)}, file-backed ${fmt(result.baselineFileMiB, 1)})`)
  log(`   breakdown (fresh node processes, RSS after load): bundle imported, nothing started ${fmt(result.loadOnlyMiB, 1)} MiB; node-sqlite3-wasm ${Object.entries(result.sqliteMiB).map(([k, v]) => `${k} ${fmt(v, 1)} MiB`).join('; ')}`)
  log(`   goal RSS ≤ 64 MB (61.0 MiB) after 10 min: end ${fmt(result.endMiB * 1.048576, 1)} MB, ${fmt(result.endMiB - result.baselineMiB, 1)} MiB above bare node`)
  return result
}

function payloadFor(i: number): Uint8Array {
  return payloads(`m-${i}-`, 1, 'oem-eu')[0]!
}

function mu(p: Record<string, unknown>): string {
  const f = (k: string) => `${k} ${fmt(Number(p[k]) / 2 ** 20, 1)}`
  return ['rss', 'heapTotal', 'heapUsed', 'external', 'arrayBuffers'].map(f).join(', ') + ' MiB'
}
function spaces(p: Record<string, unknown>): string {
  const s = (p.spaces ?? {}) as Record<string, number>
  return Object.entries(s)
    .filter(([, v]) => v > 256 * 1024)
    .map(([k, v]) => `${k} ${fmt(v / 2 ** 20, 1)}`)
    .join(', ') + ' MiB'
}

// ---------------------------------------------------------------- 3. start-up

export async function benchStartup(o: AgentBenchOptions, log: (s: string) => void): Promise<StartupResult> {
  const runs = o.quick ? 5 : 10
  const bundle = o.bundle ?? BUNDLE
  log(`\n## 3. start-up: spawn → HTTP ingress accepts a TCP connection (polled every 1 ms), bundled agent, fresh data dir each time, live aedes backend, ${runs} runs`)
  const signer = testSigner()
  const backend = await startTestBackend()
  const dir = tempDir('adx-bench-start-')
  const agent: number[] = []
  const logLine: number[] = []
  const baseline: number[] = []
  try {
    for (let i = 0; i < runs; i++) {
      const d = join(dir, `r${i}`)
      mkdirSync(d)
      const httpPort = await freePort()
      const cfg = writeBundleConfig({ dir: d, httpPort, backendPort: backend.port, policyPublicKeyPem: signer.publicKeyPem, sinkUrl: 'https://127.0.0.1:9/v1/adx', sinkPin: 'a'.repeat(64), logLevel: 'info' })
      const a = await spawnBundled(cfg, httpPort, { bundle, asDeployed: !o.plainNode, ...(o.nodeArgs ? { nodeArgs: o.nodeArgs } : {}) })
      for (let k = 0; k < 100 && Number.isNaN(a.startedLogMs); k++) await sleep(5)
      agent.push(a.readyMs)
      logLine.push(a.startedLogMs)
      await a.stop()
      const bp = await freePort()
      const b = await spawnPlain(['-e', `require('http').createServer().listen(${bp}, '127.0.0.1')`], bp)
      baseline.push(b.readyMs)
      await b.stop()
    }
  } finally {
    await backend.close()
    rmSync(dir, { recursive: true, force: true })
  }
  const r: StartupResult = { runs, agent: summary(agent), startedLog: summary(logLine), baseline: summary(baseline) }
  const s = (x: Summary) => `median ${fmt(x.median)} ms [${fmt(x.min)}–${fmt(x.max)}]`
  log(`   bundled agent, spawn → ingress accepts:            ${s(r.agent)}`)
  log(`   bundled agent, spawn → "agent started" log line:   ${s(r.startedLog)}`)
  log(`   baseline node http.createServer().listen, same:    ${s(r.baseline)}`)
  log(`   goal ≤ 500 ms: agent median is ${fmt(r.agent.median / r.baseline.median, 1)}× bare node; ${fmt(r.agent.median - r.baseline.median)} ms above it`)
  return r
}

// ---------------------------------------------------------------- main

/** Run the selected parts and return their figures. */
export async function benchAgent(o: AgentBenchOptions = {}): Promise<{ enqueue?: EnqueueResult; memory?: MemoryResult; startup?: StartupResult }> {
  const log = o.log ?? console.log
  const only = new Set(o.only ?? ['enqueue', 'memory', 'startup'])
  log(`machine: ${machine()}; ${o.quick ? 'quick' : 'full'} run`)
  const out: { enqueue?: EnqueueResult; memory?: MemoryResult; startup?: StartupResult } = {}
  if (only.has('startup')) out.startup = await benchStartup(o, log)
  if (only.has('enqueue')) out.enqueue = await benchEnqueue(o, log)
  if (only.has('memory')) out.memory = await benchMemory(o, log)
  return out
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      minutes: { type: 'string' },
      only: { type: 'string' },
      bundle: { type: 'string' },
      'node-arg': { type: 'string', multiple: true },
      'plain-node': { type: 'boolean', default: false },
    },
  })
  const t0 = Date.now()
  if (!(await import('node:fs')).existsSync(values.bundle ?? BUNDLE)) {
    console.log('dist/agent missing: building it (npx tsx scripts/build-agent.ts)')
    const { execFileSync } = await import('node:child_process')
    execFileSync('npx', ['tsx', 'scripts/build-agent.ts'], { cwd: ROOT, stdio: 'inherit' })
  }
  await benchAgent({
    quick: values.quick,
    ...(values.minutes ? { minutes: Number(values.minutes) } : {}),
    ...(values.only ? { only: values.only.split(',') } : {}),
    ...(values.bundle ? { bundle: values.bundle } : {}),
    ...(values['node-arg'] ? { nodeArgs: values['node-arg'] } : {}),
    plainNode: values['plain-node'],
  })
  console.log(`\ndone in ${fmt((Date.now() - t0) / 1000)} s`)
  process.exit(0)
}
