/**
 * The agent's durable outbox: payloads waiting for delivery, one SQLite file.
 *
 * Durability: every mutation (enqueue, ack, nack, hold, release, confirmIncidents) resolves
 * only after the transaction holding it has been committed with an fsync (WAL, synchronous=FULL,
 * see sqlite.ts). Mutations submitted close together share one transaction (group commit,
 * group-commit.ts) and are applied in submission order. Reads (peek, get, listHeld, stats,
 * pendingIncidents) are synchronous and see only committed state.
 *
 * Ordering: per destination, strict enqueue order. peek() returns the oldest items that are
 * not held, and stops at the first one that is not yet due (nacked, waiting for its backoff):
 * a not-yet-due head blocks its destination, nothing behind it overtakes it. Held items do not
 * block: they are set aside and, once released, take their original place again.
 *
 * Limits: maxBytes (sum of body sizes) and maxItems, held items included. When full, the
 * `whenFull` policy either refuses (ADX_ERR_OUTBOX_FULL, nothing written) or evicts the
 * lowest-priority, oldest items that are not held and have a strictly lower priority than the
 * newcomer; if that cannot make enough room nothing is evicted and the enqueue is refused.
 * Every refusal and eviction is reported via onIncident; evictions are also stored, in the
 * evicting transaction, until confirmIncidents() (so a crash cannot lose one).
 *
 * One process owns the file at a time (owner-lock.ts); a crashed owner is taken over on open.
 */
import type { Database, Statement } from 'node-sqlite3-wasm'
import { acquireOwnerLock, type OwnerLock } from './owner-lock.ts'
import { backoffDelayMs, type BackoffOptions } from './backoff.ts'
import { OutboxError, type OutboxErrorCode } from './errors.ts'
import { GroupCommit, type GroupCommitOptions } from './group-commit.ts'
import { ensureSchema } from './schema.ts'
import { fsyncDir, openDurableDatabase, parentDir } from './sqlite.ts'
import type {
  AckResult,
  DestinationStats,
  EnqueueItem,
  EnqueueResult,
  FullPolicy,
  HeldItem,
  HoldResult,
  NackResult,
  OutboxEvictedIncident,
  OutboxIncident,
  OutboxItem,
  OutboxOptions,
  OutboxRefusedIncident,
  OutboxStats,
  SettleResult,
  SettleWork,
} from './types.ts'

const MAX_ID_CHARS = 256
const MAX_REASON_CHARS = 128
const MAX_ERROR_CHARS = 2000
const SAFE_MIN = Number.MIN_SAFE_INTEGER

/** Resolved options. */
interface Config {
  path: string
  maxBytes: number
  maxItems: number
  whenFull: FullPolicy
  groupCommit: GroupCommitOptions
  backoff: BackoffOptions
  deliveredTtlMs: number
  maxDelivered: number
  maxIncidents: number
  now: () => number
  random: () => number
  onIncident: ((incident: OutboxIncident) => void) | undefined
}

/** A unit of work run inside a group-commit transaction. Returns its result, or an OutboxError as a value (a refusal). */
interface Job {
  run(): unknown
  resolve(value: unknown): void
  reject(error: unknown): void
}

type Row = Record<string, unknown>

const num = (v: unknown): number => Number(v ?? 0)
const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v))

function invalid(detail: string): OutboxError {
  return new OutboxError('ADX_ERR_OUTBOX_INVALID', detail)
}

function checkName(what: string, v: unknown, max = MAX_ID_CHARS): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > max) throw invalid(`${what} must be a string of 1..${max} characters`)
  return v
}

function checkIds(ids: unknown): string[] {
  if (!Array.isArray(ids)) throw invalid('ids must be an array of strings')
  return [...new Set(ids.map((id, i) => checkName(`ids[${i}]`, id)))]
}

function positiveInt(what: string, v: unknown, fallback: number, min = 1): number {
  if (v === undefined) return fallback
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) throw invalid(`${what} must be an integer >= ${min}`)
  return v
}

