/**
 * Group commit scheduling: jobs submitted close together are handed to one `runBatch` call
 * (one transaction, one fsync) instead of one each. A batch is flushed when `maxBatch` jobs or
 * `maxBatchBytes` bytes are waiting, or when the oldest waiting job has waited `maxDelayMs`
 * (0 = on the next event-loop turn, via setImmediate, so everything submitted in the current
 * turn shares the commit). This file knows nothing about SQLite: it only decides WHEN.
 */

/** When to flush. */
export interface GroupCommitOptions {
  /** Flush as soon as this many jobs are waiting (>= 1). Also the largest batch. */
  maxBatch: number
  /** Flush as soon as the waiting jobs weigh this many bytes. A batch never exceeds it unless one job alone does. */
  maxBatchBytes: number
  /** Longest a job waits for companions, in ms; 0 = the next turn of the event loop. */
  maxDelayMs: number
}

type Timer = { kind: 'immediate'; handle: ReturnType<typeof setImmediate> } | { kind: 'timeout'; handle: ReturnType<typeof setTimeout> }

/**
 * A queue of jobs flushed in batches. `runBatch` is called synchronously with the jobs in
 * submission order; it must settle every job itself and must not throw.
 */
export class GroupCommit<J> {
  private readonly queue: { job: J; bytes: number }[] = []
  private queuedBytes = 0
  private timer: Timer | null = null
  private running = false

  constructor(
    private readonly runBatch: (jobs: J[]) => void,
    private readonly opts: GroupCommitOptions,
  ) {}

  /** Jobs waiting for a flush. */
  get size(): number {
    return this.queue.length
  }

  /** Queue a job weighing `bytes` and make sure a flush is scheduled. */
  push(job: J, bytes: number): void {
    this.queue.push({ job, bytes })
    this.queuedBytes += bytes
    if (this.queue.length >= this.opts.maxBatch || this.queuedBytes >= this.opts.maxBatchBytes) this.schedule(true)
    else this.schedule(this.opts.maxDelayMs <= 0)
  }

  /** Run every waiting job now, batch after batch, synchronously (used by close()). */
  flushNow(): void {
    this.cancelTimer()
    while (this.queue.length > 0) this.flushOne()
  }

  private schedule(soon: boolean): void {
    if (this.running) return // flushOne reschedules when it finishes
    if (this.timer) {
      if (!soon || this.timer.kind === 'immediate') return
      this.cancelTimer() // a timeout is pending but the batch is already full: go now
    }
    if (soon) this.timer = { kind: 'immediate', handle: setImmediate(() => this.onTimer()) }
    else this.timer = { kind: 'timeout', handle: setTimeout(() => this.onTimer(), this.opts.maxDelayMs) }
  }

  private cancelTimer(): void {
    if (!this.timer) return
    if (this.timer.kind === 'immediate') clearImmediate(this.timer.handle)
    else clearTimeout(this.timer.handle)
    this.timer = null
  }

  private onTimer(): void {
    this.timer = null
    this.flushOne()
    if (this.queue.length > 0) this.schedule(true) // leftovers beyond maxBatch go on the next turn
  }

  private flushOne(): void {
    if (this.queue.length === 0) return
    let take = 0
    let bytes = 0
    while (take < this.queue.length && take < this.opts.maxBatch) {
      const next = this.queue[take]!.bytes
      if (take > 0 && bytes + next > this.opts.maxBatchBytes) break
      bytes += next
      take++
    }
    const batch = this.queue.splice(0, take)
    this.queuedBytes -= bytes
    this.running = true
    try {
      this.runBatch(batch.map((b) => b.job))
    } finally {
      this.running = false
    }
  }
}
