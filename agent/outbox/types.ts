/**
 * Public types of the outbox: what goes in, what comes out, the options and the incidents.
 */
import type { BackoffOptions } from './backoff.ts'
import type { OutboxErrorCode } from './errors.ts'
import type { GroupCommitOptions } from './group-commit.ts'

/** A payload handed to the outbox. */
export interface EnqueueItem {
  /** Caller's id, unique per destination (enqueue is idempotent on (destination, id)). 1..256 chars. */
  id: string
  /** Where it goes, e.g. 'cn-backend' or 'eu-oem'. 1..256 chars. */
  destination: string
  /** Integer; higher is more important. Used only to choose eviction victims, never to reorder delivery. */
  priority: number
  /** The payload. Its byteLength counts toward maxBytes. */
  body: Uint8Array
  /** JSON text the daemon attaches (verdict summary). Must parse as JSON. Not counted in maxBytes. */
  meta?: string
}

/** How an enqueue ended (refusals reject with an OutboxError instead). */
export type EnqueueResult =
  /** Written and fsync'd. `evicted` = how many lower-priority items made room for it. */
  | { status: 'queued'; id: string; destination: string; seq: number; evicted: number }
  /** (destination, id) was already in the outbox: nothing written, the first body wins. */
  | { status: 'already-queued'; id: string; destination: string; seq: number; held: boolean }
  /** (destination, id) was acknowledged recently (tombstone): not queued again. */
  | { status: 'already-delivered'; id: string; destination: string; ackedAt: number }

/** An item as peek()/get() return it. */
export interface OutboxItem {
  /** Global enqueue order. Ordering key only: a seq can be reused once every higher row is gone. */
  seq: number
  id: string
  destination: string
  priority: number
  body: Uint8Array
  meta: string | null
  /** body.byteLength */
  size: number
  /** Epoch ms (injected clock). */
  enqueuedAt: number
  /** Failed deliveries so far (nack count). */
  attempts: number
  /** Epoch ms before which the item is not due (0 = due now). */
  nextAttemptAt: number
  lastError: string | null
  /** Hold reason code, or null when not held. */
  holdReason: string | null
}

/** A held item, without its body (use get() for the body). */
export interface HeldItem {
  seq: number
  id: string
  destination: string
  priority: number
  size: number
  meta: string | null
  enqueuedAt: number
  reasonCode: string
  heldAt: number
}

/** What to do when an enqueue would exceed maxBytes or maxItems. */
export type FullPolicy = 'refuse' | 'evict-low-priority'

/** An enqueue was refused: nothing was written; the enqueue promise rejected with `code`. */
export interface OutboxRefusedIncident {
  type: 'ADX_INC_OUTBOX_REFUSED'
  destination: string
  ids: string[]
  bytes: number
  at: number
  code: OutboxErrorCode
  priority: number
}

/**
 * Items were evicted to make room (one incident per destination evicted from). Stored in the
 * same transaction as the eviction; `seq` identifies it for confirmIncidents().
 */
export interface OutboxEvictedIncident {
  type: 'ADX_INC_OUTBOX_EVICTED'
  seq: number
  destination: string
  ids: string[]
  bytes: number
  at: number
  /** The item whose enqueue caused the eviction. */
  evictedFor: { id: string; destination: string; priority: number }
}

/** Everything the outbox reports so that nothing disappears silently. */
export type OutboxIncident = OutboxRefusedIncident | OutboxEvictedIncident

/** ack() outcome. */
export interface AckResult {
  /** Rows removed. */
  acked: number
  /** Ids that were not in the outbox for that destination (already acked, evicted, never queued). */
  missing: string[]
}

/** nack() outcome, or null when the item is not in the outbox. */
export interface NackResult {
  attempts: number
  nextAttemptAt: number
  delayMs: number
}

/** hold()/release() outcome. */
export interface HoldResult {
  /** Rows whose state changed (hold: newly held or reason changed; release: was held). */
  changed: number
  /** Ids not found (for the destination, when one was given). */
  missing: string[]
}

/**
 * settle(): queue what one item produced, then acknowledge the item (or hold it with
 * `hold`), all in one group-commit transaction.
 */
export interface SettleWork {
  /** Where the item being settled is queued (e.g. the daemon's `@ingress`). */
  destination: string
  id: string
  /** Items it produced, queued first (idempotent on their (destination, id) like enqueue). */
  produce: readonly EnqueueItem[]
  /** Hold the item with this reason code instead of acknowledging it. */
  hold?: string
}

/** settle() outcome. */
export type SettleResult =
  /** Every product was queued (or already there) and the item was acked or held in the same commit. */
  | { settled: true; enqueued: EnqueueResult[] }
  /**
   * A product was refused (e.g. ADX_ERR_OUTBOX_FULL): the products before it stay queued, the
   * item was neither acked nor held. Retry later (products are idempotent).
   */
  | { settled: false; error: Error; enqueued: EnqueueResult[] }

/** Per-destination figures. Held items are included in items/bytes. */
export interface DestinationStats {
  items: number
  bytes: number
  held: number
  heldBytes: number
  /** enqueuedAt of the oldest item, or null. */
  oldestEnqueuedAt: number | null
}

/** stats() result. Totals include held items (they count toward the limits). */
export interface OutboxStats {
  items: number
  bytes: number
  held: number
  heldBytes: number
  maxItems: number
  maxBytes: number
  /** Enqueues and other operations accepted but not yet committed. */
  pendingOps: number
  /** Group-commit transactions committed since open (ops per commit = batching efficiency). */
  commits: number
  /** Eviction incidents not yet confirmed. */
  pendingIncidents: number
  destinations: Record<string, DestinationStats>
}

/** openOutbox() options. Only `path` is required. */
export interface OutboxOptions {
  /** SQLite file. Siblings `<path>-wal`, `<path>.lock` (dir) and `<path>.owner` appear beside it. */
  path: string
  /** Sum of body sizes allowed, held items included. Default 64 MiB. */
  maxBytes?: number
  /** Number of items allowed, held items included. Default 100,000. */
  maxItems?: number
  /** Default 'refuse'. */
  whenFull?: FullPolicy
  /** Group commit tuning. Defaults: maxBatch 512, maxBatchBytes 4 MiB, maxDelayMs 0 (next event-loop turn). */
  groupCommit?: Partial<GroupCommitOptions>
  /** Retry backoff. Defaults: baseMs 1,000, capMs 300,000. */
  backoff?: Partial<BackoffOptions>
  /** How long an acked (destination, id) is remembered to keep re-enqueues idempotent. Default 24 h; 0 = not at all. */
  deliveredTtlMs?: number
  /** At most this many tombstones are kept (oldest dropped first). Default 100,000. */
  maxDelivered?: number
  /** Unconfirmed eviction incidents kept at most (oldest dropped first). Default 10,000. */
  maxIncidents?: number
  /** Clock, epoch ms. Default Date.now. */
  now?: () => number
  /** Uniform [0, 1). Default Math.random. */
  random?: () => number
  /** Called synchronously for every refusal and (after commit) every eviction. Exceptions are caught and logged to stderr. */
  onIncident?: (incident: OutboxIncident) => void
}