function resolveConfig(opts: OutboxOptions): Config {
  if (!opts || typeof opts !== 'object') throw invalid('options must be an object')
  if (typeof opts.path !== 'string' || opts.path.length === 0) throw invalid('path must be a non-empty string')
  if (opts.path === ':memory:') throw invalid('path must be a file (an in-memory outbox is not durable)')
  const whenFull = opts.whenFull ?? 'refuse'
  if (whenFull !== 'refuse' && whenFull !== 'evict-low-priority') throw invalid(`whenFull must be 'refuse' or 'evict-low-priority'`)
  const gc = opts.groupCommit ?? {}
  const bo = opts.backoff ?? {}
  const baseMs = positiveInt('backoff.baseMs', bo.baseMs, 1000)
  const capMs = positiveInt('backoff.capMs', bo.capMs, 300_000)
  if (capMs < baseMs) throw invalid('backoff.capMs must be >= backoff.baseMs')
  if (opts.onIncident !== undefined && typeof opts.onIncident !== 'function') throw invalid('onIncident must be a function')
  return {
    path: opts.path,
    maxBytes: positiveInt('maxBytes', opts.maxBytes, 64 * 1024 * 1024),
    maxItems: positiveInt('maxItems', opts.maxItems, 100_000),
    whenFull,
    groupCommit: {
      maxBatch: positiveInt('groupCommit.maxBatch', gc.maxBatch, 512),
      maxBatchBytes: positiveInt('groupCommit.maxBatchBytes', gc.maxBatchBytes, 4 * 1024 * 1024),
      maxDelayMs: positiveInt('groupCommit.maxDelayMs', gc.maxDelayMs, 0, 0),
    },
    backoff: { baseMs, capMs },
    deliveredTtlMs: positiveInt('deliveredTtlMs', opts.deliveredTtlMs, 24 * 3600 * 1000, 0),
    maxDelivered: positiveInt('maxDelivered', opts.maxDelivered, 100_000),
    maxIncidents: positiveInt('maxIncidents', opts.maxIncidents, 10_000),
    now: opts.now ?? Date.now,
    random: opts.random ?? Math.random,
    onIncident: opts.onIncident,
  }
}

const SQL = {
  findItem: 'SELECT seq, hold_reason FROM items WHERE destination = ? AND id = ?',
  findDelivered: 'SELECT acked_at FROM delivered WHERE destination = ? AND id = ?',
  insertItem:
    'INSERT INTO items (destination, id, priority, body, size, meta, enqueued_at, attempts, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, 0, 0)',
  // One statement for the common case: insert unless (destination, id) is queued or tombstoned since ?8.
  insertIfNew:
    'INSERT INTO items (destination, id, priority, body, size, meta, enqueued_at, attempts, next_attempt_at) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, 0, 0 WHERE NOT EXISTS (SELECT 1 FROM delivered WHERE destination = ?1 AND id = ?2 AND acked_at >= ?8) ON CONFLICT (destination, id) DO NOTHING',
  evictionPage:
    'SELECT seq, id, destination, priority, size FROM items WHERE hold_reason IS NULL AND priority < ? AND (priority, seq) > (?, ?) ORDER BY priority, seq LIMIT 256',
  deleteBySeq: 'DELETE FROM items WHERE seq = ?',
  deleteItem: 'DELETE FROM items WHERE destination = ? AND id = ? RETURNING size',
  tombstone: 'INSERT INTO delivered (destination, id, acked_at) VALUES (?, ?, ?) ON CONFLICT (destination, id) DO UPDATE SET acked_at = excluded.acked_at',
  attempts: 'SELECT attempts FROM items WHERE destination = ? AND id = ?',
  nack: 'UPDATE items SET attempts = ?, next_attempt_at = ?, last_error = ? WHERE destination = ? AND id = ?',
  holdAny:
    'UPDATE items SET held_at = CASE WHEN hold_reason IS NULL THEN ? ELSE held_at END, hold_reason = ? WHERE id = ? AND (hold_reason IS NULL OR hold_reason <> ?)',
  holdOne:
    'UPDATE items SET held_at = CASE WHEN hold_reason IS NULL THEN ? ELSE held_at END, hold_reason = ? WHERE id = ? AND destination = ? AND (hold_reason IS NULL OR hold_reason <> ?)',
  releaseAny: 'UPDATE items SET hold_reason = NULL, held_at = NULL WHERE id = ? AND hold_reason IS NOT NULL',
  releaseOne: 'UPDATE items SET hold_reason = NULL, held_at = NULL WHERE id = ? AND destination = ? AND hold_reason IS NOT NULL',
  existsAny: 'SELECT 1 AS x FROM items WHERE id = ? LIMIT 1',
  existsOne: 'SELECT 1 AS x FROM items WHERE id = ? AND destination = ?',
  insertIncident: 'INSERT INTO incidents (at, json) VALUES (?, ?)',
  pruneIncidents: 'DELETE FROM incidents WHERE seq <= (SELECT max(seq) FROM incidents) - ?',
  deleteIncident: 'DELETE FROM incidents WHERE seq = ?',
  peek:
    'SELECT seq, id, destination, priority, body, size, meta, enqueued_at, attempts, next_attempt_at, last_error, hold_reason FROM items WHERE destination = ? AND hold_reason IS NULL ORDER BY seq LIMIT ?',
  get: 'SELECT seq, id, destination, priority, body, size, meta, enqueued_at, attempts, next_attempt_at, last_error, hold_reason FROM items WHERE destination = ? AND id = ?',
} as const

