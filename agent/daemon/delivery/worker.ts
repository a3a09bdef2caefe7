/**
 * One delivery loop per destination: FIFO from the outbox, at-least-once. A vehicle's payloads
 * are sent one at a time in order; a gateway's vehicles are lanes sent side by side (up to the
 * destination's maxInFlight), since order is per vehicle. The delivered items of a batch are
 * acked in one commit; a failed item is nacked (exponential backoff with full jitter, from the
 * outbox), ends its lane for this batch, and blocks its destination until due (peek stops at
 * it), so each vehicle's order is kept. A permanent refusal (4xx) is held visibly with an
 * incident instead of blocking the destination. After a restart the loop resumes from the outbox.
 */
import type { Logger } from 'pino'
import type { Outbox, OutboxItem } from '../../outbox/index.ts'
import type { AuditLog } from '../audit-log.ts'
import type { DestinationConfig } from '../config.ts'
import type { EventBus } from '../event-bus.ts'
import { queueIncident } from '../incidents.ts'
import type { SendResult, Transport } from './transport.ts'

/** Hold code (agent's own) for a payload the receiver refused for good. */
export const HOLD_DELIVERY_REJECTED = 'ADX_HOLD_DELIVERY_REJECTED'

/** What a worker needs. */
export interface WorkerDeps {
  outbox: Outbox
  bus: EventBus
  audit: AuditLog
  log: Logger
  vehicleId: string
  now: () => number
}

function withTimeout(p: Promise<SendResult>, ms: number): Promise<SendResult> {
  let t: NodeJS.Timeout | undefined
  const timeout = new Promise<SendResult>((resolve) => {
    t = setTimeout(() => resolve({ ok: false, retry: true, error: `no answer within ${ms} ms` }), ms)
  })
  return Promise.race([p, timeout]).finally(() => clearTimeout(t))
}

/** The delivery loop of one destination. */
export class DeliveryWorker {
  private running = false
  private loopDone: Promise<void> = Promise.resolve()
  private wakeUp: (() => void) | undefined
  /** Payloads delivered since start. */
  delivered = 0

  constructor(
    private readonly dest: DestinationConfig,
    private readonly transport: Transport,
    private readonly deps: WorkerDeps,
  ) {}

  get name(): string {
    return `delivery:${this.dest.name}`
  }

  async start(): Promise<void> {
    this.running = true
    this.deps.bus.on('enqueued', this.name, ({ destination }) => {
      if (destination === this.dest.name) this.wake()
    })
    this.loopDone = this.loop()
  }

  async stop(): Promise<void> {
    this.running = false
    this.deps.bus.removeOwner(this.name)
    this.wake()
    await this.loopDone
    await this.transport.close()
  }

  private wake(): void {
    const w = this.wakeUp
    this.wakeUp = undefined
    w?.()
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      this.wakeUp = resolve
      setTimeout(resolve, Math.max(10, ms)).unref()
    })
  }

  /** Sends a lane's items in order until one fails; the sent ones are added to `sent`. */
  private async deliverLane(lane: readonly OutboxItem[], sent: string[]): Promise<void> {
    const { outbox, log } = this.deps
    for (const item of lane) {
      if (!this.running) return
      const r = await withTimeout(this.transport.send(item), this.dest.timeoutMs)
      if (r.ok) {
        sent.push(item.id)
        continue
      }
      if (r.retry) {
        const n = await outbox.nack(this.dest.name, item.id, r.error, r.retryAfterMs ? { retryAfterMs: r.retryAfterMs } : {})
        log.debug({ destination: this.dest.name, id: item.id, error: r.error, retryInMs: n?.delayMs }, 'delivery failed; backing off')
      } else {
        await outbox.hold([item.id], HOLD_DELIVERY_REJECTED, { destination: this.dest.name })
        await queueIncident(outbox, {
          type: 'ADX_INC_FAIL_CLOSED',
          key: `rejected:${this.dest.name}:${item.id}`,
          payloadId: item.id,
          reasonCode: HOLD_DELIVERY_REJECTED,
          detail: `${this.dest.name} refused the payload (${r.error}); held`,
          vehiclePseudonym: this.deps.vehicleId,
          detectedMs: this.deps.now(),
        })
        this.deps.audit.append({ event: 'hold', payloadId: item.id, destination: this.dest.name, codes: [HOLD_DELIVERY_REJECTED], detail: r.error })
        log.warn({ destination: this.dest.name, id: item.id, error: r.error }, 'destination refused a payload; held')
      }
      return
    }
  }

  private async loop(): Promise<void> {
    const { outbox, log } = this.deps
    while (this.running) {
      try {
        const items = outbox.peek(this.dest.name, 64)
        if (items.length === 0) {
          const due = outbox.nextDueAt(this.dest.name)
          await this.sleep(due === null ? 1000 : Math.min(1000, due - this.deps.now()))
          continue
        }
        const sent: string[] = []
        const lanes = lanesOf(items)
        await inParallel(lanes, Math.min(this.dest.maxInFlight, lanes.length), (lane) => this.deliverLane(lane, sent))
        if (sent.length) {
          await outbox.ack(this.dest.name, sent)
          this.delivered += sent.length
        }
      } catch (e) {
        log.error({ err: e, destination: this.dest.name }, 'delivery loop error')
        await this.sleep(1000)
      }
    }
  }
}

/** The vehicle a delivery id belongs to: a gateway's ids are `<vehicle>|<payload id>`. */
function laneOf(id: string): string {
  const bar = id.indexOf('|')
  return bar < 0 ? '' : id.slice(0, bar)
}

/** Items grouped by vehicle, each group in outbox order, groups in order of their first item. */
export function lanesOf(items: readonly OutboxItem[]): OutboxItem[][] {
  const lanes = new Map<string, OutboxItem[]>()
  for (const item of items) {
    const key = laneOf(item.id)
    const lane = lanes.get(key)
    if (lane) lane.push(item)
    else lanes.set(key, [item])
  }
  return [...lanes.values()]
}

/** Runs `task` over `all` with at most `width` running at once. */
async function inParallel<T>(all: readonly T[], width: number, task: (x: T) => Promise<void>): Promise<void> {
  let next = 0
  const run = async () => {
    while (next < all.length) await task(all[next++]!)
  }
  await Promise.all(Array.from({ length: Math.max(1, width) }, run))
}
