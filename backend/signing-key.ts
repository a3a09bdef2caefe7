/**
 * The backend's Ed25519 policy-signing key on disk: read it, or create it (mode 0600) the first
 * time. Losing it means agents must be given the new public key, so it lives in the data folder
 * next to the counts and should be backed up with them.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { generateSigningKey, keyIdFromPem, publicKeyPemOf } from '../shared/signature.ts'
import type { PolicySigner } from './policy/sign.ts'

/**
 * Loads the signing key at path, generating it when the file does not exist.
 * @throws AdxError ADX_ERR_SIGNATURE_KEY when the file holds no Ed25519 private key.
 * @example const signer = loadOrCreateSigningKey('/var/lib/adx/policy-signing-key.pem')
 */
export function loadOrCreateSigningKey(path: string): PolicySigner & { created: boolean } {
  if (!existsSync(path)) {
    const key = generateSigningKey()
    mkdirSync(dirname(path), { recursive: true })
    writeFileSync(path, key.privateKeyPem, { mode: 0o600, flag: 'wx' })
    return { ...key, created: true }
  }
  const privateKeyPem = readFileSync(path, 'utf8')
  return { privateKeyPem, publicKeyPem: publicKeyPemOf(privateKeyPem), keyId: keyIdFromPem(privateKeyPem), created: false }
}