type StatementName = keyof typeof SQL

/**
 * Run a prepared statement to completion and return its first row. (Statement.get() would leave
 * the statement active, which keeps a read open and can make COMMIT fail.)
 */
function one(stmt: Statement, params: unknown[]): Row | null {
  return ((stmt.all(params as never) as Row[])[0] ?? null)
}

/** Drop tombstones older than `ttlMs` (all of them when 0) and beyond `max`. Call inside a transaction. */
function pruneDelivered(db: Database, ttlMs: number, max: number, now: number): void {
  if (ttlMs > 0) db.run('DELETE FROM delivered WHERE acked_at < ?', [now - ttlMs])
  else db.run('DELETE FROM delivered')
  db.run('DELETE FROM delivered WHERE rowid <= (SELECT max(rowid) FROM delivered) - ?', [max])
}

function toItem(r: Row): OutboxItem {
  return {
    seq: num(r.seq),
    id: String(r.id),
    destination: String(r.destination),
    priority: num(r.priority),
    body: r.body instanceof Uint8Array ? r.body : new Uint8Array(),
    meta: str(r.meta),
    size: num(r.size),
    enqueuedAt: num(r.enqueued_at),
    attempts: num(r.attempts),
    nextAttemptAt: num(r.next_attempt_at),
    lastError: str(r.last_error),
    holdReason: str(r.hold_reason),
  }
}

/** What open() found. */
export interface OutboxOpenInfo {
  /** A previous owner had died with the file open (crash, SIGKILL, power loss) and was taken over. */
  tookOverStaleOwner: boolean
  /** Schema version in the file before open (0 = the file was new). */
  schemaVersionFound: number
}

/**
 * The durable outbox. Create with `Outbox.open(opts)` / `openOutbox(opts)`; always `close()`.
 */
export class Outbox {
  /** What open() found (crash takeover, schema version). */
  readonly openInfo: OutboxOpenInfo

  private readonly cfg: Config
  private readonly db: Database
  private readonly lock: OwnerLock
  private readonly stmts: Record<StatementName, Statement>
  private readonly commits: GroupCommit<Job>
  private totalBytes = 0
  private totalItems = 0
  private closed = false
  private commitCount = 0
  /** An ack in the batch being committed: prune tombstones once before COMMIT. */
  private pruneDue = false
  /** Incidents produced by the batch being committed; emitted only after COMMIT. */
  private batchIncidents: OutboxIncident[] = []

  private constructor(cfg: Config, db: Database, lock: OwnerLock, openInfo: OutboxOpenInfo) {
    this.cfg = cfg
    this.db = db
    this.lock = lock
    this.openInfo = openInfo
    const stmts: Partial<Record<StatementName, Statement>> = {}
    try {
      for (const name of Object.keys(SQL) as StatementName[]) stmts[name] = db.prepare(SQL[name])
    } catch (e) {
      for (const s of Object.values(stmts)) s.finalize()
      throw e
    }
    this.stmts = stmts as Record<StatementName, Statement>
    this.commits = new GroupCommit<Job>((jobs) => this.runBatch(jobs), cfg.groupCommit)
    this.reloadTotals()
  }

  /**
   * Open (or create) the outbox at `opts.path`: take ownership (recovering from a crashed
   * owner), open the database in its durable mode, create or check the schema, and resume
   * exactly where the file left off.
   * @throws OutboxError ADX_ERR_OUTBOX_INVALID | ADX_ERR_OUTBOX_LOCKED | ADX_ERR_OUTBOX_OPEN | ADX_ERR_OUTBOX_SCHEMA
   */
  static async open(opts: OutboxOptions): Promise<Outbox> {
    const cfg = resolveConfig(opts)
    const lock = acquireOwnerLock(cfg.path)
    let db: Database | undefined
    try {
      db = openDurableDatabase(cfg.path)
      const schemaVersionFound = ensureSchema(db)
      db.exec('BEGIN IMMEDIATE')
      pruneDelivered(db, cfg.deliveredTtlMs, cfg.maxDelivered, cfg.now())
      db.exec('COMMIT')
      fsyncDir(parentDir(cfg.path)) // the db and -wal names are durable from here on
      return new Outbox(cfg, db, lock, { tookOverStaleOwner: lock.tookOver, schemaVersionFound })
    } catch (e) {
      try {
        if (db?.inTransaction) db.exec('ROLLBACK')
        db?.close()
      } catch {
        // keep the original error
      }
      lock.release()
      if (e instanceof OutboxError) throw e
      throw new OutboxError('ADX_ERR_OUTBOX_OPEN', `${cfg.path}: ${(e as Error).message}`, [], { cause: e })
    }
  }

  /** True once close() has been called. */
  get isClosed(): boolean {
    return this.closed
  }

  // ---------------------------------------------------------------- mutations (group commit)

