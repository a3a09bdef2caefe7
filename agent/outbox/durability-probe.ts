/**
 * Evidence for the journal settings chosen in sqlite.ts: which node-sqlite3-wasm journal modes
 * survive a process kill. Run `npx tsx agent/outbox/durability-probe.ts [kills]` (from the repo
 * root) to print, for DELETE, TRUNCATE, PERSIST (normal locking) and WAL (exclusive locking,
 * what the outbox uses):
 *  - torn: a transaction that has spilled pages to the database file is SIGKILLed; after
 *    reopening, is the database back to its last commit, or does it show half a transaction?
 *  - stress: a writer committing 200 x 1 KB rows per transaction is SIGKILLed `kills` times at
 *    random moments; after each kill, is the file intact and every reported commit present?
 * Also the child side of sqlite.test.ts (`child-torn <file> <mode>`).
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import sqlite from 'node-sqlite3-wasm'
import type { Database } from 'node-sqlite3-wasm'
import { acquireOwnerLock } from './owner-lock.ts'
import { openDurableDatabase } from './sqlite.ts'

/** Journal modes compared. 'wal' = the outbox's settings (EXCLUSIVE locking, WAL, FULL). */
export type ProbeMode = 'delete' | 'truncate' | 'persist' | 'wal'

const self = fileURLToPath(import.meta.url)
const repoRoot = fileURLToPath(new URL('../../', import.meta.url))

/** Open `file` in `mode`, clearing a stale lock first (what the outbox does on open). */
export function openForProbe(file: string, mode: ProbeMode): Database {
  if (mode === 'wal') {
    acquireOwnerLock(file) // the owner record stays: this process is the owner until it exits
    return openDurableDatabase(file)
  }
  rmSync(`${file}.lock`, { recursive: true, force: true }) // the killed owner's lock
  const db = new sqlite.Database(file)
  db.get(`PRAGMA journal_mode=${mode}`)
  db.exec('PRAGMA synchronous=FULL')
  return db
}

/** Child: commit 100 rows of 1000 bytes, then spill part of a bigger transaction to disk and SIGKILL itself. */
function childTorn(file: string, mode: ProbeMode): void {
  const db = openForProbe(file, mode)
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB)')
  db.exec('BEGIN')
  for (let i = 0; i < 100; i++) db.run('INSERT INTO t (b) VALUES (?)', [new Uint8Array(1000)])
  db.exec('COMMIT')
  db.exec('PRAGMA cache_size=5') // force the uncommitted transaction to spill pages early
  db.exec('BEGIN')
  for (let i = 0; i < 2000; i++) db.run('INSERT INTO t (b) VALUES (?)', [new Uint8Array(1000)])
  db.run('UPDATE t SET b = zeroblob(900) WHERE id <= 100')
  process.kill(process.pid, 'SIGKILL')
}

/** Child: commit 200 x 1 KB rows per transaction forever, printing the row count after each commit. */
function childStress(file: string, mode: ProbeMode): void {
  const db = openForProbe(file, mode)
  db.exec('CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, k TEXT UNIQUE, b BLOB)')
  let n = Number((db.get('SELECT count(*) AS c FROM t') as { c: number }).c)
  const st = db.prepare('INSERT INTO t (k, b) VALUES (?, ?)')
  for (;;) {
    db.exec('BEGIN IMMEDIATE')
    for (let i = 0; i < 200; i++) st.run([Math.random().toString(36), new Uint8Array(1024)])
    db.exec('COMMIT')
    n += 200
    process.stdout.write(`${n}\n`)
  }
}

/** State of a probe database after a crash, as a fresh process sees it. */
export interface TornReport {
  rows: number
  /** Rows whose blob is not the committed 1000 bytes (nonzero = half a transaction is visible). */
  changedRows: number
  integrity: string
}

/** Inspect a database left by childTorn. */
export function inspectTorn(file: string, mode: ProbeMode): TornReport {
  let db: Database | undefined
  try {
    db = openForProbe(file, mode)
    const rows = Number((db.get('SELECT count(*) AS c FROM t') as { c: number }).c)
    const changedRows = Number((db.get('SELECT count(*) AS c FROM t WHERE length(b) <> 1000') as { c: number }).c)
    const integrity = String((db.get('PRAGMA integrity_check') as { integrity_check: string }).integrity_check)
    return { rows, changedRows, integrity }
  } catch (e) {
    return { rows: -1, changedRows: -1, integrity: `error: ${(e as Error).message}` }
  } finally {
    db?.close()
    rmSync(`${file}.owner`, { force: true })
  }
}

