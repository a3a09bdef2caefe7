/**
 * node-sqlite3-wasm locks a database file by creating the directory `<file>.lock` for the
 * duration of each statement or transaction. A process killed inside one leaves that directory
 * behind and every later opener gets SQLITE_BUSY forever. A lock directory older than any real
 * transaction (by its birth/change time, or by watching the same directory that long) is such a
 * leftover.
 */
import { rmdirSync, statSync } from 'node:fs'

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
