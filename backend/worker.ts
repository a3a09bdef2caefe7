/**
 * Starting the backend's worker threads (the ingest thread, the audit export's writer and verify
 * threads) with the process's node flags, minus those a thread cannot take.
 *
 * Node refuses a Worker whose execArgv holds a V8 flag or a per-process option
 * (ERR_WORKER_INVALID_EXEC_ARGV): `node --max-old-space-size=512 bin/adx.js backend` would
 * otherwise fail to start its ingest thread. V8 flags apply to every thread of the process
 * anyway, and a thread's heap is sized by its resourceLimits, so such flags are left out.
 */
import { Worker, type WorkerOptions } from 'node:worker_threads'

/** Options of workerExecArgv. */
export interface ExecArgvOptions {
  /**
   * Leave out tsx's loader flags: for thread entries that load their TypeScript through tsx's
   * in-thread CommonJS hook (tsx's ESM loader would start one more hooks thread per worker,
   * ~30 MiB and a slower start).
   */
  dropTsx?: boolean
}

/**
 * The node flags a thread is started with: the process's own but for `node -e`'s --input-type
 * (it cannot apply to a file entry) and, with `dropTsx`, tsx's loader flags.
 * @example new Worker(entry, { execArgv: workerExecArgv(process.execArgv, { dropTsx: true }) })
 */
export function workerExecArgv(argv: readonly string[] = process.execArgv, opts: ExecArgvOptions = {}): string[] {
  const out: string[] = []
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k]!
    if (a.startsWith('--input-type')) continue
    if (opts.dropTsx) {
      if ((a === '--import' || a === '--require' || a === '--loader' || a === '-r') && /[\\/]tsx[\\/]/.test(argv[k + 1] ?? '')) {
        k++
        continue
      }
      if (/^--(import|require|loader)=.*[\\/]tsx[\\/]/.test(a)) continue
    }
    out.push(a)
  }
  return out
}

/**
 * `argv` without the flags Node named as refused (`--stack-size=900`, or `--title` whose value
 * follows as the next argument).
 */
export function withoutFlags(argv: readonly string[], refused: readonly string[]): string[] {
  const drop = new Set(refused)
  const out: string[] = []
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k]!
    if (!drop.has(a)) {
      out.push(a)
      continue
    }
    // A flag given as `--flag value`: its value goes with it (execArgv holds options only, so an
    // argument that is not an option is a value).
    if (!a.includes('=') && k + 1 < argv.length && !argv[k + 1]!.startsWith('-')) k++
  }
  return out
}

/** The flags of an ERR_WORKER_INVALID_EXEC_ARGV message ("…execArgv flags: --a, --b=1"). */
function refusedFlags(message: string): string[] {
  const at = message.indexOf('flags: ')
  return at < 0 ? [] : message.slice(at + 7).split(', ').map((f) => f.trim()).filter(Boolean)
}

/**
 * A Worker started with `options.execArgv` (default: workerExecArgv()), or, when Node refuses
 * some of those flags, without them.
 * @example const w = startWorker(new URL('./entry.mjs', import.meta.url), { workerData })
 */
export function startWorker(entry: URL | string, options: WorkerOptions = {}): Worker {
  let execArgv = (options.execArgv ?? workerExecArgv()).map(String)
  // Node names the refused flags up to the first argument it cannot read as an option: a few
  // rounds at most.
  for (let round = 0; ; round++) {
    try {
      return new Worker(entry, { ...options, execArgv })
    } catch (e) {
      if ((e as { code?: unknown }).code !== 'ERR_WORKER_INVALID_EXEC_ARGV' || round === 8) throw e
      const refused = refusedFlags((e as Error).message)
      const next = withoutFlags(execArgv, refused)
      if (next.length === execArgv.length) throw e
      execArgv = next
    }
  }
}
