/**
 * Ed25519 signatures (node:crypto) for what the backend hands out and must be able to prove:
 * the signed fleet policy (SignedPolicy) and audit exports. Keys travel as PEM (PKCS#8 for the
 * private key, SPKI for the public key); a key id is the first 16 hex digits of SHA-256 over the
 * SPKI DER, so a verifier can pick the right key without trusting anything else in the message.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign, verify } from 'node:crypto'
import { AdxError } from './errors.ts'

/** An Ed25519 key pair as PEM text, with its key id. */
export interface SigningKey {
  /** PKCS#8 PEM. Keep secret. */
  privateKeyPem: string
  /** SPKI PEM. Hand to verifiers. */
  publicKeyPem: string
  /** First 16 hex digits of sha256(SPKI DER). */
  keyId: string
}

/**
 * Parsed keys by PEM text: parsing a PEM costs more than the Ed25519 operation itself (a backend
 * signing a policy for each of 100,000 vehicles, a gateway verifying them, spent most of its time
 * in createPrivateKey / createPublicKey). A process uses a handful of keys.
 */
const parsed = new Map<string, KeyObject>()

/** Parses a PEM key of the expected type and algorithm, or throws ADX_ERR_SIGNATURE_KEY. */
function parseKey(pem: string, type: 'private' | 'public'): KeyObject {
  const cacheKey = `${type}\u0000${pem}`
  const hit = parsed.get(cacheKey)
  if (hit) return hit
  const key = parseKeyUncached(pem, type)
  if (parsed.size >= 64) parsed.clear()
  parsed.set(cacheKey, key)
  return key
}

function parseKeyUncached(pem: string, type: 'private' | 'public'): KeyObject {
  let key: KeyObject
  try {
    key = type === 'private' ? createPrivateKey(pem) : createPublicKey(pem)
  } catch (e) {
    throw new AdxError('ADX_ERR_SIGNATURE_KEY', `not a ${type} key in PEM: ${(e as Error).message}`, [], { cause: e })
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new AdxError('ADX_ERR_SIGNATURE_KEY', `expected an ed25519 ${type} key, got ${key.asymmetricKeyType ?? 'unknown'}`)
  }
  return key
}

/** Key id of a public key object: first 16 hex of sha256 over its SPKI DER. */
function keyIdOf(publicKey: KeyObject): string {
  const der = publicKey.export({ type: 'spki', format: 'der' })
  return createHash('sha256').update(der).digest('hex').slice(0, 16)
}

/**
 * Generates a fresh Ed25519 key pair.
 * @example const { privateKeyPem, publicKeyPem, keyId } = generateSigningKey()
 */
export function generateSigningKey(): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519')
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    keyId: keyIdOf(publicKey),
  }
}

/**
 * Key id of a public or private key given as PEM (a private key's id is its public key's id).
 * @throws AdxError ADX_ERR_SIGNATURE_KEY when the PEM is not an Ed25519 key.
 */
export function keyIdFromPem(pem: string): string {
  const hit = keyIds.get(pem)
  if (hit) return hit
  const isPrivate = pem.includes('PRIVATE KEY')
  const key = parseKey(pem, isPrivate ? 'private' : 'public')
  const id = keyIdOf(isPrivate ? createPublicKey(key) : key)
  if (keyIds.size >= 64) keyIds.clear()
  keyIds.set(pem, id)
  return id
}

const keyIds = new Map<string, string>()

/**
 * Public key (SPKI PEM) of a private key (PKCS#8 PEM).
 * @throws AdxError ADX_ERR_SIGNATURE_KEY when the PEM is not an Ed25519 private key.
 */
export function publicKeyPemOf(privateKeyPem: string): string {
  return createPublicKey(parseKey(privateKeyPem, 'private')).export({ type: 'spki', format: 'pem' }).toString()
}

/**
 * Signs bytes with an Ed25519 private key; returns the 64-byte signature.
 * @example const sig = signBytes(key.privateKeyPem, bytes)
 * @throws AdxError ADX_ERR_SIGNATURE_KEY when the PEM is not an Ed25519 private key.
 */
export function signBytes(privateKeyPem: string, bytes: Uint8Array): Uint8Array {
  return new Uint8Array(sign(null, bytes, parseKey(privateKeyPem, 'private')))
}

/**
 * Verifies an Ed25519 signature. Returns false for any mismatch (tampered bytes, tampered or
 * truncated signature, wrong key); throws only when the public key itself is unusable.
 * @example if (!verifyBytes(publicKeyPem, bytes, sig)) reject()
 * @throws AdxError ADX_ERR_SIGNATURE_KEY when the PEM is not an Ed25519 public key.
 */
export function verifyBytes(publicKeyPem: string, bytes: Uint8Array, signature: Uint8Array): boolean {
  const key = parseKey(publicKeyPem, 'public')
  if (signature.length !== 64) return false
  try {
    return verify(null, bytes, key, signature)
  } catch {
    return false
  }
}
