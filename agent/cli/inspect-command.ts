/**
 * `adx inspect [--to domestic|abroad] [--policy FILE] FILE|-`: inspect one payload and print
 * the verdict JSON with the sanitised payload. Exit 0 = may go; 3 = held by policy;
 * 4 = held because it could not be inspected (fail closed); 1 = error; 2 = usage.
 */
import { randomBytes } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { type Command, InvalidArgumentError, Option } from 'commander'
import { AdxError } from '../../shared/errors.ts'
import { jsonOptions, wire } from '../../shared/wire/index.ts'
import { failClosedReasons } from '../inspect/reasons.ts'
import { parseInspectPolicy, type InspectPolicy } from '../inspect/policy.ts'
import { exitCodes, verdictToJson, type Verdict } from '../inspect/verdict.ts'
import { loadInspector } from '../load-inspector.ts'
import { parsePseudonymKey } from './key.ts'

interface InspectOptions {
  to: 'domestic' | 'abroad'
  destination: string
  recipient: string
  purposes?: string[]
  policy?: string
  pack?: string
  overlay?: string
  keyFile?: string
  locationDecimals?: number
  output?: string
  payload: boolean
}

function readInput(file: string): Uint8Array | string {
  const bytes = file === '-' ? readFileSync(0) : readFileSync(file)
  // proto3 JSON starts with "{" after optional whitespace; anything else is protobuf.
  const first = bytes.find((b) => b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09)
  return first === 0x7b ? bytes.toString('utf8') : new Uint8Array(bytes)
}

function readPolicy(file: string): InspectPolicy {
  let raw: unknown
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'))
  } catch (e) {
    throw new AdxError('ADX_ERR_POLICY_INVALID', `${file}: ${(e as Error).message}`)
  }
  const parsed = parseInspectPolicy(raw)
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    throw new AdxError('ADX_ERR_POLICY_INVALID', `${file}: ${problems.join('; ')}`, problems)
  }
  return parsed.data
}

function readKey(file?: string): { key: Uint8Array; ephemeral: boolean } {
  if (file) return { key: parsePseudonymKey(readFileSync(file, 'utf8')), ephemeral: false }
  const env = process.env.ADX_PSEUDONYM_KEY
  if (env) return { key: parsePseudonymKey(env), ephemeral: false }
  return { key: new Uint8Array(randomBytes(32)), ephemeral: true }
}

/** Exit code for a verdict. */
export function exitCodeOf(v: Verdict): number {
  if (v.decision === 'send') return exitCodes.send
  return v.reasons.some((r) => failClosedReasons.has(r.code)) ? exitCodes.heldFailClosed : exitCodes.heldByPolicy
}

function int(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0 || n > 6) throw new InvalidArgumentError('must be an integer from 0 to 6')
  return n
}

/** Register `adx inspect` on a commander program. */
export function registerInspectCommand(program: Command): void {
  program
    .command('inspect')
    .description('inspect one outbound payload (proto3 JSON or protobuf) and print the verdict')
    .argument('<file>', 'payload file, or - for standard input')
    .addOption(new Option('--to <region>', 'destination region').choices(['domestic', 'abroad']).default('abroad'))
    .option('--destination <name>', 'destination name', 'cli')
    .option('--recipient <id>', 'authenticated recipient identity', 'unknown-recipient')
    .option('--purposes <list...>', 'purposes the destination accepts (default: any)')
    .option('--policy <file>', 'policy JSON: filings, heldCategories, ciio, lease, nowMs (default: nothing on file)')
    .option('--pack <file>', 'rule pack YAML (default: the shipped pack)')
    .option('--overlay <file>', 'VSS overlay YAML (default: the shipped overlay)')
    .option('--key-file <file>', 'pseudonym key, hex or base64 (default: $ADX_PSEUDONYM_KEY, else a random key for this run)')
    .option('--location-decimals <n>', 'decimal places coordinates keep abroad', int)
    .option('--output <file>', 'write the sanitised payload (protobuf) here when it may go')
    .option('--no-payload', 'leave the sanitised payload out of the printed verdict')
    .addHelpText(
      'after',
      `
Exit codes:
  0  the payload may go (the printed "payload" is what goes)
  3  held by policy (a filing, exemption reference, lease or purpose is missing)
  4  held because it could not be inspected (undecodable, oversized, too deep, unclassified)
  1  error (unreadable file, invalid rule pack or policy)
  2  usage error

The verdict JSON is documented in docs/verdict.md.`,
    )
    .action((file: string, opts: InspectOptions) => {
      const { key, ephemeral } = readKey(opts.keyFile)
      if (ephemeral) process.stderr.write('adx inspect: no pseudonym key given; using a random key for this run\n')
      const loadOpts: Parameters<typeof loadInspector>[0] = { pseudonymKey: key }
      if (opts.pack) loadOpts.packPath = opts.pack
      if (opts.overlay) loadOpts.overlayPath = opts.overlay
      if (opts.locationDecimals !== undefined) loadOpts.locationDecimals = opts.locationDecimals
      const inspector = loadInspector(loadOpts)
      const policy = opts.policy ? readPolicy(opts.policy) : undefined
      const destination = {
        name: opts.destination,
        region: opts.to,
        recipient: opts.recipient,
        ...(opts.purposes ? { purposes: opts.purposes } : {}),
      }
      const verdict = inspector.inspect(readInput(file), destination, policy)
      const json: Record<string, unknown> = verdictToJson(verdict)
      if (verdict.output && opts.payload)
        json.payload = wire.OutboundPayload.toObject(wire.OutboundPayload.decode(verdict.output), jsonOptions)
      if (verdict.output && opts.output) writeFileSync(opts.output, verdict.output)
      process.stdout.write(`${JSON.stringify(json, null, 2)}\n`)
      process.exitCode = exitCodeOf(verdict)
    })
}
