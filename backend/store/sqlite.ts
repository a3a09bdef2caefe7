/**
 * The embedded store: one SQLite file through node-sqlite3-wasm (WebAssembly, no native addon).
 * That build has no WAL, so each commit costs an fsync: durable AND fast means group commit,
 * which `ingest` does (many records, one transaction). Methods are synchronous underneath and
 * async on the outside (the Store interface is shaped for PostgreSQL too).
 */
import { closeSync, openSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import sqlite from 'node-sqlite3-wasm'
import { AdxError } from '../../shared/errors.ts'
import { fsyncDir } from '../../shared/fsync-dir.ts'
import { incidentRef } from './incident-ref.ts'
import { LockWatch, recoverHotJournals } from './lock.ts'
import { migrations } from './schema.ts'
import { PACKED_RECORDS_SQL } from './record-pack.ts'
import type {
  CounterTotal,
  FilingRow,
  IncidentChange,
  IncidentEvent,
  IncidentRecord,
  IncidentRow,
  IncidentState,
  IngestOutcome,
  IngestRecord,
  LeaseGrant,
  LeaseRow,
  LeaseSnapshot,
  LeaseWeight,
  PolicyRow,
  Store,
  StoredRecord,
  NewVehicle,
  PackedRecords,
  PrincipalKind,
  VehicleRow,
  VehicleStatus,
} from './types.ts'

type Database = InstanceType<typeof sqlite.Database>
type Statement = ReturnType<Database['prepare']>
type Row = Record<string, unknown>

/** Options of the SQLite store. */
export interface SqliteStoreOptions {
  /** How long to retry while another process holds the file's lock (default 15 s, longer than staleLockMs). */
  busyTimeoutMs?: number
  /** A lock directory unchanged for this long is a crash leftover and is removed (default 10 s). */
  staleLockMs?: number
  /** Called when a stale lock was removed (for logging). */
  onStaleLock?: (path: string) => void
  /** SQLite's page cache for this connection, KiB (default SQLite's 2,000). */
  cacheKiB?: number
}

const num = (v: unknown): number => (typeof v === 'bigint' ? Number(v) : (v as number))
const str = (v: unknown): string => (v === null || v === undefined ? '' : String(v))
const json = (v: unknown): string[] => JSON.parse(str(v) || '[]') as string[]
const optNum = (v: unknown): number | null => (v === null || v === undefined ? null : num(v))
const isBusy = (e: unknown): boolean => e instanceof Error && /database is locked|SQLITE_BUSY/i.test(e.message)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * Opens (creating and migrating if needed) a SQLite store.
 * @example const store = await openSqliteStore('/var/lib/adx/backend.sqlite')
 */
export async function openSqliteStore(path: string, opts: SqliteStoreOptions = {}): Promise<SqliteStore> {
  const store = new SqliteStore(path, opts)
  await store.retry(() => store.migrate())
  makeNamesDurable(path)
  return store
}

/**
 * The VFS never fsyncs a directory after creating a file, so the names of the database and of
 * its journal could be lost with power even though their contents were fsynced; a journal whose
 * name is lost cannot roll a torn commit back. In TRUNCATE mode the journal file is created once
 * and then kept (emptied at each commit), so creating it here if missing and fsyncing the
 * directory once per open makes both names durable. An empty journal is never hot.
 */
function makeNamesDurable(path: string): void {
  if (path === ':memory:' || path === '') return // no files (tests): nothing to make durable
  closeSync(openSync(`${path}-journal`, 'a'))
  fsyncDir(dirname(resolve(path)))
}

/** Store on one SQLite file. Create with openSqliteStore(). */
export class SqliteStore implements Store {
  private readonly db: Database
  private readonly statements = new Map<string, Statement>()
  private readonly lockWatch: LockWatch
  private readonly busyTimeoutMs: number

  constructor(
    readonly path: string,
    private readonly opts: SqliteStoreOptions = {},
  ) {
    this.busyTimeoutMs = opts.busyTimeoutMs ?? 15_000
    this.lockWatch = new LockWatch(path, opts.staleLockMs ?? 10_000)
    // Without this SQLite never rolls back a journal left by a killed writer (see lock.ts).
    recoverHotJournals(path)
    try {
      this.db = new sqlite.Database(path)
    } catch (e) {
      throw new AdxError('ADX_ERR_STORE', `cannot open ${path}: ${(e as Error).message}`, [], { cause: e })
    }
  }

  /** Runs `fn`, retrying while another process holds the lock; clears a crash-leftover lock. */
  async retry<T>(fn: () => T): Promise<T> {
    const start = Date.now()
    for (let attempt = 0; ; attempt++) {
      try {
        return fn()
      } catch (e) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK')
        // A statement that failed keeps its error and refuses to be reset: start afresh.
        this.dropStatements()
        if (!isBusy(e)) {
          if (e instanceof AdxError) throw e
          throw new AdxError('ADX_ERR_STORE', (e as Error).message, [], { cause: e })
        }
        const now = Date.now()
        if (this.lockWatch.isStale(now) && this.lockWatch.clear()) {
          this.opts.onStaleLock?.(this.path)
          continue
        }
        if (now - start >= this.busyTimeoutMs) throw new AdxError('ADX_ERR_STORE_BUSY', this.path, [], { cause: e })
        await sleep(Math.min(5 * 2 ** Math.min(attempt, 6), 200))
      }
    }
  }

  /** Applies pending migrations (idempotent). */
  migrate(): void {
    // Rollback journal, so that `adx` commands can open the file while the backend runs (the
    // VFS has no shared memory for WAL). TRUNCATE rather than DELETE: a commit ends by emptying
    // the journal and fsyncing that (synchronous=FULL), whereas DELETE's unlink is never made
    // durable by this VFS and a journal that comes back after a power loss is now rolled back
    // (lock.ts), taking an acknowledged commit with it.
    this.db.exec('PRAGMA journal_mode = TRUNCATE')
    this.db.exec('PRAGMA synchronous = FULL')
    if (this.opts.cacheKiB) this.db.exec(`PRAGMA cache_size = -${Math.floor(this.opts.cacheKiB)}`)
    const hasMeta = this.db.get("SELECT 1 AS x FROM sqlite_master WHERE type = 'table' AND name = 'meta'")
    const current = hasMeta ? Number(str(this.db.get("SELECT value FROM meta WHERE key = 'schema_version'")?.value) || 0) : 0
    for (let v = current; v < migrations.length; v++) {
      this.transaction(() => {
        this.db.exec(migrations[v]!)
        this.db.run("INSERT INTO meta (key, value) VALUES ('schema_version', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", [
          String(v + 1),
        ])
      })
    }
    this.backfillIncidentRefs()
  }

  /** Gives incidents stored before refs existed their ref (once). */
  private backfillIncidentRefs(): void {
    const rows = this.db.all("SELECT vehicle_id, incident_id FROM incidents WHERE ref = ''")
    if (rows.length === 0) return
    this.transaction(() => {
      for (const r of rows)
        this.db.run('UPDATE incidents SET ref = ? WHERE vehicle_id = ? AND incident_id = ?', [
          incidentRef(str(r.vehicle_id), str(r.incident_id)),
          str(r.vehicle_id),
          str(r.incident_id),
        ])
    })
  }

  private dropStatements(): void {
    for (const s of this.statements.values()) {
      try {
        if (!s.isFinalized) s.finalize()
      } catch {
        // finalize reports the statement's last error; the statement is freed all the same.
      }
    }
    this.statements.clear()
  }

  private stmt(sql: string): Statement {
    let s = this.statements.get(sql)
    if (!s) {
      s = this.db.prepare(sql)
      // Statement.get steps once and, when it found a row, leaves the statement active until its
      // next use: an open read transaction, which on this VFS is the file's lock directory, so
      // every other connection (the ingest thread, `adx` commands) is locked out meanwhile.
      // Reading to the end finishes the statement and releases the lock. (Our .get queries
      // return one row at most.)
      const all = s.all.bind(s)
      s.get = ((values, options) => all(values, options)[0] ?? null) as Statement['get']
      this.statements.set(sql, s)
    }
    return s
  }

  private transaction<T>(fn: () => T): T {
    this.db.exec('BEGIN IMMEDIATE')
    try {
      const out = fn()
      this.db.exec('COMMIT')
      return out
    } catch (e) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK')
      throw e
    }
  }

  // ------------------------------------------------------------------ counting

  async ingest(records: readonly IngestRecord[], nowMs: number): Promise<IngestOutcome[]> {
    if (records.length === 0) return []
    return this.retry(() => this.transaction(() => this.ingestInTransaction(records, nowMs)))
  }

  /**
   * `ingest` for records that come as an iterable made afresh per attempt (a transaction that
   * found the file locked runs again): the ingest thread passes a lazy decoder of an encoded
   * batch, so only the record being stored is in memory as objects.
   */
  async ingestFrom(records: () => Iterable<IngestRecord>, nowMs: number): Promise<IngestOutcome[]> {
    return this.retry(() => this.transaction(() => this.ingestInTransaction(records(), nowMs)))
  }

  private ingestInTransaction(records: Iterable<IngestRecord>, nowMs: number): IngestOutcome[] {
    const insertRecord = this.stmt(
      'INSERT INTO records (vehicle_id, record_id, year, exported_ms, received_ms, recipient, body) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
    )
    const insertMember = this.stmt('INSERT INTO members (year, counter, category, member) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING')
    const releaseSlot = this.stmt('DELETE FROM slots WHERE year = ? AND counter = ? AND category = ? AND member = ?')
    // Totals move once per key at the end of the transaction rather than once per row.
    const deltas = new Map<string, [number, string, string, number]>()
    const bump = (year: number, counter: string, category: string, amount: number) => {
      const key = `${year}\u0000${counter}\u0000${category}`
      const d = deltas.get(key)
      if (d) d[3] += amount
      else deltas.set(key, [year, counter, category, amount])
    }
    // Lease use per (vehicle, lease, counter), applied once at the end like the totals.
    const uses = new Map<string, [string, string, string, number]>()
    const use = (vehicleId: string, leaseId: string, counter: string) => {
      const key = `${vehicleId}\u0000${leaseId}\u0000${counter}`
      const u = uses.get(key)
      if (u) u[3] += 1
      else uses.set(key, [leaseId, counter, vehicleId, 1])
    }
    // Slots are reservations of a few vehicles: most (year, counter) sets have none, and then
    // no new member needs a DELETE probe. Looked up once per set and transaction (inside it,
    // slots are only ever released).
    const slotSets = new Map<string, boolean>()
    const hasSlots = (year: number, counter: string): boolean => {
      const key = `${year}\u0000${counter}`
      let has = slotSets.get(key)
      if (has === undefined) {
        has = this.stmt('SELECT 1 AS x FROM slots WHERE year = ? AND counter = ? LIMIT 1').get([year, counter]) !== null
        slotSets.set(key, has)
      }
      return has
    }
    // Members of per-category sets (a vehicle in each of its categories) repeat in nearly every
    // record of a batch; once one was offered in this transaction it is in the set, so offering
    // it again would change nothing. Person members rarely repeat and are not remembered.
    const offered = new Set<string>()
    const outcomes: IngestOutcome[] = []
    for (const r of records) {
      const ins = insertRecord.run([r.vehicleId, r.recordId, r.year, r.exportedMs, nowMs, r.recipient, r.body])
      if (ins.changes === 0) {
        outcomes.push('duplicate')
        continue
      }
      outcomes.push('inserted')
      for (const [counter, category, member] of r.members) {
        if (category !== '') {
          const key = `${r.year}\u0000${counter}\u0000${category}\u0000${member}`
          if (offered.has(key)) continue
          offered.add(key)
        }
        if (insertMember.run([r.year, counter, category, member]).changes === 1) {
          bump(r.year, counter, category, 1)
          if (hasSlots(r.year, counter)) releaseSlot.run([r.year, counter, category, member])
          if (r.leaseId) use(r.vehicleId, r.leaseId, counter)
        }
      }
      for (const [counter, category, amount] of r.sums) if (amount !== 0) bump(r.year, counter, category, amount)
    }
    const upsert = this.stmt(
      'INSERT INTO totals (year, counter, category, value) VALUES (?, ?, ?, ?) ON CONFLICT (year, counter, category) DO UPDATE SET value = value + excluded.value',
    )
    for (const d of deltas.values()) upsert.run(d)
    // Only a lease issued to the record's own vehicle can be used by it.
    const useLease = this.stmt(
      `INSERT INTO lease_use (lease_id, counter, used) SELECT ?1, ?2, ?4 WHERE EXISTS (SELECT 1 FROM leases WHERE lease_id = ?1 AND vehicle_id = ?3)
       ON CONFLICT (lease_id, counter) DO UPDATE SET used = used + excluded.used`,
    )
    for (const u of uses.values()) useLease.run(u)
    return outcomes
  }

  async totals(year: number): Promise<CounterTotal[]> {
    return this.retry(() =>
      this.stmt('SELECT counter, category, value FROM totals WHERE year = ? ORDER BY counter, category')
        .all([year])
        .map((r) => ({ counter: str(r.counter), category: str(r.category), value: num(r.value) })),
    )
  }

  async memberCategories(year: number, counter: string, member: string): Promise<string[]> {
    return this.retry(() => this.memberCategoriesSync(year, counter, member))
  }

  private memberCategoriesSync(year: number, counter: string, member: string): string[] {
    // Point lookups on the primary key, one per category the counter has this year.
    return this.stmt(
      'SELECT category FROM members WHERE year = ? AND counter = ? AND category IN (SELECT category FROM totals WHERE year = ? AND counter = ?) AND member = ? ORDER BY category',
    )
      .all([year, counter, year, counter, member])
      .map((r) => str(r.category))
  }

  // ------------------------------------------------------------------ vehicles

  async addVehicle(row: NewVehicle): Promise<void> {
    await this.retry(() => {
      const res = this.stmt(
        "INSERT INTO vehicles (vehicle_id, secret_hash, status, label, created_ms, kind, gateway_id) VALUES (?, ?, 'active', ?, ?, ?, ?) ON CONFLICT DO NOTHING",
      ).run([row.vehicleId, row.secretHash, row.label, row.createdMs, row.kind ?? 'vehicle', row.gatewayId ?? null])
      if (res.changes === 0) throw new AdxError('ADX_ERR_VEHICLE_EXISTS', row.vehicleId)
    })
  }

  async addVehicles(rows: readonly NewVehicle[]): Promise<void> {
    await this.retry(() =>
      this.transaction(() => {
        const s = this.stmt(
          "INSERT INTO vehicles (vehicle_id, secret_hash, status, label, created_ms, kind, gateway_id) VALUES (?, ?, 'active', ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        )
        for (const row of rows)
          if (s.run([row.vehicleId, row.secretHash, row.label, row.createdMs, row.kind ?? 'vehicle', row.gatewayId ?? null]).changes === 0)
            throw new AdxError('ADX_ERR_VEHICLE_EXISTS', row.vehicleId)
      }),
    )
  }

  async enrolVehicles(gatewayId: string, vehicleIds: readonly string[]): Promise<number> {
    return this.retry(() =>
      this.transaction(() => {
        const gw = this.stmt('SELECT kind FROM vehicles WHERE vehicle_id = ?').get([gatewayId])
        if (!gw || str(gw.kind) !== 'gateway') throw new AdxError('ADX_ERR_GATEWAY_UNKNOWN', gatewayId)
        const s = this.stmt("UPDATE vehicles SET gateway_id = ? WHERE vehicle_id = ? AND kind = 'vehicle'")
        let n = 0
        for (const id of new Set(vehicleIds)) {
          if (s.run([gatewayId, id]).changes === 0) throw new AdxError('ADX_ERR_VEHICLE_UNKNOWN', id)
          n++
        }
        return n
      }),
    )
  }

  async gatewayMembers(gatewayId: string): Promise<string[]> {
    return this.retry(() =>
      this.stmt("SELECT vehicle_id FROM vehicles WHERE gateway_id = ? AND status = 'active' ORDER BY vehicle_id")
        .all([gatewayId])
        .map((r) => str(r.vehicle_id)),
    )
  }

  async getVehicle(vehicleId: string): Promise<VehicleRow | undefined> {
    return this.retry(() => {
      const r = this.stmt('SELECT * FROM vehicles WHERE vehicle_id = ?').get([vehicleId])
      return r ? toVehicle(r) : undefined
    })
  }

  async getVehicles(vehicleIds: readonly string[]): Promise<Map<string, VehicleRow>> {
    if (vehicleIds.length === 0) return new Map()
    return this.retry(() => {
      const rows = this.stmt('SELECT * FROM vehicles WHERE vehicle_id IN (SELECT value FROM json_each(?))').all([JSON.stringify(vehicleIds)])
      return new Map(rows.map((r) => [String(r.vehicle_id), toVehicle(r)]))
    })
  }

  async listVehicles(opts: { status?: VehicleStatus; kind?: PrincipalKind } = {}): Promise<VehicleRow[]> {
    return this.retry(() =>
      this.stmt('SELECT * FROM vehicles WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR kind = ?2) ORDER BY vehicle_id')
        .all([opts.status ?? null, opts.kind ?? null])
        .map(toVehicle),
    )
  }

  async revokeVehicle(vehicleId: string, nowMs: number): Promise<boolean> {
    return this.retry(() => {
      const exists = this.stmt('SELECT status FROM vehicles WHERE vehicle_id = ?').get([vehicleId])
      if (!exists) return false
      this.stmt("UPDATE vehicles SET status = 'revoked', revoked_ms = coalesce(revoked_ms, ?) WHERE vehicle_id = ?").run([nowMs, vehicleId])
      return true
    })
  }

  async touchVehicles(vehicleIds: readonly string[], nowMs: number): Promise<void> {
    if (vehicleIds.length === 0) return
    await this.retry(() =>
      this.transaction(() => {
        const s = this.stmt('UPDATE vehicles SET last_seen_ms = max(coalesce(last_seen_ms, 0), ?) WHERE vehicle_id = ?')
        for (const id of new Set(vehicleIds)) s.run([nowMs, id])
      }),
    )
  }

  // ------------------------------------------------------------------- filings

  async addFiling(row: FilingRow): Promise<void> {
    await this.retry(() => {
      const res = this.stmt(
        `INSERT INTO filings (filing_id, kind, reference, categories, recipients, purposes, valid_from_ms, valid_until_ms, exemption, created_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      ).run([
        row.filingId,
        row.kind,
        row.reference,
        JSON.stringify(row.categories),
        JSON.stringify(row.recipients),
        JSON.stringify(row.purposes),
        row.validFromMs,
        row.validUntilMs,
        row.exemption,
        row.createdMs,
      ])
      if (res.changes === 0) throw new AdxError('ADX_ERR_FILING_EXISTS', row.filingId)
    })
  }

  async listFilings(): Promise<FilingRow[]> {
    return this.retry(() => this.stmt('SELECT * FROM filings ORDER BY valid_from_ms, filing_id').all().map(toFiling))
  }

  async getFiling(filingId: string): Promise<FilingRow | undefined> {
    return this.retry(() => {
      const r = this.stmt('SELECT * FROM filings WHERE filing_id = ?').get([filingId])
      return r ? toFiling(r) : undefined
    })
  }

  async expireFiling(filingId: string, nowMs: number): Promise<boolean> {
    return this.retry(() => {
      if (!this.stmt('SELECT 1 AS x FROM filings WHERE filing_id = ?').get([filingId])) return false
      this.stmt('UPDATE filings SET valid_until_ms = min(valid_until_ms, ?) WHERE filing_id = ?').run([nowMs, filingId])
      return true
    })
  }

  // ----------------------------------------------------------------- incidents

  async addIncident(row: IncidentRow): Promise<boolean> {
    return this.retry(() =>
      this.transaction(() => {
        const fresh =
          this.stmt(
            `INSERT INTO incidents (vehicle_id, incident_id, type, detected_ms, received_ms, payload_id, reason_code, detail, categories, count, ref, recipients, subjects)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
          ).run([
            row.vehicleId,
            row.incidentId,
            row.type,
            row.detectedMs,
            row.receivedMs,
            row.payloadId,
            row.reasonCode,
            row.detail,
            JSON.stringify(row.categories),
            row.count,
            incidentRef(row.vehicleId, row.incidentId),
            JSON.stringify(row.recipients ?? []),
            JSON.stringify(row.subjects ?? []),
          ]).changes === 1
        if (fresh)
          this.stmt(
            `INSERT INTO incident_events (vehicle_id, incident_id, event, from_state, to_state, grade, by_who, at_ms, note)
             VALUES (?, ?, 'detected', '', 'open', '', ?, ?, '')`,
          ).run([row.vehicleId, row.incidentId, row.vehicleId ? 'vehicle' : 'backend', row.receivedMs])
        return fresh
      }),
    )
  }

  async listIncidents(opts: { limit?: number; vehicleId?: string } = {}): Promise<IncidentRow[]> {
    const limit = Math.max(1, Math.min(opts.limit ?? 100, 10_000))
    return this.retry(() => {
      const rows =
        opts.vehicleId === undefined
          ? this.stmt('SELECT * FROM incidents ORDER BY received_ms DESC, incident_id LIMIT ?').all([limit])
          : this.stmt('SELECT * FROM incidents WHERE vehicle_id = ? ORDER BY received_ms DESC, incident_id LIMIT ?').all([
              opts.vehicleId,
              limit,
            ])
      return rows.map(toIncident)
    })
  }

  async listIncidentRecords(
    opts: { limit?: number; vehicleId?: string; state?: IncidentState; fromMs?: number; toMs?: number } = {},
  ): Promise<IncidentRecord[]> {
    const limit = Math.max(1, Math.min(opts.limit ?? 100, 1_000_000))
    const filters: [string, string | number | undefined][] = [
      ['vehicle_id = ?', opts.vehicleId],
      ['state = ?', opts.state],
      ['detected_ms >= ?', opts.fromMs],
      ['detected_ms < ?', opts.toMs],
    ]
    const used = filters.filter(([, v]) => v !== undefined)
    const where = used.map(([w]) => w)
    const args = used.map(([, v]) => v as string | number)
    const sql = `SELECT * FROM incidents ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY detected_ms DESC, ref LIMIT ?`
    return this.retry(() => this.stmt(sql).all([...args, limit]).map(toIncidentRecord))
  }

  async getIncident(ref: string): Promise<IncidentRecord | undefined> {
    return this.retry(() => {
      const r = this.stmt('SELECT * FROM incidents WHERE ref = ?').get([ref])
      return r ? toIncidentRecord(r) : undefined
    })
  }

  async changeIncident(c: IncidentChange): Promise<IncidentRecord | undefined> {
    return this.retry(() =>
      this.transaction(() => {
        const r = this.stmt('SELECT * FROM incidents WHERE ref = ?').get([c.ref])
        if (!r || str(r.state) !== c.expectedState) return undefined
        const col = c.state === 'contained' ? 'contained_ms' : c.state === 'reported' ? 'reported_ms' : c.state === 'closed' ? 'closed_ms' : ''
        this.stmt(
          `UPDATE incidents SET state = ?, grade = CASE ? WHEN '' THEN grade ELSE ? END${col ? `, ${col} = coalesce(${col}, ?)` : ', state = state'} WHERE ref = ?`,
        ).run(col ? [c.state, c.grade, c.grade, c.atMs, c.ref] : [c.state, c.grade, c.grade, c.ref])
        this.stmt(
          `INSERT INTO incident_events (vehicle_id, incident_id, event, from_state, to_state, grade, by_who, at_ms, note)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run([str(r.vehicle_id), str(r.incident_id), c.event, c.expectedState, c.state, c.grade, c.by, c.atMs, c.note])
        return toIncidentRecord(this.stmt('SELECT * FROM incidents WHERE ref = ?').get([c.ref])!)
      }),
    )
  }

  async incidentEventsOf(vehicleId: string, incidentId: string): Promise<IncidentEvent[]> {
    return this.retry(() =>
      this.stmt('SELECT * FROM incident_events WHERE vehicle_id = ? AND incident_id = ? ORDER BY seq').all([vehicleId, incidentId]).map(toIncidentEvent),
    )
  }

  async incidentEventsAfter(seq: number, limit: number): Promise<IncidentEvent[]> {
    return this.retry(() => this.stmt('SELECT * FROM incident_events WHERE seq > ? ORDER BY seq LIMIT ?').all([seq, limit]).map(toIncidentEvent))
  }

  async recordsAfter(rowid: number, limit: number, range?: { fromMs: number; toMs: number }): Promise<StoredRecord[]> {
    return this.retry(() =>
      (range
        ? this.stmt('SELECT rowid AS rid, * FROM records WHERE rowid > ? AND exported_ms >= ? AND exported_ms < ? ORDER BY rowid LIMIT ?').all([
            rowid,
            range.fromMs,
            range.toMs,
            limit,
          ])
        : this.stmt('SELECT rowid AS rid, * FROM records WHERE rowid > ? ORDER BY rowid LIMIT ?').all([rowid, limit])
      ).map((r) => ({
        rowid: num(r.rid),
        vehicleId: str(r.vehicle_id),
        recordId: str(r.record_id),
        year: num(r.year),
        exportedMs: num(r.exported_ms),
        receivedMs: num(r.received_ms),
        recipient: str(r.recipient),
        body: (r.body as Uint8Array | null) ?? null,
      })),
    )
  }

  async recordsPacked(rowid: number, limit: number, range: { fromMs: number; toMs: number }): Promise<PackedRecords> {
    return this.retry(() => {
      const r = this.stmt(PACKED_RECORDS_SQL).get([rowid, range.fromMs, range.toMs, limit])
      const count = num(r?.n ?? 0)
      return { count, last: count ? num(r?.last) : rowid, packed: count ? ((r?.packed as Uint8Array | null) ?? null) : null }
    })
  }

  // ------------------------------------------------------------------ policies

  async savePolicy(build: (version: number) => Omit<PolicyRow, 'version'>): Promise<PolicyRow> {
    return this.retry(() =>
      this.transaction(() => {
        const version = num(this.stmt('SELECT coalesce(max(version), 0) + 1 AS v FROM policies').get()?.v)
        const row = { ...build(version), version }
        this.stmt('INSERT INTO policies (version, vehicle_id, issued_ms, held_categories, signed) VALUES (?, ?, ?, ?, ?)').run([
          row.version,
          row.vehicleId,
          row.issuedMs,
          JSON.stringify(row.heldCategories),
          row.signed,
        ])
        return row
      }),
    )
  }

  async latestPolicy(vehicleId: string): Promise<PolicyRow | undefined> {
    return this.retry(() => {
      const r = this.stmt('SELECT * FROM policies WHERE vehicle_id = ? ORDER BY version DESC LIMIT 1').get([vehicleId])
      return r
        ? {
            version: num(r.version),
            vehicleId: str(r.vehicle_id),
            issuedMs: num(r.issued_ms),
            heldCategories: json(r.held_categories),
            signed: r.signed as Uint8Array,
          }
        : undefined
    })
  }

  // -------------------------------------------------------------------- leases

  async issueLease(
    req: { vehicleId: string; year: number; nowMs: number; slotCounter: string; weights: Record<string, LeaseWeight> },
    decide: (snapshot: LeaseSnapshot) => LeaseGrant | null,
  ): Promise<LeaseGrant | null> {
    const { vehicleId, ...rest } = req
    const [grant] = await this.issueLeases({ ...rest, vehicleIds: [vehicleId] }, (_id, snapshot) => decide(snapshot))
    return grant ?? null
  }

  async issueLeases(
    req: { vehicleIds: readonly string[]; year: number; nowMs: number; slotCounter: string; weights: Record<string, LeaseWeight> },
    decide: (vehicleId: string, snapshot: LeaseSnapshot) => LeaseGrant | null,
  ): Promise<(LeaseGrant | null)[]> {
    const { year, nowMs, slotCounter, weights } = req
    if (req.vehicleIds.length === 0) return []
    return this.retry(() =>
      this.transaction(() => {
        // One snapshot for the batch, moved forward by each grant: the same decisions as one
        // transaction per vehicle, without re-adding every outstanding lease for each of them.
        const remaining: Record<string, number> = {}
        const rem = this.stmt(
          `SELECT coalesce(sum(max(0, ?1 * l.new_persons + ?2 * l.new_sensitive_persons - coalesce(u.used, 0))), 0) AS r
           FROM leases l LEFT JOIN lease_use u ON u.lease_id = l.lease_id AND u.counter = ?3
           WHERE l.year = ?4 AND l.outstanding_until_ms > ?5`,
        )
        for (const [counter, w] of Object.entries(weights)) remaining[counter] = num(rem.get([w.persons, w.sensitive, counter, year, nowMs])?.r)
        const slotsByCategory: Record<string, number> = {}
        const ownSlots = new Map<string, Set<string>>()
        for (const r of this.stmt('SELECT category, member FROM slots WHERE year = ? AND counter = ? AND until_ms > ?').iterate([year, slotCounter, nowMs])) {
          const c = str(r.category)
          slotsByCategory[c] = (slotsByCategory[c] ?? 0) + 1
          const m = str(r.member)
          let own = ownSlots.get(m)
          if (!own) ownSlots.set(m, (own = new Set()))
          own.add(c)
        }
        const totals = this.stmt('SELECT counter, category, value FROM totals WHERE year = ?')
          .all([year])
          .map((r) => ({ counter: str(r.counter), category: str(r.category), value: num(r.value) }))
        const insertLease = this.stmt(
          `INSERT INTO leases (lease_id, vehicle_id, year, new_persons, new_sensitive_persons, vehicle_categories, issued_ms, expires_ms, outstanding_until_ms)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        const slot = this.stmt(
          `INSERT INTO slots (year, counter, category, member, until_ms) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (year, counter, category, member) DO UPDATE SET until_ms = max(until_ms, excluded.until_ms)`,
        )
        const out: (LeaseGrant | null)[] = []
        for (const vehicleId of req.vehicleIds) {
          const own = ownSlots.get(vehicleId)
          const otherSlots: Record<string, number> = {}
          for (const [c, n] of Object.entries(slotsByCategory)) otherSlots[c] = n - (own?.has(c) ? 1 : 0)
          const grant = decide(vehicleId, {
            totals,
            remaining: { ...remaining },
            vehicleLeases: this.outstandingSync(nowMs, vehicleId),
            vehicleCategories: this.memberCategoriesSync(year, slotCounter, vehicleId),
            otherSlots,
          })
          out.push(grant)
          if (!grant) continue
          const l = grant.lease
          insertLease.run([l.leaseId, l.vehicleId, l.year, l.newPersons, l.newSensitivePersons, JSON.stringify(l.vehicleCategories), l.issuedMs, l.expiresMs, l.outstandingUntilMs])
          if (l.outstandingUntilMs > nowMs)
            for (const [counter, w] of Object.entries(weights)) remaining[counter] = (remaining[counter] ?? 0) + Math.max(0, w.persons * l.newPersons + w.sensitive * l.newSensitivePersons)
          for (const c of grant.slotCategories) {
            slot.run([l.year, slotCounter, c, l.vehicleId, l.outstandingUntilMs])
            let mine = ownSlots.get(l.vehicleId)
            if (!mine) ownSlots.set(l.vehicleId, (mine = new Set()))
            if (!mine.has(c)) {
              mine.add(c)
              slotsByCategory[c] = (slotsByCategory[c] ?? 0) + 1
            }
          }
        }
        return out
      }),
    )
  }

  async policyInputs(vehicleIds: readonly string[], year: number, slotCounter: string): Promise<Map<string, { categories: string[]; latest: PolicyRow | undefined }>> {
    // One read transaction for the batch: on this VFS every statement outside a transaction
    // takes and releases the file lock (a directory) on its own.
    return this.retry(() =>
      this.transaction(() => {
        const latest = this.stmt('SELECT * FROM policies WHERE vehicle_id = ? ORDER BY version DESC LIMIT 1')
        const out = new Map<string, { categories: string[]; latest: PolicyRow | undefined }>()
        for (const id of vehicleIds) {
          const r = latest.get([id])
          out.set(id, {
            categories: this.memberCategoriesSync(year, slotCounter, id),
            latest: r ? { version: num(r.version), vehicleId: str(r.vehicle_id), issuedMs: num(r.issued_ms), heldCategories: json(r.held_categories), signed: r.signed as Uint8Array } : undefined,
          })
        }
        return out
      }),
    )
  }

  async savePolicies(builds: readonly ((version: number) => Omit<PolicyRow, 'version'>)[]): Promise<PolicyRow[]> {
    if (builds.length === 0) return []
    return this.retry(() =>
      this.transaction(() => {
        let version = num(this.stmt('SELECT coalesce(max(version), 0) AS v FROM policies').get()?.v)
        const insert = this.stmt('INSERT INTO policies (version, vehicle_id, issued_ms, held_categories, signed) VALUES (?, ?, ?, ?, ?)')
        return builds.map((build) => {
          version++
          const row = { ...build(version), version }
          insert.run([row.version, row.vehicleId, row.issuedMs, JSON.stringify(row.heldCategories), row.signed])
          return row
        })
      }),
    )
  }

  async outstandingLeases(nowMs: number, vehicleId?: string): Promise<LeaseRow[]> {
    return this.retry(() => this.outstandingSync(nowMs, vehicleId))
  }

  private outstandingSync(nowMs: number, vehicleId?: string): LeaseRow[] {
    const rows =
      vehicleId === undefined
        ? this.stmt('SELECT * FROM leases WHERE outstanding_until_ms > ? ORDER BY issued_ms, lease_id').all([nowMs])
        : this.stmt('SELECT * FROM leases WHERE vehicle_id = ? AND outstanding_until_ms > ? ORDER BY issued_ms, lease_id').all([
            vehicleId,
            nowMs,
          ])
    return rows.map(toLease)
  }

  /** Outstanding slots per category of a slot counter (for status and invariant checks). */
  async outstandingSlots(year: number, counter: string, nowMs: number): Promise<Record<string, number>> {
    return this.retry(() => {
      const out: Record<string, number> = {}
      for (const r of this.stmt('SELECT category, count(*) AS n FROM slots WHERE year = ? AND counter = ? AND until_ms > ? GROUP BY category').all([
        year,
        counter,
        nowMs,
      ]))
        out[str(r.category)] = num(r.n)
      return out
    })
  }

  async close(): Promise<void> {
    this.dropStatements()
    if (this.db.isOpen) this.db.close()
  }
}