  /**
   * Queue a payload. Resolves only after the row is committed and fsync'd; concurrent calls
   * share one commit. Idempotent on (destination, id): a repeat resolves 'already-queued' (or
   * 'already-delivered' within deliveredTtlMs of its ack) and writes nothing.
   * Rejects with OutboxError: ADX_ERR_OUTBOX_INVALID (bad item), ADX_ERR_OUTBOX_ITEM_TOO_LARGE
   * (body > maxBytes), ADX_ERR_OUTBOX_FULL (no room under the policy; nothing written),
   * ADX_ERR_OUTBOX_CLOSED, ADX_ERR_OUTBOX_IO (the commit failed; nothing written).
   */
  enqueue(item: EnqueueItem): Promise<EnqueueResult> {
    let valid: EnqueueItem
    try {
      valid = this.validateItem(item)
    } catch (e) {
      return Promise.reject(e)
    }
    const size = valid.body.byteLength
    if (size > this.cfg.maxBytes) {
      const err = new OutboxError('ADX_ERR_OUTBOX_ITEM_TOO_LARGE', `${size} bytes > maxBytes ${this.cfg.maxBytes}`, [`id=${valid.id}`])
      this.emit(this.refusedIncident(valid, err.code))
      return Promise.reject(err)
    }
    return this.submit(() => this.applyEnqueue(valid), size) as Promise<EnqueueResult>
  }

  /**
   * Mark items of `destination` delivered: their rows are deleted (and tombstoned for
   * deliveredTtlMs so that a re-enqueue stays idempotent). Durable when it resolves.
   * Unknown ids are reported in `missing`, not an error.
   */
  ack(destination: string, ids: readonly string[]): Promise<AckResult> {
    let dest: string
    let list: string[]
    try {
      dest = checkName('destination', destination)
      list = checkIds(ids)
    } catch (e) {
      return Promise.reject(e)
    }
    return this.submit(() => this.applyAck(dest, list), 64 * list.length) as Promise<AckResult>
  }

  /**
   * Record a failed delivery of one item: attempts + 1, last error stored, and the item is not
   * due before now + backoff (full jitter over min(capMs, baseMs·2^(attempts-1)), never less
   * than `retryAfterMs` when given, e.g. from an HTTP Retry-After). Because delivery order is
   * strict, this also holds back everything behind the item in its destination.
   * Resolves null when the item is not in the outbox.
   */
  nack(destination: string, id: string, error: string | Error, opts: { retryAfterMs?: number } = {}): Promise<NackResult | null> {
    let dest: string
    let key: string
    let message: string
    let retryAfterMs: number
    try {
      dest = checkName('destination', destination)
      key = checkName('id', id)
      message = (error instanceof Error ? `${error.name}: ${error.message}` : String(error)).slice(0, MAX_ERROR_CHARS)
      retryAfterMs = positiveInt('retryAfterMs', opts.retryAfterMs, 0, 0)
    } catch (e) {
      return Promise.reject(e)
    }
    return this.submit(() => this.applyNack(dest, key, message, retryAfterMs), 64) as Promise<NackResult | null>
  }

  /**
   * Hold items (a filing, a quota lease or a review is pending): they stay in the outbox,
   * count toward its limits, are never evicted and are not returned by peek() until released.
   * Without `opts.destination`, every destination's item with that id is held. Holding an item
   * that is already held only updates its reason code.
   */
  hold(ids: readonly string[], reasonCode: string, opts: { destination?: string } = {}): Promise<HoldResult> {
    let list: string[]
    let reason: string
    let dest: string | undefined
    try {
      list = checkIds(ids)
      reason = checkName('reasonCode', reasonCode, MAX_REASON_CHARS)
      dest = opts.destination === undefined ? undefined : checkName('destination', opts.destination)
    } catch (e) {
      return Promise.reject(e)
    }
    return this.submit(() => this.applyHold(list, reason, dest), 64 * list.length) as Promise<HoldResult>
  }

  /** Release held items (all destinations, or only `opts.destination`). They resume their place in order. */
  release(ids: readonly string[], opts: { destination?: string } = {}): Promise<HoldResult> {
    let list: string[]
    let dest: string | undefined
    try {
      list = checkIds(ids)
      dest = opts.destination === undefined ? undefined : checkName('destination', opts.destination)
    } catch (e) {
      return Promise.reject(e)
    }
    return this.submit(() => this.applyRelease(list, dest), 64 * list.length) as Promise<HoldResult>
  }

