/**
 * Crash test of the backend store: a child process (crash-child.ts) ingests big batches, one
 * transaction each, through the same connections the backend uses (openSqliteStore, and in half
 * the runs an IngestWorker thread as backend/server.ts starts one), while its main connection
 * adds small incidents. The parent SIGKILLs it at random moments (during start-up and open, and
 * mid-stream, so that most kills land inside a multi-megabyte commit) at least 20 times. After
 * every kill it reopens the file as the next writer would and checks, deterministically:
 *
 * - `PRAGMA integrity_check` is ok;
 * - every batch is wholly in or wholly out (its record count is its size or zero), and the
 *   totals equal what the records imply (crash.n = records, crash.persons = records);
 * - every batch and incident the child acknowledged (printed after its commit returned) is there;
 * - the next child can open the file and carry on writing.
 *
 * The kill schedule comes from a seed (ADX_CRASH_SEED replays one); the assertions do not depend
 * on it. Timing is not asserted.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import sqlite from 'node-sqlite3-wasm'
import { afterAll, describe, expect, it } from 'vitest'
import { batchSize } from './crash-child.ts'
import { openSqliteStore } from './sqlite.ts'

const childScript = fileURLToPath(new URL('./crash-child.ts', import.meta.url))
const repoRoot = fileURLToPath(new URL('../../', import.meta.url))

const KILLS = 24
const LAST_BATCH = 100_000
/**
 * Children never treat a lock as stale (a live transaction must never lose its lock); the
 * parent, which reopens only after the child is dead, clears the left-over lock quickly.
 */
const CHILD_STALE_MS = 600_000
const CHECK_STALE_MS = 300

/** Small seeded RNG (mulberry32) so that a schedule can be replayed from its seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

interface RunResult {
  killed: boolean
  done: boolean
  code: number | null
  stderr: string
  acks: number
}

function runChild(
  dbPath: string,
  first: number,
  last: number,
  mode: 'worker' | 'direct',
  killPlan: { after: 'spawn' | 'first-ack' | 'journal'; delayMs: number } | null,
  ackedBatches: Set<number>,
  ackedIncidents: Set<string>,
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', childScript, dbPath, String(first), String(last), mode, String(CHILD_STALE_MS)], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    let stderr = ''
    let done = false
    let killed = false
    let acks = 0
    let timer: NodeJS.Timeout | undefined
    let poll: NodeJS.Timeout | undefined
    const kill = () => {
      if (child.exitCode === null && child.signalCode === null) {
        killed = true
        child.kill('SIGKILL')
      }
    }
    if (killPlan?.after === 'spawn') timer = setTimeout(kill, killPlan.delayMs)
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (chunk: string) => {
      out += chunk
      const lines = out.split('\n')
      out = lines.pop() ?? '' // a line cut by the kill is not an acknowledgement
      for (const line of lines) {
        if (line === 'DONE') done = true
        else if (line.startsWith('ACK ')) {
          ackedBatches.add(Number(line.slice(4)))
          acks++
          if (killPlan?.after === 'first-ack' && !timer) timer = setTimeout(kill, killPlan.delayMs)
          // 'journal': once a write transaction has begun its journal (polled), kill within delayMs.
          if (killPlan?.after === 'journal' && !poll && !timer) {
            const since = Date.now()
            poll = setInterval(() => {
              if (journalHasHeader(dbPath) || Date.now() - since > 5_000) {
                clearInterval(poll)
                timer = setTimeout(kill, killPlan.delayMs)
              }
            }, 1)
          }
        } else if (line.startsWith('INC ')) ackedIncidents.add(line.slice(4))
      }
    })
    child.stderr.setEncoding('utf8')
    child.stderr.on('data', (chunk: string) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', (code) => {
      if (timer) clearTimeout(timer)
      if (poll) clearInterval(poll)
      resolve({ killed, done, code, stderr, acks })
    })
  })
}

interface Check {
  problems: string[]
  batches: Map<number, number>
  records: number
  /** A journal with a header was there before reopening: the kill interrupted a write. */
  hotJournal: boolean
}

/** True when `<db>-journal` holds a header (SQLite zeroes or deletes it when a transaction ends). */
function journalHasHeader(dbPath: string): boolean {
  try {
    const head = readFileSync(`${dbPath}-journal`).subarray(0, 8)
    return head.length === 8 && head.some((b) => b !== 0)
  } catch {
    return false
  }
}

