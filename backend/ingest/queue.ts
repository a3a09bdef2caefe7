/**
 * Group commit: records from many messages wait here briefly and are stored in one
 * transaction, because a commit costs an fsync while one more row in it costs almost nothing.
 * While a transaction runs, the next batch gathers. A batch that fails is retried message by
 * message, so one poisonous message is rejected alone and never blocks other vehicles.
 */
import type { IngestOutcome, IngestRecord } from '../store/types.ts'

/** Batching limits. */
export interface GroupCommitOptions {
  /** Commit once this many records are waiting. */
  maxRecords: number
  /** Commit at the latest this long after the first record arrived (0: next turn of the event loop). */
  maxDelayMs: number
  /** Above this many waiting records, submit() callers are asked to slow down (see waitForRoom). */
  highWaterRecords: number
}

interface Pending {
  records: IngestRecord[]
  resolve: (o: IngestOutcome[]) => void
  reject: (e: unknown) => void
}

/** One group-commit queue in front of a store. */
export class GroupCommitQueue {
  private pending: Pending[] = []
  private pendingRecords = 0
  private running: Promise<void> | undefined
  private timer: NodeJS.Timeout | undefined
  private roomWaiters: Array<() => void> = []

  constructor(
    private readonly commit: (records: IngestRecord[]) => Promise<IngestOutcome[]>,
    private readonly opts: GroupCommitOptions,
    private readonly onCommitted?: (info: { records: number; seconds: number; inserted: number }) => void,
  ) {}

  /** Records waiting for a transaction. */
  get depth(): number {
    return this.pendingRecords
  }

  /**
   * Queues the records of one message; resolves with one outcome per record once committed.
   * @example const outcomes = await queue.submit(records)
   */
  submit(records: IngestRecord[]): Promise<IngestOutcome[]> {
    if (records.length === 0) return Promise.resolve([])
    return new Promise((resolve, reject) => {
      this.pending.push({ records, resolve, reject })
      this.pendingRecords += records.length
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
    while (this.running || this.pending.length) {
      if (!this.running) this.start()
      await this.running
    }
  }

  private schedule(): void {
    if (this.running) return
    if (this.pendingRecords >= this.opts.maxRecords) {
      if (this.timer) clearTimeout(this.timer)
      this.timer = undefined
      this.start()
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined
        if (!this.running) this.start()
      }, this.opts.maxDelayMs)
    }
  }

  private start(): void {
    this.running = this.flush().finally(() => {
      this.running = undefined
      if (this.pending.length) this.schedule()
    })
  }

  private async flush(): Promise<void> {
    // Whole messages, up to maxRecords (a single larger message goes alone).
    const batch: Pending[] = []
    let n = 0
    while (this.pending.length && (batch.length === 0 || n + this.pending[0]!.records.length <= this.opts.maxRecords)) {
      const p = this.pending.shift()!
      batch.push(p)
      n += p.records.length
    }
    this.pendingRecords -= n
    if (this.pendingRecords < this.opts.highWaterRecords) {
      const waiters = this.roomWaiters
      this.roomWaiters = []
      for (const w of waiters) w()
    }
    const all = batch.flatMap((p) => p.records)
    const t0 = performance.now()
    try {
      const outcomes = await this.commit(all)
      this.report(all.length, t0, outcomes)
      let i = 0
      for (const p of batch) {
        p.resolve(outcomes.slice(i, i + p.records.length))
        i += p.records.length
      }
    } catch (err) {
      if (batch.length === 1) return batch[0]!.reject(err)
      // Isolate the poison: each message in its own transaction.
      for (const p of batch) {
        const t1 = performance.now()
        try {
          const outcomes = await this.commit(p.records)
          this.report(p.records.length, t1, outcomes)
          p.resolve(outcomes)
        } catch (e) {
          p.reject(e)
        }
      }
    }
  }

  private report(records: number, t0: number, outcomes: IngestOutcome[]): void {
    this.onCommitted?.({ records, seconds: (performance.now() - t0) / 1000, inserted: outcomes.filter((o) => o === 'inserted').length })
  }
}