  /**
   * Queue what one item produced and acknowledge the item (or hold it), in one transaction:
   * one fsync for the products and the ack instead of two, and no window in which the
   * products are committed but the item is not settled. Concurrent settles share the commit
   * like every mutation. Items are validated first (a bad one rejects with
   * ADX_ERR_OUTBOX_INVALID and nothing is written); a product refused inside the transaction
   * (ADX_ERR_OUTBOX_FULL, ADX_ERR_OUTBOX_ITEM_TOO_LARGE) resolves `settled: false` and leaves
   * the item where it is. Rejects with ADX_ERR_OUTBOX_IO / ADX_ERR_OUTBOX_CLOSED like enqueue.
   * @example await outbox.settle({ destination: '@ingress', id, produce: [{ id, destination: 'oem-eu', priority: 1, body }] })
   */
  settle(work: SettleWork): Promise<SettleResult> {
    let dest: string
    let id: string
    let hold: string | undefined
    let produce: EnqueueItem[]
    try {
      dest = checkName('destination', work.destination)
      id = checkName('id', work.id)
      hold = work.hold === undefined ? undefined : checkName('hold', work.hold, MAX_REASON_CHARS)
      produce = work.produce.map((p) => this.validateItem(p))
    } catch (e) {
      return Promise.reject(e)
    }
    const bytes = produce.reduce((n, p) => n + p.body.byteLength, 64)
    return this.submit(() => {
      const enqueued: EnqueueResult[] = []
      for (const p of produce) {
        if (p.body.byteLength > this.cfg.maxBytes) {
          const err = new OutboxError('ADX_ERR_OUTBOX_ITEM_TOO_LARGE', `${p.body.byteLength} bytes > maxBytes ${this.cfg.maxBytes}`, [`id=${p.id}`])
          this.batchIncidents.push(this.refusedIncident(p, err.code))
          return { settled: false, error: err, enqueued }
        }
        const r = this.applyEnqueue(p)
        if (r instanceof OutboxError) return { settled: false, error: r, enqueued }
        enqueued.push(r)
      }
      if (hold === undefined) this.applyAck(dest, [id])
      else this.applyHold([id], hold, dest)
      return { settled: true, enqueued }
    }, bytes) as Promise<SettleResult>
  }

  /**
   * Forget stored eviction incidents once the daemon has raised them durably elsewhere.
   * Resolves with how many were removed.
   */
  confirmIncidents(seqs: readonly number[]): Promise<number> {
    if (!Array.isArray(seqs) || seqs.some((s) => !Number.isSafeInteger(s))) return Promise.reject(invalid('seqs must be an array of integers'))
    const list = [...new Set(seqs)]
    return this.submit(() => {
      let n = 0
      for (const seq of list) n += this.stmts.deleteIncident.run([seq]).changes
      return n
    }, 16 * list.length) as Promise<number>
  }

  /**
   * Commit everything pending, then close the database and give up ownership. Operations
   * submitted afterwards reject with ADX_ERR_OUTBOX_CLOSED. Safe to call twice.
   */
  async close(): Promise<void> {
    if (this.closed) return
    this.commits.flushNow()
    this.closed = true
    for (const s of Object.values(this.stmts)) {
      if (!s.isFinalized) s.finalize()
    }
    try {
      this.db.close() // checkpoints the WAL into the database file and removes the -wal file
    } finally {
      this.lock.release()
    }
  }

  // ---------------------------------------------------------------- reads (committed state)

  /**
   * The oldest deliverable items of `destination`, in enqueue order, at most `limit`. Held
   * items are skipped; the list stops before the first item not yet due at `now` (strict order:
   * a backing-off head blocks its destination, so the result is empty while it waits).
   */
  peek(destination: string, limit = 100, now: number = this.cfg.now()): OutboxItem[] {
    this.assertOpen()
    checkName('destination', destination)
    const n = positiveInt('limit', limit, 100)
    const out: OutboxItem[] = []
    for (const r of this.stmts.peek.all([destination, n]) as Row[]) {
      if (num(r.next_attempt_at) > now) break
      out.push(toItem(r))
    }
    return out
  }

  /**
   * When `destination` next has something deliverable: the head's nextAttemptAt (0 = now), or
   * null when nothing undelivered and unheld is queued for it. For the delivery scheduler.
   */
  nextDueAt(destination: string): number | null {
    this.assertOpen()
    const head = one(this.stmts.peek, [checkName('destination', destination), 1])
    return head ? num(head.next_attempt_at) : null
  }

  /** One item (held or not) with its body, or null. */
  get(destination: string, id: string): OutboxItem | null {
    this.assertOpen()
    const r = one(this.stmts.get, [checkName('destination', destination), checkName('id', id)])
    return r ? toItem(r) : null
  }

