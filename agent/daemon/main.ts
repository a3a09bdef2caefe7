/**
 * Entry point of the stand-alone agent binary (`dist/agent/adx-agent.mjs`, built by
 * scripts/build-agent.ts): the `agent` and `inspect` sub-commands only, with the same error
 * convention as the adx CLI (`adx: CODE: message`, one line per problem, exit 1).
 */
// First: V8 settings that must be in force before SQLite's WebAssembly is compiled.
import './v8-tuning.ts'
import { Command } from 'commander'
import { version } from '../../cli/version.ts'
import { runProgram } from '../../cli/run-program.ts'
import { registerAgentCommand } from '../cli/agent-command.ts'
import { registerInspectCommand } from '../cli/inspect-command.ts'

/** Run with argv; resolves with the exit code. */
export async function agentMain(argv: readonly string[]): Promise<number> {
  const program = new Command('adx-agent').description('ADX agent for telematics units').version(version).showHelpAfterError().exitOverride()
  registerAgentCommand(program)
  registerInspectCommand(program)
  return runProgram(program, argv)
}

const isMain = process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '\u0000')
if (isMain) process.exitCode = await agentMain(process.argv)
