/**
 * The backend's two hash-chained JSON-lines logs under the data folder, both also streamed to
 * stdout through pino (`chain` field):
 *
 *   <dataDir>/logs/emergency-response.jsonl  every incident lifecycle event (detected, contained,
 *                                            reported, closed, graded) with the incident's state
 *   <dataDir>/logs/export-log.jsonl          every ingested export record, metadata only
 *
 * The store is the source: each log carries its cursor (event seq, record rowid) in its lines and
 * `pump()` appends what came after the last line, under the file's lock, so the backend and `adx`
 * commands can both pump without a line written twice or skipped. Retention prunes lines older
 * than the retention period behind a signed checkpoint, so the rest still verifies.
 */
import { join } from 'node:path'
import { AdxError } from '../../shared/errors.ts'
import { type ChainFile as ChainFileType, ChainFile, type ChainVerdict, type CheckpointSigner } from '../../shared/hash-chain.ts'
import { exportLogEntry, exportLogEntryJson } from '../audit/entries.ts'
import type { Logger } from '../log.ts'
import { incidentRef } from '../store/incident-ref.ts'
import type { Store } from '../store/types.ts'
import type { GradeTable } from './grades.ts'
import { viewIncident } from './lifecycle.ts'
import { incidentTypes, raiseIncident } from './raise.ts'

/** File names under `<dataDir>/logs/`. */
export const logFiles = { emergency: 'emergency-response.jsonl', exports: 'export-log.jsonl' } as const

/** Dependencies of the logs. */
export interface ChainedLogsDeps {
  dataDir: string
  store: Store
  table: GradeTable
  log: Logger
  /** Signs pruning checkpoints. */
  signer: CheckpointSigner & { publicKeyPem: string }
  retentionDays: number
  clock?: () => number
}

const BATCH = 5_000

/** The emergency-response log and the export log. */
export class ChainedLogs {
  readonly emergency: ChainFileType
  readonly exports: ChainFileType
  private readonly clock: () => number
  private pumping: Promise<void> | undefined
  private again = false

  constructor(private readonly deps: ChainedLogsDeps) {
    this.clock = deps.clock ?? Date.now
    this.emergency = new ChainFile(join(deps.dataDir, 'logs', logFiles.emergency))
    this.exports = new ChainFile(join(deps.dataDir, 'logs', logFiles.exports))
  }

  /** Appends everything the store has that the logs do not yet; coalesces concurrent calls. */
  pump(): Promise<void> {
    if (this.pumping) {
      this.again = true
      return this.pumping
    }
    this.pumping = (async () => {
      try {
        do {
          this.again = false
          await this.pumpIncidents()
          await this.pumpExports()
        } while (this.again)
      } finally {
        this.pumping = undefined
      }
    })()
    return this.pumping
  }

  /** Appends new incident events; returns how many lines were written. */
  async pumpIncidents(): Promise<number> {
    const { store, table, log } = this.deps
    let written = 0
    for (;;) {
      const cursor = cursorOf(this.emergency, 'eventSeq')
      const events = await store.incidentEventsAfter(cursor, BATCH)
      if (events.length === 0) return written
      const now = this.clock()
      const entries: Array<{ eventSeq: number } & Record<string, unknown>> = []
      for (const e of events) {
        const rec = await store.getIncident(incidentRef(e.vehicleId, e.incidentId))
        const view = rec ? viewIncident(rec, table, now) : undefined
        entries.push({
          eventSeq: e.seq,
          event: e.event,
          from: e.fromState,
          to: e.toState,
          by: e.by,
          atMs: e.atMs,
          note: e.note,
          incident: view
            ? { id: view.id, incidentId: view.incidentId, vehicleId: view.vehicleId, type: view.type, grade: e.grade || view.grade, reasonCode: view.reasonCode, detail: view.detail, categories: view.scope.categories, items: view.scope.items, detectedMs: view.detectedMs, reportDeadlineMs: view.reportDeadlineMs }
            : { incidentId: e.incidentId, vehicleId: e.vehicleId },
        })
      }
      const lines = this.emergency.append((last) => entries.filter((x) => x.eventSeq > ((last?.entry as { eventSeq?: number } | undefined)?.eventSeq ?? 0)), now)
      for (const l of lines) log.info({ chain: 'emergency-response', line: l }, `emergency-response ${(l.entry as { event: string }).event}`)
      written += lines.length
      if (events.length < BATCH) return written
    }
  }

