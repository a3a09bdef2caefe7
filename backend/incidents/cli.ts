/**
 * `adx incidents list|show|update` and `adx logs verify|prune`, registered by backend/cli.ts.
 *
 *   adx incidents list [--state S] [--vehicle V] [--overdue] [--from T] [--to T] [--limit N]
 *   adx incidents show <id>
 *   adx incidents update <id> [--state contained|reported|closed] [--grade G] [--note TEXT] [--by WHO]
 *   adx logs verify            verify the emergency-response log and the export log (exit 1 if broken)
 *   adx logs prune             prune both logs to the retention period (signed checkpoint)
 */
import { userInfo } from 'node:os'
import type { Command } from 'commander'
import { AdxError } from '../../shared/errors.ts'
import { loadRulePack } from '../../shared/rulepack/load.ts'
import type { BackendConfig } from '../config.ts'
import { silentLogger } from '../log.ts'
import { loadOrCreateSigningKey } from '../signing-key.ts'
import type { SqliteStore } from '../store/sqlite.ts'
import type { IncidentState } from '../store/types.ts'
import type { GradeId } from './catalogue.ts'
import { incidentStates } from './lifecycle.ts'
import { type IncidentParts, setupIncidents } from './setup.ts'

/** What backend/cli.ts hands to the command modules. */
export interface CliContext {
  print(value: unknown): void
  err(text: string): void
  configOf(cmd: Command): BackendConfig
  withStore<T>(cmd: Command, fn: (store: SqliteStore, config: BackendConfig) => Promise<T>): Promise<T>
  run<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void>
  parseTime(text: string, flag: string): number
}

/** The incident parts on an open store (CLI processes log nothing to stdout but their JSON). */
export function cliIncidents(store: SqliteStore, config: BackendConfig): IncidentParts {
  const pack = loadRulePack(config.rulePack)
  const signer = loadOrCreateSigningKey(config.signing.privateKeyPath)
  return setupIncidents(config, pack, store, signer, silentLogger())
}

const state = (s: string | undefined, flag: string): IncidentState | undefined => {
  if (s === undefined) return undefined
  if (!(incidentStates as readonly string[]).includes(s)) throw new AdxError('ADX_ERR_INPUT', `${flag}: "${s}" is not one of ${incidentStates.join(', ')}`)
  return s as IncidentState
}

/**
 * Registers `incidents` and `logs`.
 * @example registerIncidentCommands(program, ctx)
 */
export function registerIncidentCommands(program: Command, ctx: CliContext): void {
  const cfg = (c: Command) => c.option('-c, --config <path>', 'backend configuration (YAML)')
  const incidents = cfg(program.command('incidents').description('security incidents: list, show, contain, report, close'))
  cfg(incidents.command('list'))
    .description('list incidents, newest first (overdue = not reported by the deadline)')
    .option('--state <state>', incidentStates.join(' | '))
    .option('--vehicle <vehicleId>', 'only this vehicle')
    .option('--overdue', 'only incidents past their reporting deadline')
    .option('--from <time>', 'detected at or after (epoch ms or ISO-8601)')
    .option('--to <time>', 'detected before')
    .option('--limit <n>', 'at most n', '100')
    .action(
      ctx.run(async (o: { state?: string; vehicle?: string; overdue?: boolean; from?: string; to?: string; limit: string }, cmd: Command) =>
        ctx.withStore(cmd, async (store, config) => {
          const limit = Number(o.limit)
          if (!Number.isInteger(limit) || limit < 1) throw new AdxError('ADX_ERR_INPUT', `--limit: "${o.limit}" is not a positive integer`)
          const { service } = cliIncidents(store, config)
          ctx.print(
            await service.list({
              state: state(o.state, '--state'),
              vehicleId: o.vehicle,
              overdue: o.overdue,
              fromMs: o.from === undefined ? undefined : ctx.parseTime(o.from, '--from'),
              toMs: o.to === undefined ? undefined : ctx.parseTime(o.to, '--to'),
              limit,
            }),
          )
        }),
      ),
    )
  cfg(incidents.command('show <id>'))
    .description('one incident with its history')
    .action(
      ctx.run(async (id: string, _o: unknown, cmd: Command) =>
        ctx.withStore(cmd, async (store, config) => {
          ctx.print(await cliIncidents(store, config).service.show(id))
        }),
      ),
    )
  cfg(incidents.command('update <id>'))
    .description('move an incident on (open → contained → reported → closed) and/or regrade it')
    .option('--state <state>', 'contained | reported | closed')
    .option('--grade <grade>', 'particularly-major | major | relatively-major | general')
    .option('--note <text>', 'what was done (kept in the emergency-response log)')
    .option('--by <who>', 'who makes the change (default: the OS user)')
    .action(
      ctx.run(async (id: string, o: { state?: string; grade?: string; note?: string; by?: string }, cmd: Command) =>
        ctx.withStore(cmd, async (store, config) => {
          const parts = cliIncidents(store, config)
          const detail = await parts.service.update(id, {
            state: state(o.state, '--state'),
            grade: o.grade as GradeId | undefined,
            note: o.note,
            by: o.by ?? `cli:${userInfo().username}`,
          })
          await parts.logs.pumpIncidents()
          ctx.print(detail)
        }),
      ),
    )

  const logs = cfg(program.command('logs').description('the hash-chained emergency-response log and export log'))
  cfg(logs.command('verify'))
    .description('verify both logs; exit 1 naming the first bad line')
    .action(
      ctx.run(async (_o: unknown, cmd: Command) =>
        ctx.withStore(cmd, async (store, config) => {
          const parts = cliIncidents(store, config)
          await parts.logs.pump()
          const v = parts.logs.verify()
          ctx.print({ emergencyResponse: { file: parts.logs.emergency.path, ...v.emergency }, exportLog: { file: parts.logs.exports.path, ...v.exports } })
          for (const [name, verdict] of [[parts.logs.emergency.path, v.emergency], [parts.logs.exports.path, v.exports]] as const)
            if (!verdict.ok) {
              ctx.err(`${name}: line ${verdict.line}: ${verdict.reason}\n`)
              process.exitCode = 1
            }
        }),
      ),
    )
  cfg(logs.command('prune'))
    .description('prune both logs to the retention period, keeping them verifiable')
    .action(
      ctx.run(async (_o: unknown, cmd: Command) =>
        ctx.withStore(cmd, async (store, config) => {
          const parts = cliIncidents(store, config)
          ctx.print({ pruned: parts.logs.prune() })
        }),
      ),
    )
}
