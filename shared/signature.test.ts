import { createHash, createPublicKey, generateKeyPairSync } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isAdxError } from './errors.ts'
import { generateSigningKey, keyIdFromPem, publicKeyPemOf, signBytes, verifyBytes } from './signature.ts'

const key = generateSigningKey()
const other = generateSigningKey()
const bytes = new TextEncoder().encode('adx fleet policy v1')

describe('signature', () => {
  it('signs and verifies', () => {
    const sig = signBytes(key.privateKeyPem, bytes)
    expect(sig).toHaveLength(64)
    expect(verifyBytes(key.publicKeyPem, bytes, sig)).toBe(true)
  })

  it('rejects tampered bytes', () => {
    const sig = signBytes(key.privateKeyPem, bytes)
    const tampered = bytes.slice()
    tampered[0] = tampered[0]! ^ 1
    expect(verifyBytes(key.publicKeyPem, tampered, sig)).toBe(false)
    expect(verifyBytes(key.publicKeyPem, bytes.subarray(1), sig)).toBe(false)
  })

  it('rejects a tampered, truncated or empty signature', () => {
    const sig = signBytes(key.privateKeyPem, bytes)
    const bad = sig.slice()
    bad[10] = bad[10]! ^ 0x80
    expect(verifyBytes(key.publicKeyPem, bytes, bad)).toBe(false)
    expect(verifyBytes(key.publicKeyPem, bytes, sig.subarray(0, 63))).toBe(false)
    expect(verifyBytes(key.publicKeyPem, bytes, new Uint8Array(0))).toBe(false)
  })

  it('rejects the wrong key', () => {
    const sig = signBytes(key.privateKeyPem, bytes)
    expect(verifyBytes(other.publicKeyPem, bytes, sig)).toBe(false)
  })

  it('key ids are the first 16 hex of sha256(SPKI DER)', () => {
    const der = createPublicKey(key.publicKeyPem).export({ type: 'spki', format: 'der' })
    expect(key.keyId).toBe(createHash('sha256').update(der).digest('hex').slice(0, 16))
    expect(key.keyId).toMatch(/^[0-9a-f]{16}$/)
    expect(keyIdFromPem(key.publicKeyPem)).toBe(key.keyId)
    expect(keyIdFromPem(key.privateKeyPem)).toBe(key.keyId)
    expect(other.keyId).not.toBe(key.keyId)
    expect(publicKeyPemOf(key.privateKeyPem)).toBe(key.publicKeyPem)
  })

  it('refuses keys that are not Ed25519 with a stable code', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 })
    const rsaPem = rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
    const fail = (fn: () => unknown) => {
      try {
        fn()
      } catch (e) {
        return isAdxError(e, 'ADX_ERR_SIGNATURE_KEY')
      }
      return false
    }
    expect(fail(() => signBytes(rsaPem, bytes))).toBe(true)
    expect(fail(() => signBytes('not a pem', bytes))).toBe(true)
    expect(fail(() => verifyBytes(key.privateKeyPem.replace('PRIVATE', 'PUBLIC'), bytes, new Uint8Array(64)))).toBe(true)
  })

  it('any single-bit change of message or signature fails verification', () => {
    const sig = signBytes(key.privateKeyPem, bytes)
    fc.assert(
      fc.property(fc.boolean(), fc.nat(), fc.integer({ min: 0, max: 7 }), (inSig, pos, bit) => {
        const m = bytes.slice()
        const s = sig.slice()
        const target = inSig ? s : m
        const i = pos % target.length
        target[i] = target[i]! ^ (1 << bit)
        expect(verifyBytes(key.publicKeyPem, m, s)).toBe(false)
      }),
      { numRuns: 200 },
    )
  })
})
