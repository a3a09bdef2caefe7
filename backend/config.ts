/**
 * Backend configuration: a YAML file validated by a zod schema, every setting with a default, and
 * every problem reported at once naming its field (`broker.port: …`). Relative paths are
 * resolved against the config file's folder. All settings take effect at start.
 */
import { readFileSync } from 'node:fs'
import { dirname, isAbsolute, resolve } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { z } from 'zod'
import { AdxError } from '../shared/errors.ts'
import { incidentSettingsSchema } from './incidents/grades.ts'
import { defaultIngestLimits } from './ingest/validate.ts'

const port = z.number().int().min(0).max(65535)
const positive = z.number().int().positive()

const account = z
  .strictObject({
    id: z.string().min(1).max(128),
    role: z.enum(['viewer', 'officer', 'admin']),
    /** SHA-256 (hex) of the bearer token. Preferred: the token itself is then nowhere on disk. */
    tokenSha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits').optional(),
    /** The bearer token in clear (development only). */
    token: z.string().min(16, 'must be at least 16 characters').optional(),
    /** An account abroad: what it reads counts as an export to it. */
    overseas: z.boolean().default(false),
  })
  .refine((a) => (a.tokenSha256 === undefined) !== (a.token === undefined), { message: 'give exactly one of token or tokenSha256' })

const limits = z.strictObject({
  maxMessageBytes: positive.default(defaultIngestLimits.maxMessageBytes),
  maxRecordsPerMessage: positive.default(defaultIngestLimits.maxRecordsPerMessage),
  maxSubjectsPerRecord: positive.default(defaultIngestLimits.maxSubjectsPerRecord),
  maxCategoriesPerRecord: positive.default(defaultIngestLimits.maxCategoriesPerRecord),
  maxIdLength: positive.default(defaultIngestLimits.maxIdLength),
  maxClockSkewMs: z.number().int().min(0).default(defaultIngestLimits.maxClockSkewMs),
  maxCameraKmPerRecord: z.number().positive().default(defaultIngestLimits.maxCameraKmPerRecord),
  maxCameraHoursPerRecord: z.number().positive().default(defaultIngestLimits.maxCameraHoursPerRecord),
})

