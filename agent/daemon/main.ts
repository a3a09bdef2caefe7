/**
 * Entry point of the stand-alone agent binary (`dist/agent/adx-agent.mjs`, built by
 * scripts/build-agent.ts): the `agent` and `inspect` sub-commands only, with the same error
 * convention as the adx CLI (`adx: CODE: message`, one line per problem, exit 1).
 */
import { Command, CommanderError } from 'commander'
import { version } from '../../cli/version.ts'
import { isAdxError } from '../../shared/errors.ts'
import { registerAgentCommand } from '../cli/agent-command.ts'
import { registerInspectCommand } from '../cli/inspect-command.ts'

/** Run with argv; resolves with the exit code. */
export async function agentMain(argv: readonly string[]): Promise<number> {
  const program = new Command('adx-agent').description('ADX agent for telematics units').version(version).showHelpAfterError().exitOverride()
  registerAgentCommand(program)
  registerInspectCommand(program)
  try {
    await program.parseAsync(argv as string[])
    return typeof process.exitCode === 'number' ? process.exitCode : 0
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2
    if (isAdxError(e)) {
      process.stderr.write(`adx: ${e.code}: ${e.message}\n`)
      for (const d of e.details) process.stderr.write(`  ${d}\n`)
      return 1
    }
    process.stderr.write(`adx: ${(e as Error).stack ?? String(e)}\n`)
    return 1
  }
}

const isMain = process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '\u0000')
if (isMain) process.exitCode = await agentMain(process.argv)
