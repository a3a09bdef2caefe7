/**
 * The agent's own durable state beside the outbox (`state.db`, same crash-safe SQLite mode):
 * the last good signed policies (as received bytes, re-verified on load), the pseudonyms
 * already exported this counting year (`knownSubjects`), and how much of each quota lease has
 * been used. Writes are buffered in memory (reads see them at once) and committed together in
 * one fsync'd transaction by `flush()`: the pipeline flushes at the end of every batch, before
 * it acknowledges the batch's payloads; stored policies are flushed within 20 ms. A crash before
 * a flush loses nothing that matters: a policy is received again (it is retained at the broker),
 * and a payload whose subjects were not yet recorded is processed again and draws them again
 * from its lease (counting them twice against the lease, never too few).
 */
import { mkdirSync } from 'node:fs'
import type { Database } from 'node-sqlite3-wasm'
import { countingYear } from '../../shared/calendar.ts'
import { AdxError } from '../../shared/errors.ts'
import { acquireOwnerLock, type OwnerLock } from '../outbox/owner-lock.ts'
import { fsyncDir, openDurableDatabase, parentDir } from '../outbox/sqlite.ts'

/** Schema version of state.db (PRAGMA user_version); a newer file is refused, never misread. */
export const STATE_SCHEMA_VERSION = 1

const SCHEMA = `
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS subjects (year INTEGER NOT NULL, pseudonym TEXT NOT NULL, PRIMARY KEY (year, pseudonym)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS lease_use (lease_id TEXT PRIMARY KEY, persons INTEGER NOT NULL, sensitive INTEGER NOT NULL) WITHOUT ROWID;
`

/** How much of a lease has been drawn. */
export interface LeaseUse {
  persons: number
  sensitive: number
}

/** A subject newly exported (counts against the lease). */
export interface NewSubject {
  pseudonym: string
  sensitive: boolean
}

/** The agent's durable state. Open with `openAgentState(path)`. */
export class AgentState {
  private year: number
  private known = new Set<string>()
  /** Buffered writes (see flush). */
  private pendingKv = new Map<string, Uint8Array>()
  private pendingSubjects: { year: number; pseudonym: string }[] = []
  private pendingLease = new Map<string, LeaseUse>()
  private flushTimer: NodeJS.Timeout | undefined

  private constructor(
    private readonly db: Database,
    private readonly lock: OwnerLock,
    private readonly now: () => number,
  ) {
    this.year = countingYear(now())
    this.loadYear()
  }

  /**
   * Open (creating) the state file; takes over from a crashed owner.
   * @throws AdxError ADX_ERR_AGENT_STATE
   */
  static open(path: string, now: () => number = Date.now): AgentState {
    mkdirSync(parentDir(path), { recursive: true })
    let lock: OwnerLock | undefined
    try {
      lock = acquireOwnerLock(path)
      const db = openDurableDatabase(path)
      const found = Number((db.get('PRAGMA user_version') as { user_version: number } | null)?.user_version ?? 0)
      if (found > STATE_SCHEMA_VERSION) {
        db.close()
        throw new Error(`schema version ${found} is newer than this agent understands (${STATE_SCHEMA_VERSION})`)
      }
      db.exec(SCHEMA)
      db.exec(`PRAGMA user_version=${STATE_SCHEMA_VERSION}`)
      fsyncDir(parentDir(path))
      return new AgentState(db, lock, now)
    } catch (e) {
      lock?.release()
      throw new AdxError('ADX_ERR_AGENT_STATE', `${path}: ${(e as Error).message}`, [], { cause: e })
    }
  }

  private loadYear(): void {
    this.flush()
    const rows = this.db.all('SELECT pseudonym FROM subjects WHERE year = ?', [this.year]) as { pseudonym: string }[]
    this.known = new Set(rows.map((r) => r.pseudonym))
  }