  /** Held items, oldest first (all destinations, or one). */
  listHeld(destination?: string): HeldItem[] {
    this.assertOpen()
    const rows = (
      destination === undefined
        ? this.db.all(
            'SELECT seq, id, destination, priority, size, meta, enqueued_at, hold_reason, held_at FROM items WHERE hold_reason IS NOT NULL ORDER BY seq',
          )
        : this.db.all(
            'SELECT seq, id, destination, priority, size, meta, enqueued_at, hold_reason, held_at FROM items WHERE hold_reason IS NOT NULL AND destination = ? ORDER BY seq',
            [checkName('destination', destination)],
          )
    ) as Row[]
    return rows.map((r) => ({
      seq: num(r.seq),
      id: String(r.id),
      destination: String(r.destination),
      priority: num(r.priority),
      size: num(r.size),
      meta: str(r.meta),
      enqueuedAt: num(r.enqueued_at),
      reasonCode: String(r.hold_reason),
      heldAt: num(r.held_at),
    }))
  }

  /** Counts and bytes in total and per destination (held items included and also counted apart). */
  /**
   * Items still on their way: queued and not held, plus operations not yet committed. Cheap (the
   * held count is read from its index), for callers that poll, unlike stats().
   */
  onTheirWay(): number {
    this.assertOpen()
    const held = num((this.db.get('SELECT count(*) AS n FROM items WHERE hold_reason IS NOT NULL') as Row | null)?.n ?? 0)
    return this.totalItems - held + this.commits.size
  }

  stats(): OutboxStats {
    this.assertOpen()
    const destinations: Record<string, DestinationStats> = {}
    let held = 0
    let heldBytes = 0
    const rows = this.db.all(
      `SELECT destination, count(*) AS items, sum(size) AS bytes,
              sum(hold_reason IS NOT NULL) AS held, sum(CASE WHEN hold_reason IS NOT NULL THEN size ELSE 0 END) AS held_bytes,
              min(enqueued_at) AS oldest
       FROM items GROUP BY destination ORDER BY destination`,
    ) as Row[]
    for (const r of rows) {
      const d: DestinationStats = { items: num(r.items), bytes: num(r.bytes), held: num(r.held), heldBytes: num(r.held_bytes), oldestEnqueuedAt: r.oldest == null ? null : num(r.oldest) }
      destinations[String(r.destination)] = d
      held += d.held
      heldBytes += d.heldBytes
    }
    const inc = this.db.get('SELECT count(*) AS n FROM incidents') as Row | null
    return {
      items: this.totalItems,
      bytes: this.totalBytes,
      held,
      heldBytes,
      maxItems: this.cfg.maxItems,
      maxBytes: this.cfg.maxBytes,
      pendingOps: this.commits.size,
      commits: this.commitCount,
      pendingIncidents: num(inc?.n),
      destinations,
    }
  }

  /** Stored eviction incidents not yet confirmed, oldest first (re-raise them after a restart). */
  pendingIncidents(): OutboxEvictedIncident[] {
    this.assertOpen()
    const rows = this.db.all('SELECT seq, json FROM incidents ORDER BY seq') as Row[]
    return rows.map((r) => ({ ...(JSON.parse(String(r.json)) as Omit<OutboxEvictedIncident, 'seq'>), seq: num(r.seq) }))
  }

  // ---------------------------------------------------------------- internals

  private assertOpen(): void {
    if (this.closed) throw new OutboxError('ADX_ERR_OUTBOX_CLOSED', this.cfg.path)
  }

  private submit(run: () => unknown, bytes: number): Promise<unknown> {
    if (this.closed) return Promise.reject(new OutboxError('ADX_ERR_OUTBOX_CLOSED', this.cfg.path))
    return new Promise((resolve, reject) => this.commits.push({ run, resolve, reject }, bytes))
  }

  /** One group commit: BEGIN, every job in order, COMMIT (fsync), then incidents, then settle. */
  private runBatch(jobs: Job[]): void {
    const results: unknown[] = []
    const before = { bytes: this.totalBytes, items: this.totalItems }
    this.batchIncidents = []
    let failure: unknown = null
    try {
      this.db.exec('BEGIN IMMEDIATE')
      this.pruneDue = false
      for (const job of jobs) results.push(job.run())
      if (this.pruneDue) pruneDelivered(this.db, this.cfg.deliveredTtlMs, this.cfg.maxDelivered, this.cfg.now())
      this.db.exec('COMMIT')
      this.commitCount++
    } catch (e) {
      failure = e
      try {
        if (this.db.inTransaction) this.db.exec('ROLLBACK')
      } catch {
        // the connection is in trouble; the commit error is what callers need
      }
      this.totalBytes = before.bytes
      this.totalItems = before.items
    }
    const incidents = this.batchIncidents
    this.batchIncidents = []
    if (failure === null) {
      for (const inc of incidents) this.emit(inc)
      jobs.forEach((job, i) => {
        const r = results[i]
        if (r instanceof OutboxError) job.reject(r)
        else job.resolve(r)
      })
      return
    }
    // Nothing of this batch is committed. Refusals stay refusals; everything else failed.
    const io = new OutboxError('ADX_ERR_OUTBOX_IO', (failure as Error)?.message ?? String(failure), [], { cause: failure })
    for (const inc of incidents) if (inc.type === 'ADX_INC_OUTBOX_REFUSED') this.emit(inc)
    jobs.forEach((job, i) => {
      const r = results[i]
      job.reject(r instanceof OutboxError ? r : io)
    })
  }

