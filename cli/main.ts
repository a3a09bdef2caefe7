/**
 * The `adx` command: one binary, sub-commands per program (inspect, agent, backend, sim,
 * export, verify ...). Errors with an ADX code print as `adx: CODE: message` and exit 1.
 */
import { Command, CommanderError } from 'commander'
import { registerAgentCommand } from '../agent/cli/agent-command.ts'
import { registerInspectCommand } from '../agent/cli/inspect-command.ts'
import { registerBackendCommands } from '../backend/cli.ts'
import { registerDemoCommand } from './demo.ts'
import { isAdxError } from '../shared/errors.ts'
import { version } from './version.ts'

/** Build the `adx` program (exported for tests). */
export function buildProgram(): Command {
  const program = new Command('adx')
    .description('ADX, the Automotive Data eXport guard: keeps vehicle data leaving China inside the 2026 guidelines')
    .version(version)
    .showHelpAfterError()
    .exitOverride() // before sub-commands, which inherit it: errors come back to main()
  registerInspectCommand(program)
  registerAgentCommand(program)
  registerBackendCommands(program)
  registerDemoCommand(program)
  return program
}

/** Run the CLI with argv; returns the exit code instead of exiting (tests call it). */
export async function main(argv: readonly string[] = process.argv): Promise<number> {
  const program = buildProgram()
  try {
    await program.parseAsync(argv as string[])
    return typeof process.exitCode === 'number' ? process.exitCode : 0
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2
    if (isAdxError(e)) {
      process.stderr.write(`adx: ${e.code}: ${e.message}\n`)
      for (const d of e.details.slice(1)) process.stderr.write(`  ${d}\n`)
      return 1
    }
    process.stderr.write(`adx: ${(e as Error).stack ?? String(e)}\n`)
    return 1
  }
}
