/**
 * Logging: pino, JSON lines, one child logger per component (`component` field). Security events
 * carry `security: true` and an error code, so they can be routed and counted.
 */
import { destination, pino, type Logger } from 'pino'

export type { Logger }

/** Log settings. */
export interface LogOptions {
  level?: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'
  /** Write to this file descriptor or path instead of stdout. */
  destination?: string | number
}

/**
 * Creates the backend's root logger.
 * @example const log = createLogger({ level: 'info' }).child({ component: 'ingest' })
 */
export function createLogger(opts: LogOptions = {}): Logger {
  const dest = destination({ dest: opts.destination ?? 1, sync: false })
  return pino({ level: opts.level ?? 'info', base: { app: 'adx-backend' } }, dest)
}

/** A logger that drops everything (tests). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' })
}