  /** Appends new export records; returns how many lines were written. */
  async pumpExports(): Promise<number> {
    const { store, log } = this.deps
    let written = 0
    for (;;) {
      const cursor = cursorOf(this.exports, 'rowid')
      const records = await store.recordsAfter(cursor, BATCH)
      if (records.length === 0) return written
      const entries = records.map((r) => exportLogEntry(r))
      // Lines built from each entry's canonical JSON (exportLogEntryJson): one serialisation and
      // one hash per record, on the event loop that also takes the MQTT traffic.
      const texts = this.exports.appendJson((last) => {
        const after = (last?.entry as { rowid?: number } | undefined)?.rowid ?? 0
        return entries.filter((x) => x.rowid > after).map(exportLogEntryJson)
      }, this.clock())
      if (log.isLevelEnabled('info')) for (const t of texts) log.info({ chain: 'export-log', line: JSON.parse(t) as unknown }, 'export-log record')
      written += texts.length
      if (records.length < BATCH) return written
    }
  }

  /** Prunes both logs to the retention period; returns lines pruned per log. */
  prune(): { emergency: number; exports: number } {
    const cutoff = this.clock() - this.deps.retentionDays * 86_400_000
    const old = (l: { at: number }) => l.at < cutoff
    const out = {
      emergency: this.emergency.prune(old, this.clock(), this.deps.signer),
      exports: this.exports.prune(old, this.clock(), this.deps.signer),
    }
    if (out.emergency || out.exports) this.deps.log.info({ pruned: out, retentionDays: this.deps.retentionDays }, 'pruned hash-chained logs past retention')
    return out
  }

  /** Verifies both logs (checkpoints must carry the backend's signature). */
  verify(): { emergency: ChainVerdict; exports: ChainVerdict } {
    const opts = { publicKeyPem: this.deps.signer.publicKeyPem }
    return { emergency: this.emergency.verify(opts), exports: this.exports.verify(opts) }
  }

  /**
   * Verifies both logs and raises ADX_INC_LOG_TAMPERED for a broken one (once per break).
   * @example await logs.checkIntegrity()
   */
  async checkIntegrity(): Promise<{ emergency: ChainVerdict; exports: ChainVerdict }> {
    const v = this.verify()
    for (const [name, verdict] of Object.entries(v) as [string, ChainVerdict][]) {
      if (verdict.ok) continue
      await raiseIncident(this.deps.store, this.deps.log, {
        type: incidentTypes.LOG_TAMPERED,
        incidentId: `log-tampered:${name}:line-${verdict.line}`,
        reasonCode: 'ADX_ERR_LOG_CHAIN',
        detail: `${name === 'emergency' ? logFiles.emergency : logFiles.exports} line ${verdict.line}: ${verdict.reason}`,
        nowMs: this.clock(),
      })
    }
    return v
  }
}

/** The cursor in the last line of a chain file (0 when empty). */
function cursorOf(file: ChainFileType, field: 'eventSeq' | 'rowid'): number {
  const last = file.lastLine()
  if (!last) return 0
  try {
    const v = (JSON.parse(last) as { entry?: Record<string, unknown> }).entry?.[field]
    return typeof v === 'number' ? v : 0
  } catch {
    throw new AdxError('ADX_ERR_LOG_CHAIN', `${file.path}: the last line is not JSON; verify the log and repair it from a backup`)
  }
}
