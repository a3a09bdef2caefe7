/**
 * node-sqlite3-wasm locks a database file by creating the directory `<file>.lock` for the
 * duration of each statement or transaction. A process killed inside one leaves that directory
 * behind and every later opener gets SQLITE_BUSY forever. A lock directory older than any real
 * transaction (by its birth/change time, or by watching the same directory that long) is such a
 * leftover.
 *
 * The same VFS also answers SQLite's "does another connection hold a RESERVED lock?" question
 * wrongly, so that a journal left by a killed writer was never rolled back: see
 * `recoverHotJournals` below.
 */
import fs, { rmdirSync, statSync } from 'node:fs'
import { resolve } from 'node:path'

/** Identity and creation time of a lock directory, or undefined when there is none. */
export function lockIdentity(dbPath: string): { id: string; createdMs: number } | undefined {
  try {
    const st = statSync(`${dbPath}.lock`)
    const createdMs = st.birthtimeMs || st.ctimeMs
    return { id: `${st.ino}:${createdMs}`, createdMs }
  } catch {
    return undefined
  }
}

/**
 * Watches one lock directory over time; `isStale()` is true once the same directory has been
 * seen for at least `staleMs`.
 */
export class LockWatch {
  private seen: { id: string; sinceMs: number } | undefined

  constructor(
    private readonly dbPath: string,
    private readonly staleMs: number,
  ) {}

  /** True when the current lock directory was created, or first seen, `staleMs` ago or earlier. */
  isStale(nowMs: number): boolean {
    const lock = lockIdentity(this.dbPath)
    if (lock === undefined) {
      this.seen = undefined
      return false
    }
    if (!this.seen || this.seen.id !== lock.id) this.seen = { id: lock.id, sinceMs: nowMs }
    return nowMs - Math.min(this.seen.sinceMs, lock.createdMs) >= this.staleMs
  }

  /** Removes the stale lock directory; true when something was removed. */
  clear(): boolean {
    this.seen = undefined
    try {
      rmdirSync(`${this.dbPath}.lock`)
      return true
    } catch {
      return false
    }
  }
}

/**
 * Lock paths (`<absolute db path>.lock`) whose reserved-lock check is answered correctly.
 * Module state, hence per thread: each worker thread has its own `node:fs` and its own SQLite.
 */
const recovering = new Set<string>()

/**
 * Makes SQLite roll back the journal of a writer that died mid-transaction (a "hot journal")
 * on the file at `dbPath`, as it does on every other platform.
 *
 * Why it is needed: before reading, SQLite takes a SHARED lock and, if a `-journal` exists, asks
 * the VFS (xCheckReservedLock) whether some other connection holds a RESERVED lock, i.e. is
 * writing that journal right now. Only if not is the journal hot and played back. The VFS of
 * node-sqlite3-wasm 0.8.60 answers "yes" whenever the directory `<db>.lock` exists
 * (`fs.accessSync(<db>.lock)`), but that directory is also its SHARED lock, which the asking
 * connection itself has just taken. The answer was therefore always "yes", no journal was ever
 * hot, and a transaction interrupted after it had written pages to the database file (at COMMIT,
 * or earlier when a big transaction spills the page cache) stayed half applied: torn batches,
 * totals that disagree with the records, "database disk image is malformed"
 * (backend/store/crash.test.ts reproduces it within a few SIGKILLs).
 *
 * The right answer in this VFS is always "no": its lock is one directory for every lock level,
 * so while the asking connection holds it (SQLite only asks while holding SHARED) no other
 * connection can hold any lock, and a journal that exists then belongs to a writer that is gone.
 * xCheckReservedLock is the VFS's only `fs.accessSync` call on a `.lock` path (xAccess is asked
 * about `-journal`/`-wal` names only), so `fs.accessSync` is wrapped to report the registered
 * lock paths as absent to it. Nothing else in ADX calls `fs.accessSync` on those paths.
 *
 * Call before the first statement on the file; idempotent.
 */
export function recoverHotJournals(dbPath: string): void {
  if (recovering.size === 0) {
    const accessSync = fs.accessSync
    const wrapped = function accessSyncAnsweringReservedLock(path: fs.PathLike, mode?: number): void {
      if (typeof path === 'string' && recovering.has(path)) {
        throw Object.assign(new Error(`ENOENT: reserved-lock check of ${path} answered for node-sqlite3-wasm`), { code: 'ENOENT', path })
      }
      accessSync(path, mode)
    }
    fs.accessSync = wrapped
  }
  recovering.add(`${resolve(dbPath)}.lock`)
}
