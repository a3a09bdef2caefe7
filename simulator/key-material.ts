/**
 * Real key material for planting in simulated payloads and tests: keys from node:crypto
 * (RSA, EC, Ed25519) and X.509 certificates from the openssl CLI, with every encoding the
 * agent claims to handle. Nothing here is a real vehicle's key.
 */
import { execFileSync } from 'node:child_process'
import { generateKeyPairSync, type KeyObject } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface KeyMaterial {
  label: string
  /** DER bytes (what must never appear raw, in base64 or in hex). */
  der: Buffer
  pem: string
  /** JWK JSON text, for keys. */
  jwk?: string
}

function fromKey(label: string, key: KeyObject, type: 'pkcs8' | 'spki'): KeyMaterial {
  const der = key.export({ format: 'der', type }) as Buffer
  const pem = key.export({ format: 'pem', type }) as string
  const jwk = JSON.stringify(key.export({ format: 'jwk' }))
  return { label, der, pem, jwk }
}

/** Fresh private and public keys of each algorithm. */
export function generateKeys(): KeyMaterial[] {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const ed = generateKeyPairSync('ed25519')
  return [
    fromKey('rsa-private', rsa.privateKey, 'pkcs8'),
    fromKey('rsa-public', rsa.publicKey, 'spki'),
    fromKey('ec-private', ec.privateKey, 'pkcs8'),
    fromKey('ec-public', ec.publicKey, 'spki'),
    fromKey('ed25519-private', ed.privateKey, 'pkcs8'),
    fromKey('ed25519-public', ed.publicKey, 'spki'),
    {
      label: 'ec-private-sec1',
      der: ec.privateKey.export({ format: 'der', type: 'sec1' }) as Buffer,
      pem: ec.privateKey.export({ format: 'pem', type: 'sec1' }) as string,
    },
    {
      label: 'rsa-private-pkcs1',
      der: rsa.privateKey.export({ format: 'der', type: 'pkcs1' }) as Buffer,
      pem: rsa.privateKey.export({ format: 'pem', type: 'pkcs1' }) as string,
    },
  ]
}

/** True when the openssl CLI is on PATH. */
export function haveOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

/** A self-signed X.509 certificate (EC P-256) made by openssl, or undefined without openssl. */
export function generateCertificate(cn = 'adx-test-vehicle'): KeyMaterial | undefined {
  if (!haveOpenssl()) return undefined
  const dir = mkdtempSync(join(tmpdir(), 'adx-cert-'))
  try {
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'k.pem'),
        '-out', join(dir, 'c.pem'), '-subj', `/CN=${cn}`, '-days', '1'],
      { stdio: 'ignore' },
    )
    const pem = readFileSync(join(dir, 'c.pem'), 'utf8')
    const b64 = pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '')
    return { label: 'x509-certificate', der: Buffer.from(b64, 'base64'), pem }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** The forms in which a planted secret must not appear in output (raw DER is checked on bytes). */
export function forbiddenForms(k: KeyMaterial): string[] {
  const core = k.der.subarray(Math.max(0, Math.floor(k.der.length / 2) - 12), Math.floor(k.der.length / 2) + 12)
  return [
    k.der.toString('base64'),
    k.der.toString('base64url'),
    k.der.toString('hex'),
    k.der.toString('hex').toUpperCase(),
    // A 24-byte window from the middle catches partial leaks too.
    core.toString('hex'),
    core.toString('base64').slice(4, 28),
  ]
}
