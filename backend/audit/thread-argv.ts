/**
 * The node flags an audit thread is started with: the process's own, but for `node -e`'s
 * --input-type (it cannot apply to a file entry) and tsx's loader flags (the thread entries load
 * their TypeScript through tsx's in-thread CommonJS hook; tsx's ESM loader would start one more
 * hooks thread per worker, ~30 MiB and a slower start).
 * @example new Worker(entry, { execArgv: threadExecArgv() })
 */
export function threadExecArgv(argv: readonly string[] = process.execArgv): string[] {
  const out: string[] = []
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k]!
    if (a.startsWith('--input-type')) continue
    if ((a === '--import' || a === '--require' || a === '--loader' || a === '-r') && /[\\/]tsx[\\/]/.test(argv[k + 1] ?? '')) {
      k++
      continue
    }
    if (/^--(import|require|loader)=.*[\\/]tsx[\\/]/.test(a)) continue
    out.push(a)
  }
  return out
}
