/**
 * Reading the pseudonym key from configuration text: hex (≥ 32 hex digits) or base64
 * (≥ 16 bytes decoded). The key never appears in a payload, verdict or log.
 */
import { AdxError } from '../../shared/errors.ts'

/**
 * Parse key text. @throws AdxError ADX_ERR_PSEUDONYM_KEY when it is shorter than 16 bytes.
 * @example parsePseudonymKey('00112233445566778899aabbccddeeff')
 */
export function parsePseudonymKey(text: string): Uint8Array {
  const t = text.trim()
  let key: Buffer
  if (/^[0-9a-fA-F]+$/.test(t) && t.length % 2 === 0) key = Buffer.from(t, 'hex')
  else if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(t)) key = Buffer.from(t, 'base64')
  else throw new AdxError('ADX_ERR_PSEUDONYM_KEY', 'must be hex or base64')
  if (key.length < 16) throw new AdxError('ADX_ERR_PSEUDONYM_KEY', `must be at least 16 bytes, got ${key.length}`)
  return new Uint8Array(key)
}
