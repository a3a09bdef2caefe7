import crypto from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { findAuthTokens, findJwts, isJoseHeader } from './jwt.ts'
import { makeJwt } from './testkit.ts'
import { seededBytes } from '../../../../test/helpers/seeded-bytes.ts'

const randomBytes = seededBytes('jwt')

const hs = makeJwt('HS256')
const es = makeJwt('ES256')
const none = makeJwt('none')
const b64u = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url')
const jwe = [b64u({ alg: 'RSA-OAEP-256', enc: 'A256GCM' }), randomBytes(256).toString('base64url'), randomBytes(12).toString('base64url'), randomBytes(40).toString('base64url'), randomBytes(16).toString('base64url')].join('.')
const spaced = `${Buffer.from('{ "alg": "HS256", "typ": "JWT" }').toString('base64url')}.${b64u({ sub: 'x' })}.${randomBytes(32).toString('base64url')}`
const newline = `${Buffer.from('{\n  "alg": "RS256"\n}').toString('base64url')}.${b64u({ sub: 'x' })}.${randomBytes(256).toString('base64url')}`

describe('findJwts: positives', () => {
  it.each([
    ['HS256 alone', hs, hs],
    ['ES256 alone', es, es],
    ['alg none (empty signature)', none, none],
    ['JWE (5 parts)', jwe, jwe],
    ['header with spaces (eyAi…)', spaced, spaced],
    ['header with newlines (ewo…)', newline, newline],
    ['Bearer prefix', `Authorization: Bearer ${hs}`, hs],
    ['lower-case bearer in a log', `hdr authorization=bearer ${es}; status=401`, es],
    ['inside JSON', `{"access_token":"${hs}","expires_in":3600}`, hs],
    ['glued to a word', `token${hs}`, hs],
    ['in a URL query', `https://api.example.com/cb?id_token=${es}&state=1`, es],
    ['truncated after the payload', `cut: ${hs.split('.').slice(0, 2).join('.')}.`, `${hs.split('.').slice(0, 2).join('.')}.`],
  ])('%s', (_name, text, token) => {
    const hits = findJwts(text)
    expect(hits).toEqual([{ start: text.indexOf(token), end: text.indexOf(token) + token.length, kind: 'jwt' }])
  })

  it('two tokens in one line', () => {
    expect(findJwts(`a ${hs} b ${es}`)).toHaveLength(2)
  })
})

describe('findJwts: negatives', () => {
  it.each([
    ['eyJ alone', 'eyJ'],
    ['base64 JSON without alg', `${b64u({ sub: 'vehicle', iat: 1 })}.${b64u({ a: 1 })}.sig`],
    ['header without a dot', b64u({ alg: 'HS256' })],
    ['random base64url with dots', `eyJ${randomBytes(30).toString('base64url')}.${randomBytes(30).toString('base64url')}`],
    ['eyJ in prose', 'the string eyJhbGci is how JWT headers start.'],
    ['not JSON', `${Buffer.from('{not json at all}').toString('base64url')}.abc.def`],
    ['JSON array header', `${Buffer.from('[{"alg":"HS256"}]').toString('base64url')}.abc.def`],
  ])('%s', (_name, text) => {
    expect(findJwts(text)).toEqual([])
  })

  it('isJoseHeader needs an object with a string alg or enc', () => {
    const check = (o: unknown) => {
      const h = b64u(o)
      return isJoseHeader(h, 0, h.length)
    }
    expect(check({ alg: 'ES256', kid: 'k1' })).toBe(true)
    expect(check({ enc: 'A128GCM', alg: 'dir' })).toBe(true)
    expect(check({ alg: 256, typ: 'JWT-ish-padding' })).toBe(false)
    expect(check({ typ: 'JWT', cty: 'something-long' })).toBe(false)
  })
})

describe('findAuthTokens', () => {
  const opaque = randomBytes(24).toString('base64url')
  const basic = Buffer.from('fleet-user:S3cr3t!pass').toString('base64')
  it.each([
    ['Bearer opaque', `Authorization: Bearer ${opaque}`, opaque],
    ['BEARER upper-case', `AUTHORIZATION: BEARER ${opaque}`, opaque],
    ['Bearer URL-encoded', `?h=Bearer%20${opaque}`, opaque],
    ['Bearer with b64token chars', 'Bearer mF_9.B5f-4.1JqM~tok+/en==', 'mF_9.B5f-4.1JqM~tok+/en=='],
    ['Basic credentials', `Authorization: Basic ${basic}`, basic],
    ['Token scheme (DRF)', `Authorization: Token ${'9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b'}`, '9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b'],
  ])('%s', (_name, text, token) => {
    const hits = findAuthTokens(text)
    expect(hits).toHaveLength(1)
    if (token !== undefined) expect(text.slice(hits[0]!.start, hits[0]!.end)).toBe(token)
    expect(hits[0]!.kind).toBe('bearer-token')
  })

  it.each([
    ['Bearer realm', 'WWW-Authenticate: Bearer realm="example", error="invalid_token"'],
    ['Bearer + short token', 'Authorization: Bearer abc123'],
    ['Bearer + prose', 'the Bearer authentication_scheme_is_required here'],
    ['Basic prose', 'Basic authentication failed for user'],
    ['Basic base64 without colon', `Basic ${Buffer.from('justaname').toString('base64')}`],
    ['Token + prose', 'Token refresh_scheduled_for_next_window'],
    ['words containing bearer', 'forbearer: nothing to see here at all'],
  ])('%s', (_name, text) => {
    expect(findAuthTokens(text)).toEqual([])
  })
})

describe('adversarial input terminates', () => {
  it.each([
    ['100k eyJ', 'eyJ'.repeat(33_000)],
    ['100k eyJ + dot', `${'eyJ'.repeat(33_000)}.x`],
    ['100k header-dot', `${b64u({ alg: 'HS256' })}.`.repeat(4_000)],
    ['100k Bearer', 'Bearer '.repeat(15_000)],
    ['Bearer + 1 MB token chars', `Bearer ${'a'.repeat(1 << 20)}`],
    ['100k dots', '.'.repeat(100_000)],
  ])('%s', (_name, text) => {
    expect(Array.isArray(findJwts(text))).toBe(true)
    expect(Array.isArray(findAuthTokens(text))).toBe(true)
  })
})
