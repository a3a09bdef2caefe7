/**
 * Retry delay after a failed delivery: exponential backoff with FULL jitter
 * (delay = random in [0, min(cap, base * 2^(attempt-1))) ), which spreads the retries of many
 * units that failed together (a backend outage) instead of synchronising them.
 */

/** Backoff parameters, in milliseconds. */
export interface BackoffOptions {
  /** Ceiling of the first retry's window. */
  baseMs: number
  /** Largest window, reached after a few doublings. */
  capMs: number
}

/**
 * Delay before the next attempt after the `attempt`-th failure (1 = first failure).
 * `random` returns a number in [0, 1) (Math.random or a seeded RNG in tests).
 * The window grows as base·2^(attempt-1) up to `capMs`; the result is floor(random·window).
 */
export function backoffDelayMs(attempt: number, opts: BackoffOptions, random: () => number): number {
  const n = Math.max(1, Math.floor(attempt))
  // 2^(n-1) overflows to Infinity for large n; min() with cap keeps the window finite.
  const window = Math.min(opts.capMs, opts.baseMs * 2 ** (n - 1))
  const r = random()
  const unit = Number.isFinite(r) ? Math.min(Math.max(r, 0), 1 - Number.EPSILON) : 0
  return Math.floor(unit * window)
}
