/**
 * Group commit: records from many messages wait here briefly and are stored in one
 * transaction, because a commit costs an fsync while one more row in it costs almost nothing.
 * While a transaction runs, the next batch gathers. A batch that fails is retried message by
 * message, so one poisonous message is rejected alone and never blocks other vehicles.
 *
 * Records are encoded into the batch the moment they are submitted (ingest-codec.ts): what waits
 * for a commit is bytes in a reused buffer, bounded by maxRecords and maxBytes per batch, not
 * objects for the collector (which, living for the length of a commit, would reach the old
 * generation and be freed only by a full collection).
 */
import { BatchBuilder } from '../store/ingest-codec.ts'
import type { IngestOutcome, IngestRecord } from '../store/types.ts'

/** Batching limits. */
export interface GroupCommitOptions {
  /** Commit once this many records are waiting. */
  maxRecords: number
  /**
   * Commit once this many bytes of encoded records are waiting (default 16 MiB): what one batch
   * holds in memory, whatever the size of its records.
   */
  maxBytes?: number
  /** Commit at the latest this long after the first record arrived (0: next turn of the event loop). */
  maxDelayMs: number
  /** Above this many waiting records, submit() callers are asked to slow down (see waitForRoom). */
  highWaterRecords: number
}

/** Default of GroupCommitOptions.maxBytes. */
export const DEFAULT_MAX_BATCH_BYTES = 16 * 2 ** 20

/** Stores one encoded batch (count, then records) in one transaction; must not keep `batch` after it settles. */
export type CommitBatch = (batch: Uint8Array) => Promise<IngestOutcome[]>

interface Pending {
  start: number
  end: number
  count: number
  resolve: (o: IngestOutcome[]) => void
  reject: (e: unknown) => void
}

/** A batch and the messages in it. */
interface Gathered {
  builder: BatchBuilder
  messages: Pending[]
}

/** Buffers kept for reuse (one gathering, one committing). */
const SPARE_BUFFERS = 2

/** One group-commit queue in front of a store. */
export class GroupCommitQueue {
  /** Full batches waiting for their turn, oldest first. */
  private readonly sealed: Gathered[] = []
  /** The batch taking new messages. */
  private open: Gathered | undefined
  private pendingRecords = 0
  private readonly maxBytes: number
  private readonly spare: Buffer[] = []
  private running: Promise<void> | undefined
  private timer: NodeJS.Timeout | undefined
  private roomWaiters: Array<() => void> = []

  constructor(
    private readonly commit: CommitBatch,
    private readonly opts: GroupCommitOptions,
    private readonly onCommitted?: (info: { records: number; seconds: number; inserted: number }) => void,
  ) {
    this.maxBytes = opts.maxBytes ?? DEFAULT_MAX_BATCH_BYTES
  }

  /** Records waiting for a transaction. */
  get depth(): number {
    return this.pendingRecords
  }

  /**
   * Queues the records of one message (encoded at once; the objects are not kept); resolves
   * with one outcome per record once committed.
   * @example const outcomes = await queue.submit(records)
   */
  submit(records: readonly IngestRecord[]): Promise<IngestOutcome[]> {
    if (records.length === 0) return Promise.resolve([])
    let g = (this.open ??= this.gather())
    let at = g.builder.append(records)
    if (g.messages.length > 0 && (g.builder.count > this.opts.maxRecords || g.builder.bytes > this.maxBytes)) {
      // Whole messages per batch: this one starts the next batch.
      const next = this.gather()
      const moved = next.builder.appendFrom(g.builder, at.start, at.end, records.length)
      g.builder.truncate(at.start, records.length)
      at = moved
      this.seal()
      g = this.open = next
    }
    const full = g.builder.count >= this.opts.maxRecords || g.builder.bytes >= this.maxBytes
    return new Promise((resolve, reject) => {
      g.messages.push({ start: at.start, end: at.end, count: records.length, resolve, reject })
      this.pendingRecords += records.length
      if (full) this.seal()
      this.schedule()
    })
  }

  /** Resolves when the queue is below its high-water mark (backpressure for producers). */
  waitForRoom(): Promise<void> | undefined {
    if (this.pendingRecords < this.opts.highWaterRecords) return undefined
    return new Promise((resolve) => this.roomWaiters.push(resolve))
  }

  /** Commits everything waiting, and waits for it. */
  async drain(): Promise<void> {
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
    while (this.running || this.sealed.length || this.open) {
      if (!this.running) this.start()
      await this.running
    }
  }

  private gather(): Gathered {
    return { builder: new BatchBuilder(this.spare.pop() ?? Buffer.allocUnsafeSlow(1 << 20)), messages: [] }
  }

  private seal(): void {
    if (this.open && this.open.messages.length) this.sealed.push(this.open)
    this.open = undefined
  }

  private schedule(): void {
    if (this.running) return
    if (this.sealed.length) {
      if (this.timer) clearTimeout(this.timer)
      this.timer = undefined
      this.start()
    } else if (!this.timer && this.open) {
      this.timer = setTimeout(() => {
        this.timer = undefined
        if (!this.running) this.start()
      }, this.opts.maxDelayMs)
    }
  }

  private start(): void {
    this.running = this.flush().finally(() => {
      this.running = undefined
      if (this.sealed.length || this.open) this.schedule()
    })
  }

  private async flush(): Promise<void> {
    if (!this.sealed.length) this.seal()
    const g = this.sealed.shift()
    if (!g) return
    const n = g.builder.count
    this.pendingRecords -= n
    if (this.pendingRecords < this.opts.highWaterRecords) {
      const waiters = this.roomWaiters
      this.roomWaiters = []
      for (const w of waiters) w()
    }
    const t0 = performance.now()
    try {
      const outcomes = await this.commit(g.builder.finish())
      this.report(n, t0, outcomes)
      let i = 0
      for (const p of g.messages) {
        p.resolve(outcomes.slice(i, i + p.count))
        i += p.count
      }
    } catch (err) {
      if (g.messages.length === 1) g.messages[0]!.reject(err)
      else {
        // Isolate the poison: each message in its own transaction.
        for (const p of g.messages) {
          const t1 = performance.now()
          try {
            const outcomes = await this.commit(g.builder.slice(p.start, p.end, p.count))
            this.report(p.count, t1, outcomes)
            p.resolve(outcomes)
          } catch (e) {
            p.reject(e)
          }
        }
      }
    } finally {
      const buffer = g.builder.release()
      if (this.spare.length < SPARE_BUFFERS) this.spare.push(buffer)
    }
  }

  private report(records: number, t0: number, outcomes: IngestOutcome[]): void {
    this.onCommitted?.({ records, seconds: (performance.now() - t0) / 1000, inserted: outcomes.filter((o) => o === 'inserted').length })
  }
}