/** The configuration schema (exported for docs and tests). */
export const configSchema = z.strictObject({
  /** Folder of the SQLite file and the generated signing key. */
  dataDir: z.string().min(1).default('.adx/backend'),
  /** Rule pack file; the shipped cn-2026.yaml when absent. */
  rulePack: z.string().min(1).optional(),
  processor: z.strictObject({ ciio: z.boolean().default(false) }).default({ ciio: false }),
  store: z
    .strictObject({
      kind: z.literal('sqlite').default('sqlite'),
      /** SQLite file; `<dataDir>/backend.sqlite` when absent. */
      path: z.string().min(1).optional(),
      /** Longer than the 10 s after which a lock left by a dead process is cleared. */
      busyTimeoutMs: positive.default(15_000),
    })
    .default({ kind: 'sqlite', busyTimeoutMs: 15_000 }),
  broker: z
    .discriminatedUnion('mode', [
      z.strictObject({
        mode: z.literal('embedded'),
        host: z.string().min(1).default('127.0.0.1'),
        port: port.default(1883),
        /** Largest MQTT packet (remaining length) accepted. */
        maxPacketBytes: positive.default(2 * 1024 * 1024),
      }),
      z.strictObject({
        mode: z.literal('external'),
        url: z.string().regex(/^(mqtts?|wss?):\/\//, 'must be an mqtt://, mqtts://, ws:// or wss:// URL'),
        username: z.string().optional(),
        password: z.string().optional(),
        clientId: z.string().min(1).default('adx-backend'),
        sharedGroup: z.string().regex(/^[A-Za-z0-9_-]+$/).optional(),
      }),
    ])
    .default({ mode: 'embedded', host: '127.0.0.1', port: 1883, maxPacketBytes: 2 * 1024 * 1024 }),
  http: z.strictObject({ host: z.string().min(1).default('127.0.0.1'), port: port.default(8080) }).default({ host: '127.0.0.1', port: 8080 }),
  api: z.strictObject({ accounts: z.array(account).default([]) }).default({ accounts: [] }),
  ingest: z
    .strictObject({
      limits: limits.default(limits.parse({})),
      batch: z
        .strictObject({
          maxRecords: positive.default(20_000),
          // Bytes of encoded records per batch (~0.7 KB a record): what one batch holds in memory.
          maxBytes: positive.default(16 * 2 ** 20),
          maxDelayMs: z.number().int().min(0).default(5),
          highWaterRecords: positive.default(100_000),
        })
        .default({ maxRecords: 20_000, maxBytes: 16 * 2 ** 20, maxDelayMs: 5, highWaterRecords: 100_000 }),
    })
    .default({ limits: limits.parse({}), batch: { maxRecords: 20_000, maxBytes: 16 * 2 ** 20, maxDelayMs: 5, highWaterRecords: 100_000 } }),
  policy: z
    .strictObject({
      lease: z
        .strictObject({
          persons: z.number().int().min(0).default(100),
          sensitivePersons: z.number().int().min(0).default(10),
          ttlMs: positive.default(3_600_000),
          reportGraceMs: z.number().int().min(0).default(3_600_000),
          renewBeforeMs: z.number().int().min(0).default(600_000),
        })
        .default({ persons: 100, sensitivePersons: 10, ttlMs: 3_600_000, reportGraceMs: 3_600_000, renewBeforeMs: 600_000 }),
      /** Sums (camera km/hours) without a filing are held at this fraction of their limit. */
      sumHoldFraction: z.number().gt(0).max(1).default(0.95),
      /** Re-evaluate counts, filings and revocations this often. */
      reevaluateIntervalMs: positive.default(30_000),
    })
    .default({
      lease: { persons: 100, sensitivePersons: 10, ttlMs: 3_600_000, reportGraceMs: 3_600_000, renewBeforeMs: 600_000 },
      sumHoldFraction: 0.95,
      reevaluateIntervalMs: 30_000,
    }),
  signing: z
    .strictObject({
      /** Ed25519 private key (PKCS#8 PEM); `<dataDir>/policy-signing-key.pem`, generated when absent. */
      privateKeyPath: z.string().min(1).optional(),
    })
    .default({}),
  /** Incident grades, reporting deadlines, offline-with-held-data time, log retention. */
  incidents: incidentSettingsSchema.default({ grades: {}, reportWithinMinutes: {}, offlineHeldAfterMs: 24 * 3_600_000 }),
  log: z
    .strictObject({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') })
    .default({ level: 'info' }),
})

/** A validated configuration with paths resolved. */
export type BackendConfig = z.infer<typeof configSchema> & {
  store: { path: string }
  signing: { privateKeyPath: string }
}
/** A configuration as written (everything optional). */
export type BackendConfigInput = z.input<typeof configSchema>

/**
 * Validates a configuration object; relative paths are resolved against baseDir.
 * @throws AdxError ADX_ERR_CONFIG_INVALID listing every problem, each naming its field.
 * @example const config = parseConfig({ http: { port: 0 } }, process.cwd())
 */
export function parseConfig(input: unknown, baseDir: string): BackendConfig {
  const result = configSchema.safeParse(input ?? {})
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`)
    throw new AdxError('ADX_ERR_CONFIG_INVALID', problems.join('; '), problems)
  }
  const c = result.data
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p))
  const dataDir = abs(c.dataDir)
  return {
    ...c,
    dataDir,
    rulePack: c.rulePack === undefined ? undefined : abs(c.rulePack),
    store: { ...c.store, path: abs(c.store.path ?? resolve(dataDir, 'backend.sqlite')) },
    signing: { privateKeyPath: abs(c.signing.privateKeyPath ?? resolve(dataDir, 'policy-signing-key.pem')) },
  }
}

/**
 * Reads and validates a YAML configuration file (all defaults when path is undefined).
 * @example const config = loadConfig('/etc/adx/backend.yaml')
 */
export function loadConfig(path?: string): BackendConfig {
  if (path === undefined) return parseConfig({}, process.cwd())
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (e) {
    throw new AdxError('ADX_ERR_CONFIG_INVALID', `${path}: ${(e as Error).message}`, [], { cause: e })
  }
  let doc: unknown
  try {
    doc = parseYaml(text)
  } catch (e) {
    throw new AdxError('ADX_ERR_CONFIG_INVALID', `${path}: not valid YAML: ${(e as Error).message}`, [], { cause: e })
  }
  return parseConfig(doc, dirname(resolve(path)))
}
