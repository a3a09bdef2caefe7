/**
 * The agent's settings: a YAML file (`adx agent --config agent.yaml`) validated by a zod schema,
 * with `ADX_*` environment overrides applied first. Every problem names its field and what is
 * wrong, and all of them are reported at once (ADX_ERR_AGENT_CONFIG). Secrets may be given
 * inline or as files (`…File`); files are read here so the rest of the daemon sees values only.
 * All settings need a restart to take effect.
 */
import { readFileSync } from 'node:fs'
import { dirname, isAbsolute, resolve } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { z } from 'zod'
import { AdxError } from '../../shared/errors.ts'
import { parsePseudonymKey } from '../cli/key.ts'
import { isVehicleId } from '../../shared/topics.ts'

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost'])
const FINGERPRINT = /^(?:[0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}$|^[0-9A-Fa-f]{64}$/

const loopbackHost = z
  .string()
  .default('127.0.0.1')
  .refine((h) => LOOPBACK.has(h), { message: 'must be a loopback address (127.0.0.1, ::1 or localhost); ingress never listens on the network' })
const port = z.number().int().min(0).max(65535)

/** One destination of the agent (validated; defaults filled). */
export const destinationSchema = z
  .strictObject({
    name: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1–64 letters, digits, ".", "_" or "-"'),
    region: z.enum(['domestic', 'abroad']),
    /** Authenticated identity of the recipient (e.g. the pinned certificate's subject). */
    recipient: z.string().min(1),
    transport: z.enum(['https', 'mqtt']),
    url: z.string().url(),
    /** MQTT topic to publish to (mqtt transport). Default `adx/v1/inbound/<vehicle id>`. */
    topic: z.string().min(1).optional(),
    /** MQTT protocol version (mqtt transport): 5 adds the payload id as a user property. */
    mqttVersion: z.union([z.literal(4), z.literal(5)]).default(4),
    /** SHA-256 of the server certificate (DER), hex with or without colons. */
    pinSha256: z.string().regex(FINGERPRINT, 'must be a SHA-256 fingerprint: 64 hex digits, optionally colon-separated').optional(),
    /** CA bundle (PEM file) to verify the server with instead of, or besides, the pin. */
    caFile: z.string().min(1).optional(),
    /** Purposes this destination accepts; empty = any. */
    purposes: z.array(z.string().min(1)).default([]),
    /** Delivery attempt timeout. */
    timeoutMs: z.number().int().min(100).default(15_000),
    /**
     * A gateway's vehicles delivered at once (each vehicle's payloads still one at a time, in
     * order). A single-vehicle agent delivers one at a time whatever this says.
     */
    maxInFlight: z.number().int().min(1).max(64).default(8),
  })
  .superRefine((d, ctx) => {
    const scheme = d.url.split(':')[0]
    const ok = d.transport === 'https' ? ['https', 'http'] : ['mqtts', 'mqtt', 'tls', 'ssl', 'tcp']
    if (!ok.includes(scheme ?? '')) ctx.addIssue({ code: 'custom', path: ['url'], message: `scheme "${scheme}" does not match transport ${d.transport}` })
    const plain = scheme === 'http' || scheme === 'mqtt' || scheme === 'tcp'
    if (d.region === 'abroad' && plain)
      ctx.addIssue({ code: 'custom', path: ['url'], message: 'an abroad destination must use TLS (https or mqtts): data abroad is encrypted in transit' })
    if (d.region === 'abroad' && !d.pinSha256 && !d.caFile)
      ctx.addIssue({ code: 'custom', path: ['pinSha256'], message: 'an abroad destination needs pinSha256 or caFile to authenticate the recipient' })
  })

const backendSchema = z
  .strictObject({
    url: z.string().url().refine((u) => /^(mqtts?|tls|ssl|tcp|wss?):/.test(u), 'must be an MQTT URL (mqtt://, mqtts://, ws://, wss://)'),
    /** MQTT username; default the vehicle id. */
    username: z.string().min(1).optional(),
    password: z.string().min(1).optional(),
    passwordFile: z.string().min(1).optional(),
    /** Client certificate and key (PEM files) for mutual TLS instead of, or besides, a password. */
    clientCertFile: z.string().min(1).optional(),
    clientKeyFile: z.string().min(1).optional(),
    caFile: z.string().min(1).optional(),
    pinSha256: z.string().regex(FINGERPRINT, 'must be a SHA-256 fingerprint: 64 hex digits, optionally colon-separated').optional(),
    /** Ed25519 public key (SPKI PEM) that signs fleet policy. */
    policyPublicKey: z.string().min(1).optional(),
    policyPublicKeyFile: z.string().min(1).optional(),
    /** Records per ExportRecordBatch message. */
    batchSize: z.number().int().min(1).max(10_000).default(200),
  })
  .superRefine((b, ctx) => {
    if (!b.password && !b.passwordFile && !b.clientCertFile)
      ctx.addIssue({ code: 'custom', path: ['password'], message: 'give password, passwordFile or clientCertFile (the vehicle must authenticate)' })
    if (!!b.clientCertFile !== !!b.clientKeyFile)
      ctx.addIssue({ code: 'custom', path: [b.clientCertFile ? 'clientKeyFile' : 'clientCertFile'], message: 'clientCertFile and clientKeyFile go together' })
    if (!b.policyPublicKey && !b.policyPublicKeyFile)
      ctx.addIssue({ code: 'custom', path: ['policyPublicKey'], message: 'required (policyPublicKey or policyPublicKeyFile): fleet policy is used only after its signature is verified' })
  })

/** The file format (what the YAML holds). */
export const agentConfigFileSchema = z
  .strictObject({
    vehicle: z.strictObject({
      id: z.string().refine(isVehicleId, 'must be 1–128 letters, digits or ":._-" (the id the backend provisioned)'),
    }),
    /**
     * Run as a gateway: `vehicle.id` is then the gateway's id (provisioned with `adx gateways add`)
     * and these are the vehicles it serves over its one backend connection (enrolled with
     * `adx gateways enrol`). Each submission names its vehicle (library API).
     */
    gateway: z
      .strictObject({
        vehicles: z.array(z.string().refine(isVehicleId, 'must be 1–128 letters, digits or ":._-" (a provisioned vehicle id)')).min(1).max(1_000_000),
      })
      .optional(),
    backend: backendSchema,
    pseudonymKey: z.string().min(1).optional(),
    pseudonymKeyFile: z.string().min(1).optional(),
    /** Directory for the outbox and the agent's state (both SQLite files). */
    dataDir: z.string().min(1),
    outbox: z
      .strictObject({
        maxBytes: z.number().int().min(1024).default(64 * 1024 * 1024),
        maxItems: z.number().int().min(10).default(100_000),
        whenFull: z.enum(['refuse', 'evict-low-priority']).default('refuse'),
      })
      .prefault({}),
    ingress: z
      .strictObject({
        http: z.strictObject({ host: loopbackHost, port, maxBodyBytes: z.number().int().min(1024).default(4 * 1024 * 1024) }).optional(),
        mqtt: z.strictObject({ host: loopbackHost, port }).optional(),
      })
      .refine((i) => i.http || i.mqtt, 'enable at least one of http or mqtt (or use the library API only with http omitted deliberately: set http)'),
    destinations: z.array(destinationSchema).min(1, 'configure at least one destination'),
    audit: z
      .strictObject({
        dir: z.string().min(1).optional(),
        maxFileBytes: z.number().int().min(4096).default(8 * 1024 * 1024),
      })
      .prefault({}),
    heartbeatSeconds: z.number().int().min(1).max(86_400).default(60),
    rulePackFile: z.string().min(1).optional(),
    vssOverlayFile: z.string().min(1).optional(),
    log: z.strictObject({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') }).prefault({}),
  })
  .superRefine((c, ctx) => {
    if (!c.pseudonymKey && !c.pseudonymKeyFile) ctx.addIssue({ code: 'custom', path: ['pseudonymKey'], message: 'required (pseudonymKey or pseudonymKeyFile, or ADX_PSEUDONYM_KEY)' })
    const seen = new Set<string>()
    c.destinations.forEach((d, i) => {
      if (seen.has(d.name)) ctx.addIssue({ code: 'custom', path: ['destinations', i, 'name'], message: `duplicate destination name "${d.name}"` })
      seen.add(d.name)
    })
  })

export type AgentConfigFile = z.infer<typeof agentConfigFileSchema>
export type DestinationConfig = z.infer<typeof destinationSchema>

/** The resolved configuration the daemon runs on: secrets read, paths absolute. */
export interface AgentConfig extends Omit<AgentConfigFile, 'pseudonymKey' | 'pseudonymKeyFile' | 'backend' | 'audit'> {
  pseudonymKey: Uint8Array
  backend: Omit<AgentConfigFile['backend'], 'password' | 'passwordFile' | 'policyPublicKeyFile' | 'policyPublicKey' | 'username'> & {
    username: string
    password?: string
    policyPublicKeyPem: string
  }
  audit: { dir: string; maxFileBytes: number }
  outboxPath: string
  statePath: string
}

/** Environment variables that override a field (applied before validation). */
export const envOverrides: Record<string, { path: string[]; type: 'string' | 'number' }> = {
  ADX_VEHICLE_ID: { path: ['vehicle', 'id'], type: 'string' },
  ADX_BACKEND_URL: { path: ['backend', 'url'], type: 'string' },
  ADX_BACKEND_USERNAME: { path: ['backend', 'username'], type: 'string' },
  ADX_BACKEND_PASSWORD: { path: ['backend', 'password'], type: 'string' },
  ADX_POLICY_PUBLIC_KEY: { path: ['backend', 'policyPublicKey'], type: 'string' },
  ADX_PSEUDONYM_KEY: { path: ['pseudonymKey'], type: 'string' },
  ADX_DATA_DIR: { path: ['dataDir'], type: 'string' },
  ADX_INGRESS_HTTP_PORT: { path: ['ingress', 'http', 'port'], type: 'number' },
  ADX_LOG_LEVEL: { path: ['log', 'level'], type: 'string' },
}

function setPath(obj: Record<string, unknown>, path: string[], value: unknown): void {
  let o = obj
  for (const k of path.slice(0, -1)) {
    if (typeof o[k] !== 'object' || o[k] === null) o[k] = {}
    o = o[k] as Record<string, unknown>
  }
  o[path[path.length - 1]!] = value
}

function fieldName(path: readonly PropertyKey[]): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '') || '(root)'
}

/**
 * Validate a raw settings object (from YAML) with env overrides; read the secret files.
 * @param baseDir relative paths in the file are resolved against it (the config file's dir).
 * @throws AdxError ADX_ERR_AGENT_CONFIG whose `details` list every problem as "field: what is wrong".
 * @example const cfg = resolveAgentConfig(parseYaml(text), process.env, '/etc/adx')
 */
export function resolveAgentConfig(raw: unknown, env: NodeJS.ProcessEnv = {}, baseDir = process.cwd()): AgentConfig {
  const obj = (raw && typeof raw === 'object' && !Array.isArray(raw) ? structuredClone(raw) : {}) as Record<string, unknown>
  const problems: string[] = []
  if (raw !== undefined && raw !== null && (typeof raw !== 'object' || Array.isArray(raw))) problems.push('(root): must be a mapping of settings')
  for (const [name, o] of Object.entries(envOverrides)) {
    const v = env[name]
    if (v === undefined || v === '') continue
    if (o.type === 'number') {
      const n = Number(v)
      if (!Number.isFinite(n)) problems.push(`${o.path.join('.')} (from ${name}): must be a number, got "${v}"`)
      else setPath(obj, o.path, n)
    } else setPath(obj, o.path, v)
  }
  const parsed = agentConfigFileSchema.safeParse(obj)
  if (!parsed.success) {
    for (const i of parsed.error.issues) problems.push(`${fieldName(i.path)}: ${i.message}`)
    // Report a bad inline key together with the schema problems (all errors at once).
    if (typeof obj.pseudonymKey === 'string') {
      try {
        parsePseudonymKey(obj.pseudonymKey)
      } catch (e) {
        problems.push(`pseudonymKey: ${(e as Error).message}`)
      }
    }
  }
  if (!parsed.success || problems.length) fail(problems)
  const c = parsed.data
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p))
  const read = (field: string, p: string): string => {
    try {
      return readFileSync(abs(p), 'utf8')
    } catch (e) {
      problems.push(`${field}: cannot read "${p}": ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`)
      return ''
    }
  }
  let pseudonymKey: Uint8Array = new Uint8Array()
  const keyText = c.pseudonymKey ?? (c.pseudonymKeyFile ? read('pseudonymKeyFile', c.pseudonymKeyFile) : '')
  if (keyText) {
    try {
      pseudonymKey = parsePseudonymKey(keyText)
    } catch (e) {
      problems.push(`${c.pseudonymKey ? 'pseudonymKey' : 'pseudonymKeyFile'}: ${(e as Error).message}`)
    }
  }
  const policyPublicKeyPem = c.backend.policyPublicKey ?? (c.backend.policyPublicKeyFile ? read('backend.policyPublicKeyFile', c.backend.policyPublicKeyFile) : '')
  if (policyPublicKeyPem && !policyPublicKeyPem.includes('BEGIN PUBLIC KEY')) problems.push('backend.policyPublicKey: must be an SPKI PEM public key ("-----BEGIN PUBLIC KEY-----")')
  const password = c.backend.password ?? (c.backend.passwordFile ? read('backend.passwordFile', c.backend.passwordFile).trim() : undefined)
  for (const [f, p] of [['backend.caFile', c.backend.caFile], ['backend.clientCertFile', c.backend.clientCertFile], ['backend.clientKeyFile', c.backend.clientKeyFile]] as const)
    if (p) read(f, p)
  c.destinations.forEach((d, i) => {
    if (d.caFile) read(`destinations[${i}].caFile`, d.caFile)
  })
  if (problems.length) fail(problems)
  const { password: _p, passwordFile: _pf, policyPublicKey: _k, policyPublicKeyFile: _kf, username, ...backendRest } = c.backend
  const { pseudonymKey: _pk, pseudonymKeyFile: _pkf, ...rest } = c
  const dataDir = abs(c.dataDir)
  const backend: AgentConfig['backend'] = {
    ...backendRest,
    username: username ?? c.vehicle.id,
    policyPublicKeyPem,
    ...(c.backend.caFile ? { caFile: abs(c.backend.caFile) } : {}),
    ...(c.backend.clientCertFile ? { clientCertFile: abs(c.backend.clientCertFile) } : {}),
    ...(c.backend.clientKeyFile ? { clientKeyFile: abs(c.backend.clientKeyFile) } : {}),
  }
  if (password !== undefined) backend.password = password
  return {
    ...rest,
    dataDir,
    destinations: c.destinations.map((d) => (d.caFile ? { ...d, caFile: abs(d.caFile) } : d)),
    ...(c.rulePackFile ? { rulePackFile: abs(c.rulePackFile) } : {}),
    ...(c.vssOverlayFile ? { vssOverlayFile: abs(c.vssOverlayFile) } : {}),
    pseudonymKey,
    backend,
    audit: { dir: abs(c.audit.dir ?? resolve(dataDir, 'audit')), maxFileBytes: c.audit.maxFileBytes },
    outboxPath: resolve(dataDir, 'outbox.db'),
    statePath: resolve(dataDir, 'state.db'),
  }
}

function fail(problems: string[]): never {
  throw new AdxError('ADX_ERR_AGENT_CONFIG', `${problems.length} problem${problems.length === 1 ? '' : 's'}: ${problems.join('; ')}`, problems)
}

/**
 * Read and validate a YAML config file with env overrides.
 * @throws AdxError ADX_ERR_AGENT_CONFIG naming every bad field.
 * @example const cfg = loadAgentConfig('/etc/adx/agent.yaml')
 */
export function loadAgentConfig(file: string, env: NodeJS.ProcessEnv = process.env): AgentConfig {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (e) {
    throw new AdxError('ADX_ERR_AGENT_CONFIG', `cannot read "${file}": ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, [`(file): cannot read "${file}"`])
  }
  let raw: unknown
  try {
    raw = parseYaml(text)
  } catch (e) {
    throw new AdxError('ADX_ERR_AGENT_CONFIG', `${file} is not valid YAML: ${(e as Error).message}`, [`(file): not valid YAML: ${(e as Error).message}`])
  }
  return resolveAgentConfig(raw, env, dirname(resolve(file)))
}
