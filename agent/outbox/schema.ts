/**
 * The outbox's tables and their versioning. `ensureSchema` creates a missing schema, accepts
 * the current one, would migrate an older one step by step, and refuses a newer one
 * (ADX_ERR_OUTBOX_SCHEMA) rather than guess at it.
 *
 * items       one row per queued payload. `seq` is the global enqueue order (never reused
 *             while lower rows exist), so ORDER BY seq is per-destination FIFO.
 *             UNIQUE(destination, id) makes enqueue idempotent.
 * delivered   tombstones of acknowledged (destination, id), kept for a while so that a
 *             producer re-enqueueing after a crash does not send a payload twice.
 * incidents   eviction incidents, written in the same transaction as the eviction, so an
 *             eviction can never be committed without its incident (see Outbox.pendingIncidents).
 */
import type { Database } from 'node-sqlite3-wasm'
import { OutboxError } from './errors.ts'

/** The schema version this code writes. */
export const SCHEMA_VERSION = 2

const schemaV1 = `
CREATE TABLE items (
  seq             INTEGER PRIMARY KEY,
  destination     TEXT    NOT NULL,
  id              TEXT    NOT NULL,
  priority        INTEGER NOT NULL,
  body            BLOB    NOT NULL,
  size            INTEGER NOT NULL,
  meta            TEXT,
  enqueued_at     INTEGER NOT NULL,
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL DEFAULT 0,
  last_error      TEXT,
  hold_reason     TEXT,
  held_at         INTEGER,
  UNIQUE (destination, id)
);
CREATE INDEX items_by_destination ON items (destination, seq);
CREATE INDEX items_by_id ON items (id);
CREATE INDEX items_evictable ON items (priority, seq) WHERE hold_reason IS NULL;
CREATE INDEX items_held ON items (seq) WHERE hold_reason IS NOT NULL;
CREATE TABLE delivered (
  destination TEXT    NOT NULL,
  id          TEXT    NOT NULL,
  acked_at    INTEGER NOT NULL,
  UNIQUE (destination, id)
);
CREATE INDEX delivered_by_age ON delivered (acked_at);
CREATE TABLE incidents (
  seq  INTEGER PRIMARY KEY,
  at   INTEGER NOT NULL,
  json TEXT    NOT NULL
);
`

/**
 * Migrations: the statements that take a file from version n − 1 to n.
 * 2: peek() walks only the items not held (a gateway may hold thousands in `@ingress`, which
 *    peek otherwise stepped over on every call).
 */
const migrations: Readonly<Record<number, string>> = {
  2: 'CREATE INDEX IF NOT EXISTS items_ready ON items (destination, seq) WHERE hold_reason IS NULL;',
}

/**
 * Make sure the schema exists at SCHEMA_VERSION. Runs in its own IMMEDIATE transaction.
 * Returns the version found before (0 = new file).
 */
export function ensureSchema(db: Database): number {
  db.exec('BEGIN IMMEDIATE')
  try {
    const hasVersionTable = db.get("SELECT 1 AS x FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'")
    let found = 0
    if (hasVersionTable) {
      const row = db.get('SELECT max(version) AS v FROM schema_version') as { v: number | null } | null
      found = Number(row?.v ?? 0)
    }
    if (found > SCHEMA_VERSION) {
      throw new OutboxError('ADX_ERR_OUTBOX_SCHEMA', `file has schema version ${found}, this code knows up to ${SCHEMA_VERSION}`)
    }
    if (found === 0) {
      if (!hasVersionTable) db.exec('CREATE TABLE schema_version (version INTEGER NOT NULL)')
      db.exec(schemaV1)
      db.run('INSERT INTO schema_version (version) VALUES (?)', [1])
    }
    for (let v = Math.max(found, 1) + 1; v <= SCHEMA_VERSION; v++) {
      db.exec(migrations[v]!)
      db.run('UPDATE schema_version SET version = ?', [v])
    }
    db.exec('COMMIT')
    return found
  } catch (e) {
    if (db.inTransaction) db.exec('ROLLBACK')
    throw e
  }
}