/** Run this file as a child; with `killAfterFirstLineMs`, SIGKILL it that long after its first stdout line. */
function run(args: string[], onLine?: (line: string) => void, killAfterFirstLineMs?: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', self, ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'ignore'] })
    let buf = ''
    let timer: NodeJS.Timeout | undefined
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (d: string) => {
      buf += d
      const lines = buf.split('\n')
      buf = lines.pop() ?? ''
      for (const l of lines) onLine?.(l)
      if (lines.length && killAfterFirstLineMs !== undefined && !timer) timer = setTimeout(() => child.kill('SIGKILL'), killAfterFirstLineMs)
    })
    child.on('error', reject)
    child.on('close', () => {
      if (timer) clearTimeout(timer)
      resolve()
    })
  })
}

/** Run the torn-transaction experiment in a fresh directory. */
export async function probeTorn(mode: ProbeMode): Promise<TornReport> {
  const dir = mkdtempSync(join(tmpdir(), 'adx-probe-'))
  try {
    const file = join(dir, 'p.db')
    await run(['child-torn', file, mode])
    return inspectTorn(file, mode)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Kill a committing writer `kills` times; count kills after which the file was corrupt or lost reported commits. */
export async function probeStress(mode: ProbeMode, kills: number): Promise<{ kills: number; bad: number; firstBad: string; committedRows: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'adx-probe-'))
  const file = join(dir, 's.db')
  let reported = 0
  let bad = 0
  let firstBad = ''
  let k = 0
  try {
    for (; k < kills; k++) {
      await run(['child-stress', file, mode], (l) => (reported = Math.max(reported, Number(l))), Math.random() * 300)
      let db: Database | undefined
      let verdict = ''
      try {
        db = openForProbe(file, mode)
        const integrity = String((db.get('PRAGMA integrity_check') as { integrity_check: string }).integrity_check)
        const n = Number((db.get('SELECT count(*) AS c FROM t') as { c: number }).c)
        if (integrity !== 'ok') verdict = `integrity: ${integrity.slice(0, 60)}`
        else if (n < reported) verdict = `lost commits: ${n} rows < ${reported} reported`
        else if (n % 200 !== 0) verdict = `partial transaction: ${n} rows`
        reported = Math.max(reported, n)
      } catch (e) {
        verdict = `open/read failed: ${(e as Error).message}`
      } finally {
        try {
          db?.close()
        } catch {
          // a corrupt file may not close cleanly
        }
        rmSync(`${file}.owner`, { force: true })
      }
      if (verdict) {
        bad++
        firstBad ||= `kill ${k + 1}: ${verdict}`
        if (verdict.startsWith('integrity') || verdict.startsWith('open')) {
          k++
          break // the file is gone; further kills prove nothing more
        }
      }
    }
    return { kills: k, bad, firstBad, committedRows: reported }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

async function main(argv: string[]): Promise<void> {
  const [cmd, file, mode] = argv
  if (cmd === 'child-torn') return childTorn(file!, mode as ProbeMode)
  if (cmd === 'child-stress') return childStress(file!, mode as ProbeMode)
  const kills = Number(cmd ?? 30)
  console.log(`node-sqlite3-wasm durability probe (synchronous=FULL everywhere; ${kills} kills per stress run)`)
  for (const m of ['delete', 'truncate', 'persist', 'wal'] as const) {
    const torn = await probeTorn(m)
    const stress = await probeStress(m, kills)
    console.log(
      `${m.padEnd(8)} torn: rows=${torn.rows} changedRows=${torn.changedRows} integrity=${torn.integrity}` +
        ` | stress: ${stress.bad} bad of ${stress.kills} kills${stress.firstBad ? ` (first: ${stress.firstBad})` : ''}, ${stress.committedRows} rows committed`,
    )
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((e) => {
    console.error(e)
    process.exit(1)
  })
}
