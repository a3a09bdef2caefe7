/**
 * The backend's command-line commands, registered on the `adx` program by the caller:
 *
 *   adx backend [-c backend.yaml]                      run the backend until SIGINT/SIGTERM
 *   adx vehicles add <id> [--label L]                  provision; prints the secret once
 *   adx vehicles list | revoke <id>
 *   adx gateways add <id> [--label L]                  a gateway: one connection for many vehicles
 *   adx gateways enrol <id> <vehicleId...> [--from FILE] | list
 *   adx filings add --kind K --reference R --categories a,b --recipients r --purposes p
 *                   --valid-from 2026-01-01 --valid-until 2029-01-01 [--exemption E7] [--id ID]
 *   adx filings list | expire <id>
 *   adx incidents list | show <id> | update <id> --state S   (backend/incidents/cli.ts)
 *   adx logs verify | prune
 *   adx export --year 2026 --out DIR | adx verify DIR        (backend/audit/cli.ts)
 *
 * Vehicle and filing commands work on the store directly, also while the backend runs (the file
 * lock is shared politely); the running backend picks changes up at its next re-evaluation.
 * Output is JSON; errors print `CODE: message` on stderr and exit 1.
 */
import { mkdirSync, readFileSync } from 'node:fs'
import { dirname } from 'node:path'
import type { Command } from 'commander'
import { AdxError, isAdxError } from '../shared/errors.ts'
import { loadRulePack } from '../shared/rulepack/load.ts'
import { type BackendConfig, loadConfig, parseConfig } from './config.ts'
import { registerAuditCommands } from './audit/cli.ts'
import { describeFiling, filingInput, scopeProblems, toFilingRow } from './filings/input.ts'
import { registerIncidentCommands } from './incidents/cli.ts'
import { startBackend } from './server.ts'
import { openSqliteStore, type SqliteStore } from './store/sqlite.ts'
import { generateSecret, hashSecret } from './vehicles/credentials.ts'
import { vehicleIdProblem } from './vehicles/vehicle-id.ts'

/** Where the commands write (injectable for tests). */
export interface CliIo {
  out(text: string): void
  err(text: string): void
  /** Resolves when the process is asked to stop (default: SIGINT or SIGTERM). */
  untilSignal?(): Promise<string>
}

const defaultIo: CliIo = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
}

function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    const on = (sig: string) => () => resolve(sig)
    process.once('SIGINT', on('SIGINT'))
    process.once('SIGTERM', on('SIGTERM'))
  })
}

