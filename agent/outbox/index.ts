/**
 * The agent's durable outbox: `openOutbox(opts)` over one SQLite file (see outbox.ts for the
 * guarantees, sqlite.ts for why WAL + EXCLUSIVE + synchronous=FULL, README.md for evidence).
 */
export { Outbox, openOutbox, type OutboxOpenInfo } from './outbox.ts'
export { OutboxError, isOutboxError, outboxErrorCodes, type OutboxErrorCode } from './errors.ts'
export { backoffDelayMs, type BackoffOptions } from './backoff.ts'
export type { GroupCommitOptions } from './group-commit.ts'
export type {
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