  private emit(incident: OutboxIncident): void {
    if (!this.cfg.onIncident) return
    try {
      this.cfg.onIncident(incident)
    } catch (e) {
      // A listener bug must not undo a commit. Evictions stay in pendingIncidents() regardless.
      console.error(`[adx outbox] onIncident threw for ${incident.type}:`, e)
    }
  }

  private validateItem(item: EnqueueItem): EnqueueItem {
    if (!item || typeof item !== 'object') throw invalid('item must be an object')
    const id = checkName('id', item.id)
    const destination = checkName('destination', item.destination)
    if (typeof item.priority !== 'number' || !Number.isSafeInteger(item.priority)) {
      throw invalid('priority must be a safe integer')
    }
    if (!(item.body instanceof Uint8Array)) throw invalid('body must be a Uint8Array')
    let meta: string | undefined
    if (item.meta !== undefined && item.meta !== null) {
      if (typeof item.meta !== 'string') throw invalid('meta must be a JSON string')
      try {
        JSON.parse(item.meta)
      } catch {
        throw invalid('meta must be valid JSON')
      }
      meta = item.meta
    }
    return meta === undefined ? { id, destination, priority: item.priority, body: item.body } : { id, destination, priority: item.priority, body: item.body, meta }
  }

  private refusedIncident(item: EnqueueItem, code: OutboxErrorCode): OutboxRefusedIncident {
    return { type: 'ADX_INC_OUTBOX_REFUSED', destination: item.destination, ids: [item.id], bytes: item.body.byteLength, at: this.cfg.now(), code, priority: item.priority }
  }

  private fits(bytes: number, freedBytes = 0, freedItems = 0): boolean {
    return this.totalBytes - freedBytes + bytes <= this.cfg.maxBytes && this.totalItems - freedItems + 1 <= this.cfg.maxItems
  }

  private applyEnqueue(item: EnqueueItem): EnqueueResult | OutboxError {
    const s = this.stmts
    const size = item.body.byteLength
    if (this.fits(size)) {
      // Fast path: one statement; only a repeat (nothing inserted) looks up why below.
      const now = this.cfg.now()
      const since = this.cfg.deliveredTtlMs > 0 ? now - this.cfg.deliveredTtlMs : Number.MAX_SAFE_INTEGER
      const info = s.insertIfNew.run([item.destination, item.id, item.priority, item.body, size, item.meta ?? null, now, since])
      if (info.changes === 1) {
        this.totalBytes += size
        this.totalItems += 1
        return { status: 'queued', id: item.id, destination: item.destination, seq: Number(info.lastInsertRowid), evicted: 0 }
      }
    }
    const existing = one(s.findItem, [item.destination, item.id])
    if (existing) {
      return { status: 'already-queued', id: item.id, destination: item.destination, seq: num(existing.seq), held: existing.hold_reason != null }
    }
    const now = this.cfg.now()
    if (this.cfg.deliveredTtlMs > 0) {
      const tomb = one(s.findDelivered, [item.destination, item.id])
      if (tomb && num(tomb.acked_at) >= now - this.cfg.deliveredTtlMs) {
        return { status: 'already-delivered', id: item.id, destination: item.destination, ackedAt: num(tomb.acked_at) }
      }
    }
    let evicted = 0
    if (!this.fits(size)) {
      const refuse = (detail: string): OutboxError => {
        this.batchIncidents.push(this.refusedIncident(item, 'ADX_ERR_OUTBOX_FULL'))
        return new OutboxError('ADX_ERR_OUTBOX_FULL', detail, [`id=${item.id}`, `destination=${item.destination}`])
      }
      const usage = `${this.totalItems}/${this.cfg.maxItems} items, ${this.totalBytes}/${this.cfg.maxBytes} bytes, +${size}`
      if (this.cfg.whenFull === 'refuse') return refuse(usage)
      const victims = this.chooseVictims(item.priority, size)
      if (!victims) return refuse(`${usage}; not enough unheld items with priority < ${item.priority} to evict`)
      this.evict(victims, item, now)
      evicted = victims.length
    }
    const info = s.insertItem.run([item.destination, item.id, item.priority, item.body, size, item.meta ?? null, now])
    this.totalBytes += size
    this.totalItems += 1
    return { status: 'queued', id: item.id, destination: item.destination, seq: Number(info.lastInsertRowid), evicted }
  }

