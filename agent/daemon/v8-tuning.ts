/**
 * V8 settings for a small telematics unit, applied at run time by the stand-alone bundle's
 * entry (main.ts imports this module first, so they are in force before SQLite's WebAssembly is
 * compiled and before the heap grows). Only flags that V8 reads after start-up can be set
 * this way; heap limits (--max-old-space-size, --max-semi-space-size) are fixed when the
 * process starts and belong on the node command line (deploy/adx-agent.service).
 *
 * - --liftoff-only: SQLite's WebAssembly stays on the baseline compiler. TurboFan tier-up of
 *   the 1.2 MiB module costs ~30 MiB of resident memory (bench:agent, "2 DBs opened" with and
 *   without it) and buys no measurable outbox throughput (fsync dominates).
 * - --semi-space-growth-factor=1: the young generation stays at its initial size instead of
 *   doubling up to 2 × 16 MiB under load (no measurable CPU cost per payload).
 * Not used: --optimize-for-size (heap ~3 MiB smaller, but ~30% more CPU per payload) and
 * --no-opt (RSS ~11 MiB smaller, ~1.5–2× CPU per payload).
 *
 * `ADX_V8_TUNING=0` turns this off (for comparisons).
 */
import { setFlagsFromString } from 'node:v8'

/** The flags applied (exported for tests and the benchmark's report). */
export const AGENT_V8_FLAGS = ['--liftoff-only', '--semi-space-growth-factor=1'] as const

if (process.env.ADX_V8_TUNING !== '0') setFlagsFromString(AGENT_V8_FLAGS.join(' '))
