/**
 * Crash test: a child process streams enqueues and reports each id only after enqueue
 * resolved; the parent SIGKILLs it at random moments (during start-up, open, recovery or
 * mid-stream) at least 20 times, restarting it each time to continue the stream (re-sending a
 * few already reported ids, which must come back 'already-queued'). At the end every reported
 * id must be in the outbox exactly once, with its body, and peek() must return the ids in the
 * order their enqueues were first acknowledged.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import sqlite from 'node-sqlite3-wasm'
import { afterAll, describe, expect, it } from 'vitest'
import { bodyOf, destinationOf } from './crash-child.ts'
import { openOutbox } from './outbox.ts'

const childScript = fileURLToPath(new URL('./crash-child.ts', import.meta.url))
const repoRoot = fileURLToPath(new URL('../../', import.meta.url))

const TOTAL = 6000
const KILLS = 24
/** Payloads per second the child streams (paced so that the stream outlasts the kills). */
const RATE = 2500

/** Small seeded RNG (mulberry32) so that a failing schedule can be replayed from its seed. */
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
  opens: string[]
}

/**
 * Run the child from `start`. `killPlan`: kill `delayMs` after spawn, or `delayMs` after the
 * first reported id; null = let it finish. Reported ids go into `acked`.
 */
function runChild(dbPath: string, start: number, pace: { workers: number; rate: number; burst: number }, killPlan: { after: 'spawn' | 'first-ack'; delayMs: number } | null, acked: Set<number>, queuedOrder: number[]): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', childScript, dbPath, String(start), String(TOTAL), String(pace.workers), String(pace.rate), String(pace.burst)], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    let stderr = ''
    let done = false
    let killed = false
    let timer: NodeJS.Timeout | undefined
    const opens: string[] = []
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
        else if (line.startsWith('OPEN ')) opens.push(line.slice(5))
        else if (line.startsWith('Q ') || line.startsWith('D ')) {
          const i = Number(line.slice(2))
          acked.add(i)
          if (line.startsWith('Q ')) queuedOrder.push(i) // first acknowledgements come in commit order
          if (killPlan?.after === 'first-ack' && !timer) timer = setTimeout(kill, killPlan.delayMs)
        }
      }
    })
    child.stderr.setEncoding('utf8')
    child.stderr.on('data', (chunk: string) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', (code) => {
      if (timer) clearTimeout(timer)
      resolve({ killed, done, code, stderr, opens })
    })
  })
}

describe('outbox survives SIGKILL', () => {
  const dir = mkdtempSync(join(tmpdir(), 'adx-outbox-crash-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it(`keeps every acknowledged id exactly once across ${KILLS} random kills`, async () => {
    const seed = Number(process.env.ADX_CRASH_SEED ?? Date.now() % 2 ** 31)
    const random = rng(seed)
    const dbPath = join(dir, 'outbox.db')
    const acked = new Set<number>()
    const queuedOrder: number[] = []
    // Producers run concurrently, so a later id can be committed (and reported) before an
    // earlier one: resume from the first id not reported yet, not from the highest reported.
    const firstGap = () => {
      let i = 0
      while (acked.has(i)) i++
      return i
    }
    const log: string[] = [`seed=${seed}`]
    let kills = 0
    let takeovers = 0
    let runs = 0
    while (kills < KILLS) {
      // Continue the stream, re-sending up to 40 already acknowledged ids.
      const start = Math.max(0, firstGap() - Math.floor(random() * 40))
      const pace = { workers: 1 + Math.floor(random() * 64), rate: RATE, burst: 1 + Math.floor(random() * 200) }
      // 30%: anywhere from start-up through open/recovery into the stream; else mid-stream.
      const plan = random() < 0.3 ? { after: 'spawn' as const, delayMs: Math.floor(random() * 350) } : { after: 'first-ack' as const, delayMs: Math.floor(random() * 100) }
      const r = await runChild(dbPath, start, pace, plan, acked, queuedOrder)
      runs++
      takeovers += r.opens.filter((o) => o === 'takeover').length
      log.push(`run ${runs}: start=${start} workers=${pace.workers} burst=${pace.burst} kill=${plan.after}+${plan.delayMs}ms -> killed=${r.killed} done=${r.done} acked=${acked.size}`)
      if (!r.killed && !r.done) throw new Error(`child failed (code ${r.code}):\n${r.stderr}\n${log.join('\n')}`)
      if (r.killed) kills++
      if (r.done) break // stream finished early: fine, the kills so far still count
      if (runs > KILLS * 4) throw new Error(`too many runs\n${log.join('\n')}`)
    }
    // Finish the stream without killing.
    const last = await runChild(dbPath, Math.max(0, firstGap() - 10), { workers: 16, rate: 0, burst: 1 }, null, acked, queuedOrder)
    if (!last.done) throw new Error(`final run failed (code ${last.code}):\n${last.stderr}\n${log.join('\n')}`)

    expect(kills, log.join('\n')).toBeGreaterThanOrEqual(Math.min(KILLS, 20))
    expect(takeovers, 'a killed owner must have been taken over at least once').toBeGreaterThan(0)

    // Every id of the stream is present exactly once with its body, in order per destination.
    const outbox = await openOutbox({ path: dbPath, maxItems: 1_000_000, maxBytes: 1 << 30 })
    try {
      const stats = outbox.stats()
      expect(stats.items, log.join('\n')).toBe(TOTAL)
      for (const i of acked) {
        const item = outbox.get(destinationOf(i), `p-${i}`)
        expect(item, `acknowledged p-${i} lost (${log[0]})`).not.toBeNull()
        expect(Buffer.from(item!.body).equals(Buffer.from(bodyOf(i))), `body of p-${i}`).toBe(true)
      }
      // peek order = commit order: the ids reported 'Q' must appear in it in the order reported.
      for (const dest of ['eu-oem', 'cn-backend']) {
        const ids = outbox.peek(dest, TOTAL).map((it) => Number(it.id.slice(2)))
        expect(ids.length).toBe(stats.destinations[dest]?.items)
        const position = new Map(ids.map((v, k) => [v, k]))
        const seen = queuedOrder.filter((i) => destinationOf(i) === dest).map((i) => position.get(i) ?? -1)
        expect(seen.every((p, k) => p >= 0 && (k === 0 || p > seen[k - 1]!)), `${dest}: delivery order differs from commit order`).toBe(true)
      }
    } finally {
      await outbox.close()
    }
    // And structurally: no (destination, id) twice, no other rows, file intact.
    const db = new sqlite.Database(dbPath)
    try {
      db.get('PRAGMA locking_mode=EXCLUSIVE')
      expect(db.get('PRAGMA integrity_check')).toEqual({ integrity_check: 'ok' })
      expect(db.get('SELECT count(*) AS n, count(DISTINCT id) AS d FROM items')).toEqual({ n: TOTAL, d: TOTAL })
    } finally {
      db.close()
    }
    console.log(`crash test: ${kills} kills, ${takeovers} takeovers, ${acked.size} acknowledged ids, ${log[0]}`)
  }, 120_000)
})