  /** Pseudonyms already exported in the current counting year (China Standard Time). */
  knownSubjects(): ReadonlySet<string> {
    const y = countingYear(this.now())
    if (y !== this.year) {
      this.year = y
      this.loadYear()
    }
    return this.known
  }

  /** Lease consumption so far (committed and buffered). */
  leaseUse(leaseId: string): LeaseUse {
    const row = this.db.get('SELECT persons, sensitive FROM lease_use WHERE lease_id = ?', [leaseId]) as { persons: number; sensitive: number } | null
    const p = this.pendingLease.get(leaseId)
    return { persons: Number(row?.persons ?? 0) + (p?.persons ?? 0), sensitive: Number(row?.sensitive ?? 0) + (p?.sensitive ?? 0) }
  }

  /**
   * Record subjects as exported and draw them from the lease (buffered: durable at the next
   * flush; reads see it at once). Subjects already known are ignored (a replay never draws twice).
   */
  recordExported(subjects: readonly NewSubject[], leaseId: string | undefined): void {
    this.knownSubjects()
    const fresh = subjects.filter((s, i) => !this.known.has(s.pseudonym) && subjects.findIndex((o) => o.pseudonym === s.pseudonym) === i)
    if (fresh.length === 0) return
    for (const s of fresh) {
      this.known.add(s.pseudonym)
      this.pendingSubjects.push({ year: this.year, pseudonym: s.pseudonym })
    }
    if (leaseId !== undefined) {
      const sens = fresh.filter((s) => s.sensitive).length
      const p = this.pendingLease.get(leaseId) ?? { persons: 0, sensitive: 0 }
      this.pendingLease.set(leaseId, { persons: p.persons + fresh.length - sens, sensitive: p.sensitive + sens })
    }
  }

  /** A stored value (e.g. the last good signed policy bytes). */
  get(key: string): Uint8Array | undefined {
    const p = this.pendingKv.get(key)
    if (p) return p
    const row = this.db.get('SELECT value FROM kv WHERE key = ?', [key]) as { value: Uint8Array } | null
    return row ? new Uint8Array(row.value) : undefined
  }

  /** Store a value (durable within 20 ms, or at the next flush). */
  set(key: string, value: Uint8Array): void {
    this.pendingKv.set(key, value)
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = undefined
      try {
        this.flush()
      } catch {
        // retried at the next flush (the values stay buffered)
      }
    }, 20)
    this.flushTimer.unref()
  }

  /**
   * Commit every buffered write in one transaction.
   * @throws AdxError ADX_ERR_AGENT_STATE (the writes stay buffered for the next try)
   */
  flush(): void {
    if (this.pendingKv.size === 0 && this.pendingSubjects.length === 0 && this.pendingLease.size === 0) return
    this.db.exec('BEGIN IMMEDIATE')
    try {
      for (const s of this.pendingSubjects) this.db.run('INSERT OR IGNORE INTO subjects (year, pseudonym) VALUES (?, ?)', [s.year, s.pseudonym])
      for (const [leaseId, u] of this.pendingLease)
        this.db.run(
          'INSERT INTO lease_use (lease_id, persons, sensitive) VALUES (?, ?, ?) ON CONFLICT(lease_id) DO UPDATE SET persons = persons + excluded.persons, sensitive = sensitive + excluded.sensitive',
          [leaseId, u.persons, u.sensitive],
        )
      for (const [key, value] of this.pendingKv) this.db.run('INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value', [key, value])
      this.db.exec('COMMIT')
    } catch (e) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK')
      throw new AdxError('ADX_ERR_AGENT_STATE', (e as Error).message, [], { cause: e })
    }
    this.pendingSubjects = []
    this.pendingLease.clear()
    this.pendingKv.clear()
  }

  /** Close the database and give up ownership. */
  close(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer)
    this.flushTimer = undefined
    try {
      this.flush()
    } catch {
      // nothing more can be done: what was not flushed is received or drawn again after restart
    }
    try {
      this.db.close()
    } finally {
      this.lock.release()
    }
  }
}
