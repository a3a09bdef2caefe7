/**
 * Durable enqueue throughput, 1 KB bodies: the outbox's group commit against raw
 * node-sqlite3-wasm insert loops on the same schema with the same durability settings
 * (WAL, EXCLUSIVE locking, synchronous=FULL), plus the rollback-journal DELETE mode for
 * reference. Not a test (no assertions); run from the repo root:
 *
 *   npx tsx agent/outbox/bench-enqueue.ts [--dir DIR] [--rounds 3]
 *
 * DIR must be on the storage you care about (fsync cost is the whole story; tmpfs lies).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import sqlite from 'node-sqlite3-wasm'
import type { Database } from 'node-sqlite3-wasm'
import { openOutbox } from './outbox.ts'
import { acquireOwnerLock } from './owner-lock.ts'
import { ensureSchema } from './schema.ts'
import { openDurableDatabase } from './sqlite.ts'

const BODY = new Uint8Array(1024).fill(7)
const INSERT = 'INSERT INTO items (destination, id, priority, body, size, meta, enqueued_at, attempts, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, 0, 0)'

interface Case {
  name: string
  rows: number
  run(path: string): Promise<string> | string
}

function rawOpen(path: string, mode: 'wal' | 'delete'): { db: Database; done: () => void } {
  if (mode === 'wal') {
    const lock = acquireOwnerLock(path)
    const db = openDurableDatabase(path)
    ensureSchema(db)
    return { db, done: () => (db.close(), lock.release()) }
  }
  const db = new sqlite.Database(path)
  db.get('PRAGMA journal_mode=DELETE')
  db.exec('PRAGMA synchronous=FULL')
  ensureSchema(db)
  return { db, done: () => db.close() }
}

function rawLoop(mode: 'wal' | 'delete', rows: number, perRowTxn: boolean): Case {
  return {
    name: `raw ${mode === 'wal' ? 'WAL+EXCLUSIVE' : 'DELETE'} FULL, ${perRowTxn ? 'one transaction per insert' : 'one transaction for all'}`,
    rows,
    run(path) {
      const { db, done } = rawOpen(path, mode)
      const st = db.prepare(INSERT)
      try {
        if (!perRowTxn) db.exec('BEGIN IMMEDIATE')
        for (let i = 0; i < rows; i++) st.run(['eu', `p-${i}`, 1, BODY, BODY.byteLength, null, Date.now()])
        if (!perRowTxn) db.exec('COMMIT')
      } finally {
        st.finalize()
        done()
      }
      return ''
    },
  }
}

function outboxCase(rows: number, inFlight: number | 'all'): Case {
  return {
    name: `outbox enqueue, ${inFlight === 'all' ? 'all issued at once' : `${inFlight} producer${inFlight === 1 ? '' : 's'} awaiting each enqueue`}`,
    rows,
    async run(path) {
      const outbox = await openOutbox({ path, maxItems: 10 * rows, maxBytes: 2 ** 31 })
      const c0 = outbox.stats().commits
      if (inFlight === 'all') {
        await Promise.all(Array.from({ length: rows }, (_, i) => outbox.enqueue({ id: `p-${i}`, destination: 'eu', priority: 1, body: BODY })))
      } else {
        let next = 0
        const producer = async () => {
          while (next < rows) {
            const i = next++
            await outbox.enqueue({ id: `p-${i}`, destination: 'eu', priority: 1, body: BODY })
          }
        }
        await Promise.all(Array.from({ length: inFlight }, producer))
      }
      const commits = outbox.stats().commits - c0
      await outbox.close()
      return `${commits} commits, ${(rows / commits).toFixed(1)} items/commit`
    },
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { dir: { type: 'string' }, rounds: { type: 'string', default: '3' } } })
  const base = mkdtempSync(join(values.dir ?? tmpdir(), 'adx-bench-'))
  const rounds = Math.max(1, Number(values.rounds))
  const cases: Case[] = [
    rawLoop('wal', 2_000, true),
    rawLoop('wal', 20_000, false),
    rawLoop('delete', 1_000, true),
    rawLoop('delete', 20_000, false),
    outboxCase(2_000, 1),
    outboxCase(20_000, 64),
    outboxCase(20_000, 'all'),
  ]
  console.log(`node ${process.version}, ${rounds} round(s), files in ${base}; rows/s (min / median / max)`)
  try {
    let n = 0
    for (const c of cases) {
      const rates: number[] = []
      let note = ''
      for (let r = 0; r < rounds; r++) {
        const path = join(base, `b${n++}.db`)
        const t0 = performance.now()
        note = await c.run(path)
        const s = (performance.now() - t0) / 1000
        rates.push(c.rows / s)
      }
      rates.sort((a, b) => a - b)
      const f = (x: number) => Math.round(x).toLocaleString('en-US')
      console.log(`${c.name.padEnd(62)} ${String(c.rows).padStart(6)} rows: ${f(rates[0]!)} / ${f(rates[Math.floor(rates.length / 2)]!)} / ${f(rates[rates.length - 1]!)}${note ? `  (${note})` : ''}`)
    }
  } finally {
    rmSync(base, { recursive: true, force: true })
  }
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
