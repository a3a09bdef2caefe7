/**
 * Outbox errors as values with stable codes. Each code is listed once with its message
 * template; callers branch on `code` (never on the message), logs and incidents carry it.
 * Codes never change meaning; new ones are appended.
 */

/** Every outbox error code with its message template (`%s` is the detail). */
export const outboxErrorCodes = {
  /** The outbox is at `maxBytes` / `maxItems` and the policy did not make room. Nothing was written. */
  ADX_ERR_OUTBOX_FULL: 'outbox is full: %s',
  /** A single item larger than `maxBytes`: it can never fit, whatever the policy. Nothing was written. */
  ADX_ERR_OUTBOX_ITEM_TOO_LARGE: 'item can never fit in the outbox: %s',
  /** The outbox was closed (or is closing) before the operation was accepted. */
  ADX_ERR_OUTBOX_CLOSED: 'outbox is closed: %s',
  /** Another live process (or this one) already has the outbox file open. */
  ADX_ERR_OUTBOX_LOCKED: 'outbox is locked by another owner: %s',
  /** Argument validation failed (id, destination, priority, body, meta, options). */
  ADX_ERR_OUTBOX_INVALID: 'invalid outbox argument: %s',
  /** The database could not be opened, or is in a mode that is not crash safe. */
  ADX_ERR_OUTBOX_OPEN: 'outbox could not be opened: %s',
  /** The file was written by a newer schema version than this code understands. */
  ADX_ERR_OUTBOX_SCHEMA: 'outbox schema is not supported: %s',
  /** A transaction failed (I/O error, disk full, fsync failure); nothing in it was committed. */
  ADX_ERR_OUTBOX_IO: 'outbox write failed: %s',
} as const

/** A stable outbox error code. */
export type OutboxErrorCode = keyof typeof outboxErrorCodes

/** An outbox error: a stable `code`, a message built from the template, optional details. */
export class OutboxError extends Error {
  readonly code: OutboxErrorCode
  readonly details: readonly string[]

  constructor(code: OutboxErrorCode, detail: string, details: readonly string[] = [], options?: { cause?: unknown }) {
    super(outboxErrorCodes[code].replace('%s', detail), options)
    this.name = 'OutboxError'
    this.code = code
    this.details = details
  }

  /** Structured form for logs and audit records. */
  toJSON(): { code: OutboxErrorCode; message: string; details: readonly string[] } {
    return { code: this.code, message: this.message, details: this.details }
  }
}

/** True when `e` is an OutboxError with the given code (or any OutboxError without one). */
export function isOutboxError(e: unknown, code?: OutboxErrorCode): e is OutboxError {
  return e instanceof OutboxError && (code === undefined || e.code === code)
}
