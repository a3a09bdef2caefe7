/**
 * Vehicle credentials: a random secret provisioned once, stored only as an scrypt hash
 * (`scrypt$N$r$p$salt$hash`, base64url). Verification runs on libuv's thread pool
 * (async scrypt) so a burst of reconnecting vehicles never stalls the event loop, and compares
 * in constant time.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto'

/** scrypt cost parameters (N = 2^14, r = 8, p = 1: ~16 MiB, tens of ms per check). */
export interface ScryptParams {
  N: number
  r: number
  p: number
}

/** Default cost: OWASP's minimum for scrypt. */
export const defaultScryptParams: ScryptParams = { N: 16_384, r: 8, p: 1 }

const KEY_LENGTH = 32

function scryptAsync(password: string | Uint8Array, salt: Uint8Array, params: ScryptParams): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, KEY_LENGTH, { ...params, maxmem: 256 * params.N * params.r }, (err, key) =>
      err ? reject(err) : resolve(key),
    )
  })
}

/**
 * A fresh vehicle secret: 32 random bytes, base64url (43 characters).
 * @example const secret = generateSecret() // show once, store hashSecret(secret)
 */
export function generateSecret(): string {
  return randomBytes(32).toString('base64url')
}

/**
 * Hashes a secret for storage.
 * @example const stored = await hashSecret(secret) // 'scrypt$16384$8$1$…$…'
 */
export async function hashSecret(secret: string, params: ScryptParams = defaultScryptParams): Promise<string> {
  const salt = randomBytes(16)
  const key = await scryptAsync(secret, salt, params)
  return ['scrypt', params.N, params.r, params.p, salt.toString('base64url'), key.toString('base64url')].join('$')
}

/**
 * True when `secret` matches a stored hash. Never throws: a malformed hash verifies nothing.
 * @example if (!(await verifySecret(password, row.secretHash))) refuse()
 */
export async function verifySecret(secret: string | Uint8Array, stored: string): Promise<boolean> {
  const parts = stored.split('$')
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false
  const [N, r, p] = parts.slice(1, 4).map(Number)
  if (!N || !r || !p || N > 1 << 20 || r > 32 || p > 16) return false
  const salt = Buffer.from(parts[4]!, 'base64url')
  const expected = Buffer.from(parts[5]!, 'base64url')
  if (expected.length !== KEY_LENGTH) return false
  try {
    const key = await scryptAsync(secret, salt, { N, r, p })
    return timingSafeEqual(key, expected)
  } catch {
    return false
  }
}