/** A time given as epoch ms or an ISO-8601 date/time (a bare date is 00:00 China Standard Time). */
export function parseTime(text: string, flag: string): number {
  if (/^\d+$/.test(text)) return Number(text)
  const iso = /^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00+08:00` : text
  const ms = Date.parse(iso)
  if (Number.isNaN(ms)) throw new AdxError('ADX_ERR_INPUT', `${flag}: "${text}" is neither epoch milliseconds nor an ISO-8601 time`)
  return ms
}

const list = (s: string) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)

/** The configuration with the broker replaced by an external one (`--broker URL`). */
export function withExternalBroker(config: BackendConfig, url: string): BackendConfig {
  const parsed = parseConfig({ broker: { mode: 'external', url } }, process.cwd()).broker
  return { ...config, broker: parsed }
}

/**
 * Registers `backend`, `vehicles` and `filings` on a commander program.
 * @example const program = new Command('adx'); registerBackendCommands(program); await program.parseAsync()
 */
export function registerBackendCommands(program: Command, io: CliIo = defaultIo): void {
  const print = (v: unknown) => io.out(`${JSON.stringify(v, null, 2)}\n`)
  const configOf = (cmd: Command): BackendConfig => loadConfig(cmd.optsWithGlobals<{ config?: string }>().config)
  const withStore = async <T>(cmd: Command, fn: (store: SqliteStore, config: BackendConfig) => Promise<T>): Promise<T> => {
    const config = configOf(cmd)
    mkdirSync(dirname(config.store.path), { recursive: true })
    const store = await openSqliteStore(config.store.path, { busyTimeoutMs: config.store.busyTimeoutMs })
    try {
      return await fn(store, config)
    } finally {
      await store.close()
    }
  }
  const run =
    <A extends unknown[]>(fn: (...args: A) => Promise<void>) =>
    async (...args: A) => {
      try {
        await fn(...args)
      } catch (e) {
        if (!isAdxError(e)) throw e
        io.err(`${e.code}: ${e.message}\n`)
        process.exitCode = 1
      }
    }

  program
    .command('backend')
    .description('run the ADX backend (broker, ingest, measure engine, policy publisher, HTTP API)')
    .option('-c, --config <path>', 'backend configuration (YAML)')
    .option('--broker <url>', 'use an existing MQTT broker (mqtt://host:port) instead of the embedded one')
    .action(
      run(async (opts: { broker?: string }, cmd: Command) => {
        const config = configOf(cmd)
        const backend = await startBackend(opts.broker ? withExternalBroker(config, opts.broker) : config)
        io.out(`${JSON.stringify({ http: backend.http, broker: backend.broker, keyId: backend.signer.keyId })}\n`)
        const sig = await (io.untilSignal ?? untilSignal)()
        io.err(`${sig}: stopping\n`)
        await backend.stop()
      }),
    )

  const vehicles = program.command('vehicles').description('provision and revoke vehicles').option('-c, --config <path>', 'backend configuration (YAML)')
  vehicles
    .command('add <vehicleId>')
    .option('-c, --config <path>', 'backend configuration (YAML)')
    .description('provision a vehicle; prints its secret once')
    .option('--label <text>', 'free-text label', '')
    .action(
      run(async (vehicleId: string, opts: { label: string }, cmd: Command) => {
        const problem = vehicleIdProblem(vehicleId)
        if (problem) throw new AdxError('ADX_ERR_INPUT', `vehicleId: ${problem}`)
        await withStore(cmd, async (store) => {
          const secret = generateSecret()
          await store.addVehicle({ vehicleId, label: opts.label, secretHash: await hashSecret(secret), createdMs: Date.now() })
          print({ vehicleId, secret, note: 'the secret is shown once; provision it to the vehicle now' })
        })
      }),
    )
  vehicles
    .command('list')
    .option('-c, --config <path>', 'backend configuration (YAML)')
    .description('list provisioned vehicles')
    .action(
      run(async (_opts: unknown, cmd: Command) =>
        withStore(cmd, async (store) => {
          print((await store.listVehicles({ kind: 'vehicle' })).map(({ secretHash: _s, kind: _k, ...v }) => v))
        }),
      ),
    )
  vehicles
    .command('revoke <vehicleId>')
    .option('-c, --config <path>', 'backend configuration (YAML)')
    .description('revoke a vehicle (the running backend drops it at its next re-evaluation)')
    .action(
      run(async (vehicleId: string, _opts: unknown, cmd: Command) =>
        withStore(cmd, async (store) => {
          if (!(await store.revokeVehicle(vehicleId, Date.now()))) throw new AdxError('ADX_ERR_VEHICLE_UNKNOWN', vehicleId)
          print({ vehicleId, status: 'revoked' })
        }),
      ),
    )

  const gateways = program
    .command('gateways')
    .description('gateways: one MQTT connection that publishes for an enrolled set of vehicles, under the same ACL')
    .option('-c, --config <path>', 'backend configuration (YAML)')
  gateways
    .command('add <gatewayId>')
    .option('-c, --config <path>', 'backend configuration (YAML)')
    .description('provision a gateway; prints its secret once')
    .option('--label <text>', 'free-text label', '')
    .action(
      run(async (gatewayId: string, opts: { label: string }, cmd: Command) => {
        const problem = vehicleIdProblem(gatewayId)
        if (problem) throw new AdxError('ADX_ERR_INPUT', `gatewayId: ${problem}`)
        await withStore(cmd, async (store) => {
          const secret = generateSecret()
          await store.addVehicle({ vehicleId: gatewayId, kind: 'gateway', label: opts.label, secretHash: await hashSecret(secret), createdMs: Date.now() })
          print({ gatewayId, secret, note: 'the secret is shown once; enrol vehicles with `adx gateways enrol`' })
        })
      }),
    )
  gateways
    .command('enrol <gatewayId> [vehicleIds...]')
    .option('-c, --config <path>', 'backend configuration (YAML)')
    .option('--from <file>', 'read vehicle ids from a file, one per line')
    .description('let a gateway publish for these provisioned vehicles (takes effect at its next connection)')
    .action(
      run(async (gatewayId: string, ids: string[], opts: { from?: string }, cmd: Command) => {
        const all = [...ids, ...(opts.from ? readFileSync(opts.from, 'utf8').split(/\r?\n/).map((l) => l.trim()).filter(Boolean) : [])]
        if (all.length === 0) throw new AdxError('ADX_ERR_INPUT', 'vehicleIds: name at least one vehicle (or --from FILE)')
        await withStore(cmd, async (store) => print({ gatewayId, enrolled: await store.enrolVehicles(gatewayId, all) }))
      }),
    )
  gateways
    .command('list')
    .option('-c, --config <path>', 'backend configuration (YAML)')
    .description('list gateways with the number of active vehicles enrolled to each')
    .action(
      run(async (_opts: unknown, cmd: Command) =>
        withStore(cmd, async (store) => {
          const rows = await store.listVehicles({ kind: 'gateway' })
          print(await Promise.all(rows.map(async ({ secretHash: _s, kind: _k, gatewayId: _g, vehicleId, ...v }) => ({ gatewayId: vehicleId, ...v, vehicles: (await store.gatewayMembers(vehicleId)).length }))))
        }),
      ),
    )

  const filings = program.command('filings').description('approvals, contract filings, certifications and references on record').option('-c, --config <path>', 'backend configuration (YAML)')
  filings
    .command('add')
    .option('-c, --config <path>', 'backend configuration (YAML)')
    .description('record a filing')
    .requiredOption('--kind <kind>', 'security-assessment | standard-contract | certification | exemption-reference | mnr-approval | important-data-filing')
    .requiredOption('--reference <ref>', "the authority's reference number")
    .requiredOption('--categories <list>', 'comma-separated categories, rule or limit ids, or *')
    .requiredOption('--recipients <list>', 'comma-separated recipients, or *')
    .requiredOption('--purposes <list>', 'comma-separated purposes, or *')
    .requiredOption('--valid-from <time>', 'epoch ms or ISO-8601 (a bare date is 00:00 CST)')
    .requiredOption('--valid-until <time>', 'epoch ms or ISO-8601, exclusive')
    .option('--exemption <E1..E9>', 'the exemption an exemption-reference supports')
    .option('--id <filingId>', 'filing id (generated when absent)')
    .action(
      run(async (o: Record<string, string>, cmd: Command) => {
        const parsed = filingInput.safeParse({
          filingId: o.id,
          kind: o.kind,
          reference: o.reference,
          categories: list(o.categories ?? ''),
          recipients: list(o.recipients ?? ''),
          purposes: list(o.purposes ?? ''),
          validFromMs: parseTime(o.validFrom ?? '', '--valid-from'),
          validUntilMs: parseTime(o.validUntil ?? '', '--valid-until'),
          exemption: o.exemption,
        })
        if (!parsed.success) {
          const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)
          throw new AdxError('ADX_ERR_INPUT', problems.join('; '), problems)
        }
        const config = configOf(cmd)
        const problems = scopeProblems(loadRulePack(config.rulePack), parsed.data)
        if (problems.length) throw new AdxError('ADX_ERR_INPUT', problems.join('; '), problems)
        await withStore(cmd, async (store) => {
          const row = toFilingRow(parsed.data, Date.now())
          await store.addFiling(row)
          print(describeFiling(row, Date.now()))
        })
      }),
    )
  filings
    .command('list')
    .option('-c, --config <path>', 'backend configuration (YAML)')
    .description('list filings')
    .action(
      run(async (_opts: unknown, cmd: Command) =>
        withStore(cmd, async (store) => {
          const now = Date.now()
          print((await store.listFilings()).map((f) => describeFiling(f, now)))
        }),
      ),
    )
  filings
    .command('expire <filingId>')
    .option('-c, --config <path>', 'backend configuration (YAML)')
    .description('end a filing now')
    .action(
      run(async (filingId: string, _opts: unknown, cmd: Command) =>
        withStore(cmd, async (store) => {
          if (!(await store.expireFiling(filingId, Date.now()))) throw new AdxError('ADX_ERR_FILING_UNKNOWN', filingId)
          print(describeFiling((await store.getFiling(filingId))!, Date.now()))
        }),
      ),
    )

  const ctx = { print, err: io.err, configOf, withStore, run, parseTime }
  registerIncidentCommands(program, ctx)
  registerAuditCommands(program, ctx)
}
