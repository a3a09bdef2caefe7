import { createHmac, randomBytes } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createPseudonymiser, isPseudonym, PSEUDONYM_PATTERN } from './pseudonym.ts'

const KEY = Buffer.from('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', 'hex')
const KINDS = ['vin', 'iccid', 'imsi', 'imei', 'resident-id', 'phone', 'email', 'plate'] as const

describe('createPseudonymiser', () => {
  it('is HMAC-SHA256(key, kind \\0 value) truncated to 80 bits', () => {
    const psn = createPseudonymiser(KEY)
    const mac = createHmac('sha256', KEY).update('vin\0LSVAU218XN2183294').digest('hex')
    expect(psn('vin', 'LSVAU218XN2183294')).toBe(`psn:vin:${mac.slice(0, 20)}`)
  })

  it('is deterministic for a key, across instances', () => {
    const a = createPseudonymiser(KEY)
    const b = createPseudonymiser(Buffer.from(KEY))
    expect(a('phone', '13812345678')).toBe(a('phone', '13812345678'))
    expect(a('phone', '13812345678')).toBe(b('phone', '13812345678'))
  })

  it('gives different pseudonyms for different keys', () => {
    const other = Buffer.from(KEY)
    other[0] = 0xff
    expect(createPseudonymiser(KEY)('phone', '13812345678')).not.toBe(createPseudonymiser(other)('phone', '13812345678'))
  })

  it('gives different pseudonyms for different kinds with the same value', () => {
    const psn = createPseudonymiser(KEY)
    const digits = '460001234567890'
    const tokens = new Set(['imsi', 'imei', 'phone'].map((k) => psn(k, digits).split(':')[2]))
    expect(tokens.size).toBe(3)
  })

  it('separates kind and value unambiguously', () => {
    const psn = createPseudonymiser(KEY)
    expect(psn('a', 'b\0c').split(':')[2]).not.toBe(psn('a', 'bc').split(':')[2])
    expect(psn('ab', 'c').split(':')[2]).not.toBe(psn('a', 'bc').split(':')[2])
  })

  it.each([
    ['vin', 'LSVAU218XN2183294'],
    ['phone', '13812345678'],
    ['email', 'zhang.san@example.com'],
    ['resident-id', '11010519491231002X'],
    ['iccid', '89860012345678901234'],
    ['plate', '京A12345'],
  ])('never contains the raw value (%s)', (kind, value) => {
    const out = createPseudonymiser(KEY)(kind, value)
    expect(out).not.toContain(value)
    expect(out).toMatch(PSEUDONYM_PATTERN)
    expect(isPseudonym(out)).toBe(true)
  })

  it('copies the key', () => {
    const key = Buffer.from(KEY)
    const psn = createPseudonymiser(key)
    const before = psn('vin', 'X')
    key.fill(0)
    expect(psn('vin', 'Y')).toBe(createPseudonymiser(KEY)('vin', 'Y'))
    expect(psn('vin', 'X')).toBe(before)
  })

  it('accepts a plain Uint8Array key', () => {
    const u8 = new Uint8Array(KEY)
    expect(createPseudonymiser(u8)('vin', 'A')).toBe(createPseudonymiser(KEY)('vin', 'A'))
  })

  it.each([
    ['a 15-byte key', Buffer.alloc(15, 1), /at least 16 bytes, got 15/],
    ['an empty key', new Uint8Array(0), /at least 16 bytes, got 0/],
    ['a string key', 'sixteen-byte-key-string' as unknown as Uint8Array, /Buffer or Uint8Array/],
    ['no key', undefined as unknown as Uint8Array, /Buffer or Uint8Array/],
  ])('rejects %s with a clear error', (_name, key, message) => {
    expect(() => createPseudonymiser(key)).toThrow(message)
  })

  it.each([[-1], [1.5], [Number.NaN]])('rejects cacheSize %s', (cacheSize) => {
    expect(() => createPseudonymiser(KEY, { cacheSize })).toThrow(/cacheSize/)
  })

  it.each([[''], ['VIN'], ['a:b'], ['a b'], ['-x'], ['x'.repeat(33)]])('rejects kind %j', (kind) => {
    expect(() => createPseudonymiser(KEY)(kind, 'v')).toThrow(TypeError)
  })

  it('keeps results correct across LRU eviction', () => {
    const cached = createPseudonymiser(KEY, { cacheSize: 3 })
    const uncached = createPseudonymiser(KEY, { cacheSize: 0 })
    const values = Array.from({ length: 20 }, (_, i) => `1381234${String(i).padStart(4, '0')}`)
    // Interleave repeats (hits), fresh values (misses + evictions) and re-reads of evicted ones.
    const order = [...values, ...values.slice(0, 5), values[0]!, values[0]!, ...values.reverse()]
    for (const v of order) expect(cached('phone', v)).toBe(uncached('phone', v))
  })

  it('property: output matches PSEUDONYM_PATTERN and is stable for random keys and values', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 64 }),
        fc.constantFrom(...KINDS),
        fc.string({ unit: 'binary', maxLength: 64 }),
        fc.integer({ min: 0, max: 4 }),
        (key, kind, value, cacheSize) => {
          const psn = createPseudonymiser(key, { cacheSize })
          const first = psn(kind, value)
          expect(isPseudonym(first)).toBe(true)
          expect(PSEUDONYM_PATTERN.test(`x ${first} y`)).toBe(true)
          expect(first.startsWith(`psn:${kind}:`)).toBe(true)
          psn(kind, value + 'x') // may evict
          expect(psn(kind, value)).toBe(first)
          expect(createPseudonymiser(key, { cacheSize: 0 })(kind, value)).toBe(first)
        },
      ),
      { numRuns: 300 },
    )
  })

  it('property: realistic identifiers never appear in their pseudonym', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9A-Z]{8,24}$/), (value) => {
        const out = createPseudonymiser(randomBytes(32))('vin', value)
        expect(out.includes(value)).toBe(false)
      }),
    )
  })

  it('PSEUDONYM_PATTERN does not match near-misses', () => {
    for (const s of ['psn:vin:123', 'psn:VIN:0123456789abcdef0123', 'psn:vin:0123456789ABCDEF0123', 'xpsn:vin:0123456789abcdef0123', 'psn:vin:0123456789abcdef01234']) {
      expect(PSEUDONYM_PATTERN.test(s), s).toBe(false)
    }
    expect(PSEUDONYM_PATTERN.test('id=psn:resident-id:0123456789abcdef0123,')).toBe(true)
  })
})
