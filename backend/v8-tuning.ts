/**
 * V8 settings of the backend process, applied at run time by startBackend (server.ts) before the
 * store and the ingest thread start. Only flags V8 reads after start-up can be set this way
 * (heap limits such as --max-semi-space-size belong on the node command line).
 *
 * - --heap-growing-percent=50: after each full collection the old generation may grow by half
 *   of what is live before the next one, instead of V8's default of up to 4× when collections
 *   look cheap. Under steady ingest the event loop promotes a few MiB/s of short-lived objects
 *   (per message: its promises and handler state, alive for the length of a commit); with the
 *   default the main heap climbed from ~30 to ~125 MiB between full collections, with this
 *   setting it stays at ~65 MiB (bench:backend, ingest of 1M persons: peak RSS ~225 MiB instead
 *   of ~265-295 MiB, records/s unchanged within noise). Full collections of a ~30 MiB live heap
 *   take a few ms each.
 *
 * `ADX_V8_TUNING=0` turns this off (for comparisons).
 */
import { setFlagsFromString } from 'node:v8'

/** The flags applied (exported for tests and the benchmark's report). */
export const BACKEND_V8_FLAGS = ['--heap-growing-percent=50'] as const

/**
 * Applies BACKEND_V8_FLAGS to this process (all its isolates), unless ADX_V8_TUNING=0.
 * @example applyBackendV8Tuning() // returns the flags applied
 */
export function applyBackendV8Tuning(): readonly string[] {
  if (process.env.ADX_V8_TUNING === '0') return []
  setFlagsFromString(BACKEND_V8_FLAGS.join(' '))
  return BACKEND_V8_FLAGS
}
