/** What a delivery transport does with one payload. */
import type { OutboxItem } from '../../outbox/index.ts'

/** Outcome of one delivery attempt. */
export type SendResult =
  /** The receiver has it (HTTP 2xx, MQTT PUBACK). */
  | { ok: true }
  /** Try again later (network, 5xx, 408, 429); `retryAfterMs` when the receiver said so. */
  | { ok: false; retry: true; error: string; retryAfterMs?: number }
  /** The receiver refused it for good (4xx): hold it visibly instead of blocking the destination. */
  | { ok: false; retry: false; error: string }

/** A transport to one destination. */
export interface Transport {
  /** Deliver one payload; the payload id travels with it so the receiver deduplicates. */
  send(item: OutboxItem): Promise<SendResult>
  close(): Promise<void>
}