/** Reopens the file as the next writer would, then checks it (see the file comment). */
async function check(dbPath: string, ackedBatches: ReadonlySet<number>, ackedIncidents: ReadonlySet<string>): Promise<Check> {
  const problems: string[] = []
  // The next writer: clears the dead child's lock, recovers, migrates (a write transaction).
  const batches = new Map<number, number>()
  let records = 0
  const hotJournal = journalHasHeader(dbPath)
  try {
    const store = await openSqliteStore(dbPath, { busyTimeoutMs: 30_000, staleLockMs: CHECK_STALE_MS })
    await store.close()
  } catch (e) {
    return { problems: [`reopening failed: ${(e as Error).message}`], batches, records, hotJournal }
  }
  if (journalHasHeader(dbPath)) problems.push('the journal is still there after reopening (not rolled back)')
  const db = new sqlite.Database(dbPath)
  try {
    const integrity = db.all('PRAGMA integrity_check').map((r) => String(r.integrity_check))
    if (integrity.join() !== 'ok') problems.push(`integrity_check: ${integrity.slice(0, 5).join('; ')}`)
    for (const r of db.all("SELECT CAST(substr(record_id, 2, instr(record_id, '-') - 2) AS INTEGER) AS b, count(*) AS n FROM records GROUP BY b"))
      batches.set(Number(r.b), Number(r.n))
    for (const [b, n] of batches) {
      records += n
      if (n !== batchSize(b)) problems.push(`batch ${b}: ${n} of ${batchSize(b)} records (half a transaction)`)
    }
    const total = (counter: string) => Number(db.get("SELECT coalesce(sum(value), 0) AS v FROM totals WHERE year = 2026 AND counter = ?", [counter])?.v)
    const members = (counter: string) => Number(db.get('SELECT count(*) AS n FROM members WHERE year = 2026 AND counter = ?', [counter])?.n)
    const rowCount = Number(db.get('SELECT count(*) AS n FROM records')?.n)
    if (rowCount !== records) problems.push(`records: ${rowCount} rows, ${records} by batch`)
    if (total('crash.n') !== records) problems.push(`total crash.n = ${total('crash.n')}, records = ${records}`)
    if (total('crash.persons') !== records || members('crash.persons') !== records)
      problems.push(`crash.persons: total ${total('crash.persons')}, members ${members('crash.persons')}, records ${records}`)
    if (total('crash.vehicles') !== members('crash.vehicles')) problems.push(`crash.vehicles: total ${total('crash.vehicles')}, members ${members('crash.vehicles')}`)
    for (const b of ackedBatches) if (!batches.has(b)) problems.push(`acknowledged batch ${b} is missing`)
    const incidents = new Set(db.all("SELECT incident_id FROM incidents WHERE type = 'crash-test'").map((r) => String(r.incident_id)))
    const events = Number(db.get("SELECT count(*) AS n FROM incident_events e JOIN incidents i USING (vehicle_id, incident_id) WHERE i.type = 'crash-test'")?.n)
    if (events !== incidents.size) problems.push(`incidents: ${incidents.size} rows, ${events} events`)
    for (const id of ackedIncidents) if (!incidents.has(id)) problems.push(`acknowledged incident ${id} is missing`)
  } catch (e) {
    problems.push(`reading the file failed: ${(e as Error).message}`)
  } finally {
    db.close()
  }
  return { problems, batches, records, hotJournal }
}

describe('backend store survives SIGKILL', () => {
  const dir = mkdtempSync(join(tmpdir(), 'adx-store-crash-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it(`keeps every batch whole and every acknowledged one across ${KILLS} random kills`, async () => {
    const seed = Number(process.env.ADX_CRASH_SEED ?? Date.now() % 2 ** 31)
    const random = rng(seed)
    const dbPath = join(dir, 'backend.sqlite')
    const ackedBatches = new Set<number>()
    const ackedIncidents = new Set<string>()
    const log: string[] = [`seed=${seed}`]
    let kills = 0
    let hotJournals = 0
    let runs = 0
    let next = 0
    while (kills < KILLS) {
      // Carry on from the last acknowledged batch, sometimes re-sending one or two (dedupe).
      const first = Math.max(0, next - Math.floor(random() * 3))
      const mode = random() < 0.5 ? ('worker' as const) : ('direct' as const)
      // 20%: anywhere from start-up through open into the stream; 40%: mid-stream; 40%: within
      // 15 ms of a write transaction starting its journal (so that many kills interrupt a write).
      const p = random()
      const plan =
        p < 0.2
          ? { after: 'spawn' as const, delayMs: Math.floor(random() * 1_500) }
          : p < 0.6
            ? { after: 'first-ack' as const, delayMs: Math.floor(random() * 400) }
            : { after: 'journal' as const, delayMs: Math.floor(random() * 15) }
      const r = await runChild(dbPath, first, LAST_BATCH, mode, plan, ackedBatches, ackedIncidents)
      runs++
      if (!r.killed) throw new Error(`child ended before the kill (code ${r.code}):\n${r.stderr}\n${log.join('\n')}`)
      kills++
      const c = await check(dbPath, ackedBatches, ackedIncidents)
      if (c.hotJournal) hotJournals++
      log.push(
        `run ${runs}: ${mode} from ${first} kill=${plan.after}+${plan.delayMs}ms -> acks=${r.acks}${c.hotJournal ? ' hot-journal' : ''} batches in=${c.batches.size} records=${c.records}` +
          (c.problems.length ? ` PROBLEMS: ${c.problems.join(' | ')}` : ''),
      )
      expect(c.problems, log.join('\n')).toEqual([])
      next = Math.max(-1, ...c.batches.keys(), ...ackedBatches) + 1
    }
    // The next writer proceeds: a last run ingests a few batches and closes cleanly.
    const last = await runChild(dbPath, next, next + 3, 'worker', null, ackedBatches, ackedIncidents)
    if (!last.done) throw new Error(`final run failed (code ${last.code}):\n${last.stderr}\n${log.join('\n')}`)
    const c = await check(dbPath, ackedBatches, ackedIncidents)
    expect(c.problems, log.join('\n')).toEqual([])
    expect(kills).toBeGreaterThanOrEqual(20)
    // About half the kills interrupt a write; none doing so would mean the test no longer tests.
    expect(hotJournals, log.join('\n')).toBeGreaterThan(0)
    console.log(`store crash test: ${kills} kills (${hotJournals} mid-write, journal rolled back), ${ackedBatches.size} acknowledged batches, ${c.records} records, ${log[0]}`)
    if (process.env.ADX_CRASH_LOG) console.log(log.join('\n'))
  }, 300_000)
})
