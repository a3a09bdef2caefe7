import { describe, expect, it } from 'vitest'
import { generateSecret, hashSecret, verifySecret } from './credentials.ts'

const cheap = { N: 1024, r: 8, p: 1 }

describe('vehicle credentials', () => {
  it('verifies the right secret and refuses others', async () => {
    const secret = generateSecret()
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/)
    const stored = await hashSecret(secret, cheap)
    expect(stored.startsWith('scrypt$1024$8$1$')).toBe(true)
    expect(stored).not.toContain(secret)
    expect(await verifySecret(secret, stored)).toBe(true)
    expect(await verifySecret(Buffer.from(secret), stored)).toBe(true)
    expect(await verifySecret(secret + 'x', stored)).toBe(false)
    expect(await verifySecret('', stored)).toBe(false)
  })

  it('salts: two hashes of one secret differ', async () => {
    const secret = generateSecret()
    expect(await hashSecret(secret, cheap)).not.toBe(await hashSecret(secret, cheap))
  })

  it('treats a malformed stored hash as no match', async () => {
    for (const bad of ['', 'plain', 'scrypt$1$1$1$a$b', 'bcrypt$1024$8$1$AA$AA', 'scrypt$99999999$8$1$AA$AA']) {
      expect(await verifySecret('x', bad)).toBe(false)
    }
  })
})
