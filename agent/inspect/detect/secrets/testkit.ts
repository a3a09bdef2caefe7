/**
 * TEST-ONLY fixtures for the key-material detector tests: real keys generated with
 * node:crypto and real certificates / CSR / CRL / PKCS#12 made with the openssl CLI, all the
 * encodings the product promises to catch, and a leak check for redacted output.
 * Not imported by production code.
 */
import { execFileSync } from 'node:child_process'
import crypto from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { DerKind } from './der.ts'
import type { SecretKind } from './types.ts'

export interface KeySample {
  name: string
  /** Expected SecretKind. */
  kind: SecretKind
  derKind: DerKind
  der: Buffer
  pem: string
}

const OPENSSL = '/usr/bin/openssl'

function pemOf(label: string, der: Buffer): string {
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`
}

function derFromPem(pem: string): Buffer {
  const body = pem.replace(/-----(BEGIN|END) [^-]+-----/g, '').replace(/\s+/g, '')
  return Buffer.from(body, 'base64')
}

function keySamples(): KeySample[] {
  const out: KeySample[] = []
  const add = (name: string, kind: SecretKind, derKind: DerKind, der: Buffer, pem: string) =>
    out.push({ name, kind, derKind, der, pem })
  const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 })
  add('rsa2048 pkcs8', 'private-key', 'pkcs8', rsa.privateKey.export({ format: 'der', type: 'pkcs8' }), rsa.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string)
  add('rsa2048 pkcs1', 'private-key', 'rsa-private', rsa.privateKey.export({ format: 'der', type: 'pkcs1' }), rsa.privateKey.export({ format: 'pem', type: 'pkcs1' }) as string)
  add('rsa2048 spki', 'public-key', 'spki', rsa.publicKey.export({ format: 'der', type: 'spki' }), rsa.publicKey.export({ format: 'pem', type: 'spki' }) as string)
  add('rsa2048 pkcs1 public', 'public-key', 'rsa-public', rsa.publicKey.export({ format: 'der', type: 'pkcs1' }), rsa.publicKey.export({ format: 'pem', type: 'pkcs1' }) as string)
  const rsa1k = crypto.generateKeyPairSync('rsa', { modulusLength: 1024 })
  add('rsa1024 pkcs1', 'private-key', 'rsa-private', rsa1k.privateKey.export({ format: 'der', type: 'pkcs1' }), rsa1k.privateKey.export({ format: 'pem', type: 'pkcs1' }) as string)
  const enc = rsa1k.privateKey.export({ format: 'der', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'pw' })
  add('rsa1024 encrypted pkcs8', 'private-key', 'pkcs8-encrypted', enc, pemOf('ENCRYPTED PRIVATE KEY', enc))
  for (const curve of ['P-256', 'P-384', 'P-521', 'secp256k1']) {
    const ec = crypto.generateKeyPairSync('ec', { namedCurve: curve })
    add(`ec ${curve} pkcs8`, 'private-key', 'pkcs8', ec.privateKey.export({ format: 'der', type: 'pkcs8' }), ec.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string)
    add(`ec ${curve} sec1`, 'private-key', 'ec-private', ec.privateKey.export({ format: 'der', type: 'sec1' }), ec.privateKey.export({ format: 'pem', type: 'sec1' }) as string)
    add(`ec ${curve} spki`, 'public-key', 'spki', ec.publicKey.export({ format: 'der', type: 'spki' }), ec.publicKey.export({ format: 'pem', type: 'spki' }) as string)
  }
  try {
    const sm2 = crypto.generateKeyPairSync('ec', { namedCurve: 'SM2' })
    add('sm2 pkcs8', 'private-key', 'pkcs8', sm2.privateKey.export({ format: 'der', type: 'pkcs8' }), sm2.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string)
  } catch {
    // SM2 not available in this OpenSSL build
  }
  for (const t of ['ed25519', 'x25519', 'ed448', 'x448'] as const) {
    const k = crypto.generateKeyPairSync(t as 'ed25519')
    add(`${t} pkcs8`, 'private-key', 'pkcs8', k.privateKey.export({ format: 'der', type: 'pkcs8' }), k.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string)
    add(`${t} spki`, 'public-key', 'spki', k.publicKey.export({ format: 'der', type: 'spki' }), k.publicKey.export({ format: 'pem', type: 'spki' }) as string)
  }
  return out
}

function opensslSamples(): KeySample[] {
  const dir = mkdtempSync(join(tmpdir(), 'adx-secrets-'))
  const run = (args: string[]) => execFileSync(OPENSSL, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
  const out: KeySample[] = []
  try {
    run(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ec.key', '-out', 'ec.crt', '-subj', '/CN=test', '-days', '1'])
    run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'rsa.key', '-out', 'rsa.crt', '-subj', '/CN=test-rsa/O=ADX', '-days', '1'])
    run(['req', '-x509', '-newkey', 'ed25519', '-nodes', '-keyout', 'ed.key', '-out', 'ed.crt', '-subj', '/CN=test-ed', '-days', '1'])
    run(['req', '-new', '-key', 'ec.key', '-subj', '/CN=csr', '-out', 'ec.csr'])
    writeFileSync(join(dir, 'index.txt'), '')
    writeFileSync(join(dir, 'crlnumber'), '01\n')
    writeFileSync(
      join(dir, 'ca.cnf'),
      '[ ca ]\ndefault_ca = CA_default\n[ CA_default ]\ndatabase = index.txt\ncrlnumber = crlnumber\ndefault_md = sha256\ndefault_crl_days = 1\n',
    )
    run(['ca', '-gencrl', '-keyfile', 'ec.key', '-cert', 'ec.crt', '-out', 'ec.crl', '-config', 'ca.cnf'])
    run(['pkcs12', '-export', '-inkey', 'ec.key', '-in', 'ec.crt', '-passout', 'pass:pw', '-out', 'ec.p12'])
    const read = (f: string) => readFileSync(join(dir, f), 'utf8')
    for (const [name, file] of [['x509 ec P-256', 'ec.crt'], ['x509 rsa 2048', 'rsa.crt'], ['x509 ed25519', 'ed.crt']] as const) {
      const pem = read(file)
      out.push({ name, kind: 'certificate', derKind: 'certificate', der: derFromPem(pem), pem })
    }
    const csr = read('ec.csr')
    out.push({ name: 'csr ec', kind: 'key-material', derKind: 'csr', der: derFromPem(csr), pem: csr })
    const crl = read('ec.crl')
    out.push({ name: 'crl', kind: 'certificate', derKind: 'crl', der: derFromPem(crl), pem: crl })
    const p12 = readFileSync(join(dir, 'ec.p12'))
    out.push({ name: 'pkcs12', kind: 'key-material', derKind: 'pkcs12', der: p12, pem: pemOf('PKCS12', p12) })
    // openssl-written private keys (PKCS#8 PEM)
    const ecKey = read('ec.key')
    out.push({ name: 'openssl ec key', kind: 'private-key', derKind: 'pkcs8', der: derFromPem(ecKey), pem: ecKey })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  return out
}

let cached: KeySample[] | undefined

/** All samples (generated once per test file). */
export function samples(): KeySample[] {
  cached ??= [...keySamples(), ...opensslSamples()]
  return cached
}

/** One sample by name (throws when missing). */
export function sample(name: string): KeySample {
  const s = samples().find((x) => x.name === name)
  if (s === undefined) throw new Error(`no sample ${name}`)
  return s
}

/** The sample's key as a JWK (keys only: certificates, CSR, CRL, PKCS#12, encrypted keys have none). */
export function jwkOf(s: KeySample): Record<string, unknown> | undefined {
  const der = s.der
  try {
    switch (s.derKind) {
      case 'pkcs8':
        return crypto.createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }).export({ format: 'jwk' }) as Record<string, unknown>
      case 'rsa-private':
        return crypto.createPrivateKey({ key: der, format: 'der', type: 'pkcs1' }).export({ format: 'jwk' }) as Record<string, unknown>
      case 'ec-private':
        return crypto.createPrivateKey({ key: der, format: 'der', type: 'sec1' }).export({ format: 'jwk' }) as Record<string, unknown>
      case 'spki':
        return crypto.createPublicKey({ key: der, format: 'der', type: 'spki' }).export({ format: 'jwk' }) as Record<string, unknown>
      case 'rsa-public':
        return crypto.createPublicKey({ key: der, format: 'der', type: 'pkcs1' }).export({ format: 'jwk' }) as Record<string, unknown>
      default:
        return undefined
    }
  } catch {
    return undefined // e.g. curves without a JWK form (SM2)
  }
}

// ---------------------------------------------------------------------------
// Encodings of a sample inside text.

export type TextEncodingName =
  | 'pem-log-line'
  | 'pem-json-escaped'
  | 'pem-crlf-json-escaped'
  | 'pem-double-escaped'
  | 'pem-flattened'
  | 'pem-truncated'
  | 'base64'
  | 'base64-wrapped'
  | 'base64-escaped-newlines'
  | 'base64-key-prefix'
  | 'base64url'
  | 'base64-of-pem'
  | 'hex'
  | 'hex-upper'
  | 'hex-colon'
  | 'hex-space'
  | 'hex-of-base64'
  | 'base64-of-hex'

export const TEXT_ENCODINGS: readonly TextEncodingName[] = [
  'pem-log-line',
  'pem-json-escaped',
  'pem-crlf-json-escaped',
  'pem-double-escaped',
  'pem-flattened',
  'pem-truncated',
  'base64',
  'base64-wrapped',
  'base64-escaped-newlines',
  'base64-key-prefix',
  'base64url',
  'base64-of-pem',
  'hex',
  'hex-upper',
  'hex-colon',
  'hex-space',
  'hex-of-base64',
  'base64-of-hex',
]

/** The sample written in the given encoding (the part that must disappear). */
export function encodeSample(s: KeySample, enc: TextEncodingName): string {
  const b64 = s.der.toString('base64')
  switch (enc) {
    case 'pem-log-line':
      return s.pem
    case 'pem-json-escaped':
      return JSON.stringify(s.pem).slice(1, -1)
    case 'pem-crlf-json-escaped':
      return JSON.stringify(s.pem.replace(/\n/g, '\r\n')).slice(1, -1)
    case 'pem-double-escaped':
      return JSON.stringify(JSON.stringify(s.pem)).slice(3, -3)
    case 'pem-flattened':
      return s.pem.replace(/\n/g, ' ').trim()
    case 'pem-truncated': {
      // BEGIN + first 2/3 of the body, no END (a cut-off log line)
      const lines = s.pem.trim().split('\n')
      return lines.slice(0, Math.max(2, Math.ceil(((lines.length - 1) * 2) / 3))).join('\n')
    }
    case 'base64':
      return b64
    case 'base64-wrapped':
      return b64.replace(/(.{64})/g, '$1\n').replace(/\n$/, '')
    case 'base64-escaped-newlines':
      return b64.replace(/(.{76})/g, '$1\\n').replace(/\\n$/, '')
    case 'base64-key-prefix':
      return `key=${b64}`
    case 'base64url':
      return s.der.toString('base64url')
    case 'base64-of-pem':
      return Buffer.from(s.pem).toString('base64')
    case 'hex':
      return s.der.toString('hex')
    case 'hex-upper':
      return s.der.toString('hex').toUpperCase()
    case 'hex-colon':
      return s.der.toString('hex').match(/../g)!.join(':')
    case 'hex-space':
      return s.der.toString('hex').match(/../g)!.join(' ')
    case 'hex-of-base64':
      return Buffer.from(b64).toString('hex')
    case 'base64-of-hex':
      return Buffer.from(s.der.toString('hex')).toString('base64')
  }
}

// ---------------------------------------------------------------------------
// Leak check.

/** Needles: windows of every form of the secret (raw, base64 std/url, hex lower/upper, PEM body). */
export function needles(der: Uint8Array, extraText: readonly string[] = []): { text: string[]; bytes: Buffer[] } {
  const buf = Buffer.from(der)
  const forms = [
    buf.toString('base64').replace(/=+$/, ''),
    buf.toString('base64url'),
    buf.toString('hex'),
    buf.toString('hex').toUpperCase(),
    ...extraText,
  ]
  const text: string[] = []
  for (const f of forms) text.push(...windows(f, 24, 5))
  const bytes: Buffer[] = []
  const W = Math.min(16, buf.length)
  for (let k = 0; k < 5; k++) {
    const at = Math.floor(((buf.length - W) * k) / 4)
    bytes.push(buf.subarray(at, at + W))
  }
  return { text, bytes }
}

function windows(s: string, w: number, count: number): string[] {
  if (s.length <= w) return [s]
  const out: string[] = []
  for (let k = 0; k < count; k++) {
    const at = Math.floor(((s.length - w) * k) / (count - 1))
    out.push(s.slice(at, at + w))
  }
  return out
}

/** Which needle (if any) survives in the output. */
export function findLeak(output: string | Uint8Array, der: Uint8Array, extraText: readonly string[] = []): string | undefined {
  const n = needles(der, extraText)
  const asText = typeof output === 'string' ? output : Buffer.from(output).toString('latin1')
  const asBytes = typeof output === 'string' ? Buffer.from(output, 'utf8') : Buffer.from(output)
  for (const t of n.text) if (asText.includes(t)) return `text:${t}`
  for (const b of n.bytes) if (asBytes.indexOf(b) >= 0) return `bytes:${b.toString('hex')}`
  return undefined
}

// ---------------------------------------------------------------------------
// Tokens.

/** A signed JWT (ES256 over a real P-256 key, or HS256). */
export function makeJwt(alg: 'ES256' | 'HS256' | 'none' = 'HS256', claims: Record<string, unknown> = { sub: 'vehicle-42', iat: 1714566896 }): string {
  const header = Buffer.from(JSON.stringify({ alg, typ: 'JWT' })).toString('base64url')
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url')
  const input = `${header}.${payload}`
  if (alg === 'none') return `${input}.`
  if (alg === 'HS256') return `${input}.${crypto.createHmac('sha256', 'k3y').update(input).digest('base64url')}`
  const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const sig = crypto.sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' })
  return `${input}.${sig.toString('base64url')}`
}

/** Protobuf-encoded bytes (hand-rolled wire format: varints, strings, nested, fixed). */
export function protobufBytes(seed = 1): Buffer {
  const parts: number[] = []
  const varint = (v: number) => {
    while (v > 0x7f) {
      parts.push((v & 0x7f) | 0x80)
      v = Math.floor(v / 128)
    }
    parts.push(v)
  }
  const str = (field: number, s: Buffer | string) => {
    const b = typeof s === 'string' ? Buffer.from(s) : s
    varint((field << 3) | 2)
    varint(b.length)
    parts.push(...b)
  }
  for (let i = 0; i < 40; i++) {
    varint((6 << 3) | 0) // field 6 varint: tag byte 0x30, the DER SEQUENCE tag
    varint(1714566896000 % (1000 + i * seed))
    str(1, `Vehicle.Speed.${i}`)
    varint((3 << 3) | 1)
    const d = Buffer.alloc(8)
    d.writeDoubleLE(i * 1.5 + seed)
    parts.push(...d)
    str(6, crypto.createHash('sha256').update(`x${i}${seed}`).digest())
  }
  return Buffer.from(parts)
}