function toVehicle(r: Row): VehicleRow {
  return {
    vehicleId: str(r.vehicle_id),
    kind: str(r.kind) === 'gateway' ? 'gateway' : 'vehicle',
    gatewayId: r.gateway_id == null ? null : str(r.gateway_id),
    secretHash: str(r.secret_hash),
    status: str(r.status) === 'revoked' ? 'revoked' : 'active',
    label: str(r.label),
    createdMs: num(r.created_ms),
    revokedMs: optNum(r.revoked_ms),
    lastSeenMs: optNum(r.last_seen_ms),
  }
}

function toFiling(r: Row): FilingRow {
  return {
    filingId: str(r.filing_id),
    kind: num(r.kind),
    reference: str(r.reference),
    categories: json(r.categories),
    recipients: json(r.recipients),
    purposes: json(r.purposes),
    validFromMs: num(r.valid_from_ms),
    validUntilMs: num(r.valid_until_ms),
    exemption: num(r.exemption),
    createdMs: num(r.created_ms),
  }
}

function toIncident(r: Row): IncidentRow {
  return {
    vehicleId: str(r.vehicle_id),
    incidentId: str(r.incident_id),
    type: str(r.type),
    detectedMs: num(r.detected_ms),
    receivedMs: num(r.received_ms),
    payloadId: str(r.payload_id),
    reasonCode: str(r.reason_code),
    detail: str(r.detail),
    categories: json(r.categories),
    count: num(r.count),
    recipients: r.recipients === undefined ? [] : json(r.recipients),
    subjects: r.subjects === undefined ? [] : json(r.subjects),
  }
}

