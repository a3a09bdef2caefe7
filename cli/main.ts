/**
 * The `adx` command: one binary, sub-commands per program (inspect, agent, backend, sim,
 * export, verify ...). Errors with an ADX code print as `adx: CODE: message` and exit 1.
 */
import { Command } from 'commander'
import { registerAgentCommand } from '../agent/cli/agent-command.ts'
import { registerInspectCommand } from '../agent/cli/inspect-command.ts'
import { registerBackendCommands } from '../backend/cli.ts'
import { registerDemoCommand } from './demo.ts'
import { registerSimCommand } from './sim.ts'
import { runProgram } from './run-program.ts'
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
  registerSimCommand(program)
  return program
}

/** Run the CLI with argv; returns the exit code instead of exiting (tests call it). */
export async function main(argv: readonly string[] = process.argv): Promise<number> {
  return runProgram(buildProgram(), argv)
}
