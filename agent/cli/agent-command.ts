/**
 * `adx agent --config FILE [--check]`: run the ADX agent daemon on the telematics unit until
 * SIGTERM/SIGINT (then stop cleanly, exit 0). A bad configuration throws ADX_ERR_AGENT_CONFIG
 * naming every bad field; the CLI prints it and exits 1. `--check` validates and exits.
 */
import type { Command } from 'commander'
import { loadAgentConfig } from '../daemon/config.ts'
import { runAgent } from '../daemon/daemon.ts'

interface AgentOptions {
  config: string
  check?: boolean
}

/**
 * Register `adx agent` on a commander program.
 * @example registerAgentCommand(program) // in cli/main.ts buildProgram()
 */
export function registerAgentCommand(program: Command): void {
  program
    .command('agent')
    .description('run the agent daemon: loopback ingress → inspect → outbox → pinned delivery; export records to the backend')
    .requiredOption('-c, --config <file>', 'agent configuration (YAML); ADX_* environment variables override fields')
    .option('--check', 'validate the configuration and exit (0 = valid)')
    .action(async (opts: AgentOptions) => {
      const config = loadAgentConfig(opts.config)
      if (opts.check) {
        process.stdout.write(`configuration ok: vehicle ${config.vehicle.id}, ${config.destinations.length} destination(s)\n`)
        return
      }
      process.exitCode = await runAgent(config)
    })
}