const states: readonly IncidentState[] = ['open', 'contained', 'reported', 'closed']

function toIncidentRecord(r: Row): IncidentRecord {
  const state = str(r.state) as IncidentState
  return {
    ...toIncident(r),
    ref: str(r.ref),
    state: states.includes(state) ? state : 'open',
    grade: str(r.grade),
    containedMs: optNum(r.contained_ms),
    reportedMs: optNum(r.reported_ms),
    closedMs: optNum(r.closed_ms),
  }
}

function toIncidentEvent(r: Row): IncidentEvent {
  return {
    seq: num(r.seq),
    vehicleId: str(r.vehicle_id),
    incidentId: str(r.incident_id),
    event: str(r.event) as IncidentEvent['event'],
    fromState: str(r.from_state),
    toState: str(r.to_state),
    grade: str(r.grade),
    by: str(r.by_who),
    atMs: num(r.at_ms),
    note: str(r.note),
  }
}

function toLease(r: Row): LeaseRow {
  return {
    leaseId: str(r.lease_id),
    vehicleId: str(r.vehicle_id),
    year: num(r.year),
    newPersons: num(r.new_persons),
    newSensitivePersons: num(r.new_sensitive_persons),
    vehicleCategories: json(r.vehicle_categories),
    issuedMs: num(r.issued_ms),
    expiresMs: num(r.expires_ms),
    outstandingUntilMs: num(r.outstanding_until_ms),
  }
}
