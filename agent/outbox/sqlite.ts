/**
 * Opening an outbox database with settings that are crash safe AND durable on
 * node-sqlite3-wasm, and checking that they took effect.
 *
 * Why these settings (measured with node-sqlite3-wasm 0.8.60 / SQLite 3.53.4, see README.md):
 * - Rollback-journal modes (DELETE, TRUNCATE, PERSIST) are NOT crash safe with this library.
 *   Its VFS reports "someone holds a RESERVED lock" whenever the `<db>.lock` directory exists,
 *   including the lock the opening connection itself has just taken, so SQLite never treats a
 *   journal left by a killed process as hot and never rolls it back: a transaction interrupted
 *   mid-write stays half applied, and SIGKILL loops corrupt the file ("database disk image is
 *   malformed") within a few kills.
 * - WAL is refused in the default NORMAL locking mode (the VFS has no shared memory), but works
 *   in EXCLUSIVE locking mode, where the WAL index lives in heap memory. WAL recovery checks
 *   frame checksums and ignores uncommitted frames without consulting the lock, so a killed
 *   writer never leaves a partial transaction. A WAL database can then ONLY be opened with
 *   `locking_mode=EXCLUSIVE` set before the first read (anything else fails to open).
 * - synchronous=FULL: every COMMIT fsyncs the WAL (xSync is fs.fsyncSync), so a resolved
 *   commit survives power loss, not only a process crash. NORMAL would not fsync on commit.
 * - The VFS never fsyncs the directory when it creates a file, so after the database and WAL
 *   files exist the directory is fsynced once here, making the files' names durable too.
 */
import { dirname, resolve } from 'node:path'
import sqlite from 'node-sqlite3-wasm'
import type { Database } from 'node-sqlite3-wasm'
import { OutboxError } from './errors.ts'

/** The durability settings the outbox requires, as SQLite reports them back. */
export interface DurabilitySettings {
  journalMode: string
  lockingMode: string
  /** 2 = FULL, 3 = EXTRA. */
  synchronous: number
}

/** Read back the settings in force on `db`. */
export function readDurability(db: Database): DurabilitySettings {
  const jm = db.get('PRAGMA journal_mode') as { journal_mode: string } | null
  const lm = db.get('PRAGMA locking_mode') as { locking_mode: string } | null
  const sync = db.get('PRAGMA synchronous') as { synchronous: number } | null
  return { journalMode: jm?.journal_mode ?? '', lockingMode: lm?.locking_mode ?? '', synchronous: Number(sync?.synchronous ?? -1) }
}

/** fsync a directory so that names created in it survive power loss. Best effort off Linux. */
export { fsyncDir } from '../../shared/fsync-dir.ts'

/**
 * Open (creating if missing) `path` in EXCLUSIVE locking mode, WAL journal, synchronous=FULL.
 * The caller must hold the owner lock (owner-lock.ts) so that a stale `<db>.lock` is gone.
 * Throws ADX_ERR_OUTBOX_OPEN when the file cannot be opened or a setting does not stick.
 */
export function openDurableDatabase(path: string): Database {
  let db: Database
  try {
    db = new sqlite.Database(path)
  } catch (e) {
    throw new OutboxError('ADX_ERR_OUTBOX_OPEN', `${path}: ${(e as Error).message}`, [], { cause: e })
  }
  try {
    // Order matters: EXCLUSIVE before anything reads the file, or an existing WAL cannot open.
    db.get('PRAGMA locking_mode=EXCLUSIVE')
    db.get('PRAGMA journal_mode=WAL')
    db.exec('PRAGMA synchronous=FULL')
    // Keep the WAL file from staying at its high-water mark after checkpoints.
    db.get('PRAGMA journal_size_limit=8388608')
    const s = readDurability(db)
    if (s.journalMode !== 'wal' || s.lockingMode !== 'exclusive' || s.synchronous < 2) {
      throw new OutboxError('ADX_ERR_OUTBOX_OPEN', `${path}: settings did not take effect (${JSON.stringify(s)})`)
    }
    return db
  } catch (e) {
    try {
      db.close()
    } catch {
      // already failing; the original error is the one to report
    }
    if (e instanceof OutboxError) throw e
    throw new OutboxError('ADX_ERR_OUTBOX_OPEN', `${path}: ${(e as Error).message}`, [], { cause: e })
  }
}

/** The directory holding `path`, resolved. */
export function parentDir(path: string): string {
  return dirname(resolve(path))
}
