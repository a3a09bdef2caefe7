import crypto from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { findJwksInText, isJwk, isJwkSet, isPrivateJwk } from './jwk.ts'
import { seededBytes } from '../../../../test/helpers/seeded-bytes.ts'

const randomBytes = seededBytes('jwk')

type Jwk = Record<string, unknown>
const gen = (t: 'rsa' | 'ec' | 'ed25519' | 'x25519', o: object = {}) => {
  const k = crypto.generateKeyPairSync(t as 'rsa', o as { modulusLength: number })
  return { priv: k.privateKey.export({ format: 'jwk' }) as Jwk, pub: k.publicKey.export({ format: 'jwk' }) as Jwk }
}
const rsa = gen('rsa', { modulusLength: 2048 })
const ec = gen('ec', { namedCurve: 'P-256' })
const ed = gen('ed25519')
const x = gen('x25519')
const oct = crypto.createSecretKey(randomBytes(32)).export({ format: 'jwk' }) as Jwk

describe('isJwk', () => {
  it.each([
    ['RSA private', rsa.priv, true],
    ['RSA public', rsa.pub, false],
    ['EC P-256 private', ec.priv, true],
    ['EC P-256 public', ec.pub, false],
    ['Ed25519 private', ed.priv, true],
    ['Ed25519 public', ed.pub, false],
    ['X25519 private', x.priv, true],
    ['X25519 public', x.pub, false],
    ['oct (symmetric)', oct, true],
    ['with kid/use/alg metadata', { ...ec.pub, kid: 'k1', use: 'sig', alg: 'ES256' }, false],
  ])('%s', (_name, jwk, priv) => {
    expect(isJwk(jwk)).toBe(true)
    expect(isPrivateJwk(jwk)).toBe(priv)
  })

  it.each([
    ['null', null],
    ['string', 'kty'],
    ['array', [rsa.pub]],
    ['no kty', { n: rsa.pub.n, e: 'AQAB' }],
    ['unknown kty', { kty: 'XYZ', k: 'abcdefghijkl' }],
    ['RSA without n', { kty: 'RSA', e: 'AQAB' }],
    ['RSA with a short n', { kty: 'RSA', n: 'abc', e: 'AQAB' }],
    ['EC without y', { kty: 'EC', crv: 'P-256', x: ec.pub.x }],
    ['OKP without x', { kty: 'OKP', crv: 'Ed25519' }],
    ['oct without k', { kty: 'oct', alg: 'HS256' }],
    ['non-base64url member', { kty: 'oct', k: 'not base64 url!!' }],
    ['kty as a number', { kty: 1, k: 'abcdefghijkl' }],
    ['JWK metadata only (kid, use)', { kty: 'RSA', kid: 'key-2024', use: 'sig' }],
  ])('not a JWK: %s', (_name, v) => {
    expect(isJwk(v)).toBe(false)
  })
})

describe('isJwkSet', () => {
  it.each([
    ['public set', { keys: [rsa.pub, ec.pub] }, true],
    ['mixed set', { keys: [{ kid: 'x' }, ed.priv] }, true],
    ['empty set', { keys: [] }, false],
    ['keys not an array', { keys: rsa.pub }, false],
    ['keys of strings', { keys: ['a', 'b'] }, false],
    ['a JWK is not a set', rsa.pub, false],
  ])('%s', (_name, v, ok) => {
    expect(isJwkSet(v)).toBe(ok)
  })
})

describe('findJwksInText', () => {
  const json = JSON.stringify(ec.priv)
  const rsaJson = JSON.stringify(rsa.priv)
  it.each([
    ['JSON in a log line', `loaded jwk=${json} ok`, json],
    ['kty last', `k=${JSON.stringify({ d: ed.priv.d, x: ed.priv.x, crv: 'Ed25519', kty: 'OKP' })};`, JSON.stringify({ d: ed.priv.d, x: ed.priv.x, crv: 'Ed25519', kty: 'OKP' })],
    ['pretty-printed', `cfg:\n${JSON.stringify(rsa.priv, null, 2)}\n`, JSON.stringify(rsa.priv, null, 2)],
    ['escaped inside a JSON string', `{"cfg":"${JSON.stringify(json).slice(1, -1)}"}`, JSON.stringify(json).slice(1, -1)],
    ['single-quoted (Python repr)', `key = {'kty': 'oct', 'k': '${oct.k}'}`, `{'kty': 'oct', 'k': '${oct.k}'}`],
    ['inside a JWKS', `{"keys":[${json}]}`, json],
  ])('%s', (_name, text, jwkText) => {
    const hits = findJwksInText(text)
    expect(hits).toHaveLength(1)
    expect(hits[0]!.start).toBe(text.indexOf(jwkText))
    expect(hits[0]!.end).toBe(text.indexOf(jwkText) + jwkText.length)
  })

  it('truncated JWK: spans to the end of the last key member', () => {
    const cut = rsaJson.slice(0, rsaJson.indexOf('"p":') + 60)
    const text = `log: ${cut}`
    const hits = findJwksInText(text)
    expect(hits).toHaveLength(1)
    expect(hits[0]!.start).toBe(5)
    expect(hits[0]!.end).toBe(text.length)
    expect(hits[0]!.private).toBe(true)
  })

  it('several JWKs', () => {
    const text = `${JSON.stringify({ keys: [rsa.pub, ec.pub, ed.priv] })}`
    const hits = findJwksInText(text)
    expect(hits.map((h) => h.private)).toEqual([false, false, true])
  })

  it.each([
    ['kty in prose', 'the kty member says RSA, n and e follow'],
    ['kty without key members', '{"kty":"RSA","kid":"abc","use":"sig"}'],
    ['unknown kty', `{"kty":"XYZ","k":"${oct.k}"}`],
    ['quoted kty but no object', '"kty" is a JWK member'],
  ])('negative: %s', (_name, text) => {
    expect(findJwksInText(text)).toEqual([])
  })

  it.each([
    ['100k "kty"', '"kty"'.repeat(20_000)],
    ['100k {"kty":"RSA",', '{"kty":"RSA",'.repeat(8_000)],
    ['100k {"kty":"RSA","n":"', '{"kty":"RSA","n":"'.repeat(6_000)],
    ['{ then 100k "kty"', `{${'"kty":"RSA",'.repeat(8_000)}`],
    ['100k braces', '{'.repeat(100_000) + '"kty"' + '}'.repeat(100_000)],
  ])('adversarial input terminates: %s', (_name, text) => {
    expect(Array.isArray(findJwksInText(text))).toBe(true)
  })
})