  /** Lowest priority first, oldest first, unheld, priority strictly below `priority`; null if they cannot make room. */
  private chooseVictims(priority: number, size: number): { seq: number; id: string; destination: string; size: number }[] | null {
    const victims: { seq: number; id: string; destination: string; size: number }[] = []
    let freedBytes = 0
    let cursor: [number, number] = [SAFE_MIN, -1]
    for (;;) {
      const page = this.stmts.evictionPage.all([priority, cursor[0], cursor[1]]) as Row[]
      if (page.length === 0) return null
      for (const r of page) {
        const v = { seq: num(r.seq), id: String(r.id), destination: String(r.destination), size: num(r.size) }
        victims.push(v)
        freedBytes += v.size
        if (this.fits(size, freedBytes, victims.length)) return victims
      }
      const last = page[page.length - 1]!
      cursor = [num(last.priority), num(last.seq)]
    }
  }

  private evict(victims: { seq: number; id: string; destination: string; size: number }[], cause: EnqueueItem, now: number): void {
    const byDest = new Map<string, { ids: string[]; bytes: number }>()
    for (const v of victims) {
      this.stmts.deleteBySeq.run([v.seq])
      this.totalBytes -= v.size
      this.totalItems -= 1
      const g = byDest.get(v.destination) ?? { ids: [], bytes: 0 }
      g.ids.push(v.id)
      g.bytes += v.size
      byDest.set(v.destination, g)
    }
    for (const [destination, g] of byDest) {
      const body: Omit<OutboxEvictedIncident, 'seq'> = {
        type: 'ADX_INC_OUTBOX_EVICTED',
        destination,
        ids: g.ids,
        bytes: g.bytes,
        at: now,
        evictedFor: { id: cause.id, destination: cause.destination, priority: cause.priority },
      }
      const info = this.stmts.insertIncident.run([now, JSON.stringify(body)])
      this.batchIncidents.push({ ...body, seq: Number(info.lastInsertRowid) })
    }
    this.stmts.pruneIncidents.run([this.cfg.maxIncidents])
  }

  private applyAck(destination: string, ids: string[]): AckResult {
    const now = this.cfg.now()
    const missing: string[] = []
    let acked = 0
    for (const id of ids) {
      const row = one(this.stmts.deleteItem, [destination, id])
      if (row) {
        acked++
        this.totalBytes -= num(row.size)
        this.totalItems -= 1
      } else {
        missing.push(id)
      }
      if (this.cfg.deliveredTtlMs > 0) this.stmts.tombstone.run([destination, id, now])
    }
    this.pruneDue = true // once per transaction, before COMMIT (runBatch)
    return { acked, missing }
  }

  private applyNack(destination: string, id: string, message: string, retryAfterMs: number): NackResult | null {
    const row = one(this.stmts.attempts, [destination, id])
    if (!row) return null
    const attempts = num(row.attempts) + 1
    const delayMs = Math.max(retryAfterMs, backoffDelayMs(attempts, this.cfg.backoff, this.cfg.random))
    const nextAttemptAt = this.cfg.now() + delayMs
    this.stmts.nack.run([attempts, nextAttemptAt, message, destination, id])
    return { attempts, nextAttemptAt, delayMs }
  }

  private applyHold(ids: string[], reason: string, destination: string | undefined): HoldResult {
    const now = this.cfg.now()
    let changed = 0
    const missing: string[] = []
    for (const id of ids) {
      changed +=
        destination === undefined
          ? this.stmts.holdAny.run([now, reason, id, reason]).changes
          : this.stmts.holdOne.run([now, reason, id, destination, reason]).changes
      if (!this.exists(id, destination)) missing.push(id)
    }
    return { changed, missing }
  }

  private applyRelease(ids: string[], destination: string | undefined): HoldResult {
    let changed = 0
    const missing: string[] = []
    for (const id of ids) {
      changed += destination === undefined ? this.stmts.releaseAny.run([id]).changes : this.stmts.releaseOne.run([id, destination]).changes
      if (!this.exists(id, destination)) missing.push(id)
    }
    return { changed, missing }
  }

  private exists(id: string, destination: string | undefined): boolean {
    return (destination === undefined ? one(this.stmts.existsAny, [id]) : one(this.stmts.existsOne, [id, destination])) !== null
  }

  private reloadTotals(): void {
    const r = this.db.get('SELECT count(*) AS n, coalesce(sum(size), 0) AS b FROM items') as Row | null
    this.totalItems = num(r?.n)
    this.totalBytes = num(r?.b)
  }
}

/** Open (or create) an outbox. Same as `Outbox.open(opts)`. */
export function openOutbox(opts: OutboxOptions): Promise<Outbox> {
  return Outbox.open(opts)
}
