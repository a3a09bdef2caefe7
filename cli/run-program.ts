/**
 * Running a commander program the ADX way: usage errors exit 2, errors with an ADX code print
 * as `adx: CODE: message` (each problem on its own line) and exit 1, anything else prints its
 * stack and exits 1. Shared by `adx` and the flashable `adx-agent` bundle.
 */
import { type Command, CommanderError } from 'commander'
import { isAdxError } from '../shared/errors.ts'

/** Parse argv with `program` (which must have exitOverride()); resolves with the exit code. */
export async function runProgram(program: Command, argv: readonly string[]): Promise<number> {
  try {
    await program.parseAsync(argv as string[])
    return typeof process.exitCode === 'number' ? process.exitCode : 0
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2
    if (isAdxError(e)) {
      process.stderr.write(`adx: ${e.code}: ${e.message}\n`)
      if (e.details.length > 1) for (const d of e.details) process.stderr.write(`  ${d}\n`)
      return 1
    }
    process.stderr.write(`adx: ${(e as Error).stack ?? String(e)}\n`)
    return 1
  }
}
