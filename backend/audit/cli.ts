/**
 * `adx export` and `adx verify`, registered by backend/cli.ts.
 *
 *   adx export --year 2026 --out DIR            one counting year (China Standard Time)
 *   adx export --from 2026-01-01 --to 2026-07-01 --out DIR
 *   adx verify DIR|bundle.json [--key public.pem]
 */
import { readFileSync } from 'node:fs'
import type { Command } from 'commander'
import { AdxError } from '../../shared/errors.ts'
import { loadRulePack } from '../../shared/rulepack/load.ts'
import { countingPlan } from '../counting/plan.ts'
import { type CliContext, cliIncidents } from '../incidents/cli.ts'
import { loadOrCreateSigningKey } from '../signing-key.ts'
import { type AuditRange, writeAuditExport, yearRange } from './export.ts'
import { verifyAuditPath } from './verify.ts'

/** The range of `--year` or `--from/--to`. */
export function rangeOf(o: { year?: string; from?: string; to?: string }, utcOffsetMinutes: number, parseTime: CliContext['parseTime']): AuditRange {
  if (o.year !== undefined) {
    if (o.from !== undefined || o.to !== undefined) throw new AdxError('ADX_ERR_INPUT', 'give --year or --from/--to, not both')
    if (!/^\d{4}$/.test(o.year)) throw new AdxError('ADX_ERR_INPUT', `--year: "${o.year}" is not a year`)
    return yearRange(Number(o.year), { utcOffsetMinutes })
  }
  if (o.from === undefined || o.to === undefined) throw new AdxError('ADX_ERR_INPUT', 'give --year, or both --from and --to')
  const fromMs = parseTime(o.from, '--from')
  const toMs = parseTime(o.to, '--to')
  if (toMs <= fromMs) throw new AdxError('ADX_ERR_INPUT', '--to must be after --from')
  return { fromMs, toMs, label: `${o.from}..${o.to}` }
}

/**
 * Registers `export` and `verify`.
 * @example registerAuditCommands(program, ctx)
 */
export function registerAuditCommands(program: Command, ctx: CliContext): void {
  program
    .command('export')
    .description("write the regulators' audit export (signed; describes the data, never contains it)")
    .option('-c, --config <path>', 'backend configuration (YAML)')
    .option('--year <yyyy>', 'one counting year (CST)')
    .option('--from <time>', 'start (epoch ms or ISO-8601; a bare date is 00:00 CST)')
    .option('--to <time>', 'end, exclusive')
    .requiredOption('--out <dir>', 'folder to write the files into')
    .action(
      ctx.run(async (o: { year?: string; from?: string; to?: string; out: string }, cmd: Command) =>
        ctx.withStore(cmd, async (store, config) => {
          const pack = loadRulePack(config.rulePack)
          const plan = countingPlan(pack)
          const range = rangeOf(o, plan.utcOffsetMinutes, ctx.parseTime)
          const signer = loadOrCreateSigningKey(config.signing.privateKeyPath)
          const parts = cliIncidents(store, config)
          await parts.logs.pump()
          const { files } = await writeAuditExport(o.out, {
            store,
            pack,
            plan,
            ciio: config.processor.ciio,
            signer,
            table: parts.table,
            range,
            nowMs: Date.now(),
            liveLogs: parts.logs.verify(),
          })
          ctx.print({ out: o.out, range, keyId: signer.keyId, files })
        }),
      ),
    )
  program
    .command('verify <path>')
    .description('verify an audit export (folder or JSON bundle): signature, file hashes, chains; exit 1 naming what fails')
    .option('--key <pem>', 'the public key (SPKI PEM file) the export must be signed with')
    .action(
      ctx.run(async (path: string, o: { key?: string }) => {
        const publicKeyPem = o.key === undefined ? undefined : readFileSync(o.key, 'utf8')
        const v = verifyAuditPath(path, { publicKeyPem })
        ctx.print(v)
        if (!v.ok) {
          for (const p of v.problems) ctx.err(`${p.file}: ${p.reason}\n`)
          process.exitCode = 1
        }
      }),
    )
}
