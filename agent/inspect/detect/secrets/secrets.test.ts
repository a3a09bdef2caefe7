import crypto from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { findSecretsInBytes, findSecretsInText, normaliseSpans, prefilter, redactBytes, redactText, type SecretSpan } from './secrets.ts'
import { encodeSample, findLeak, jwkOf, makeJwt, protobufBytes, sample, samples, TEXT_ENCODINGS, type KeySample, type TextEncodingName } from './testkit.ts'
import { seededBytes } from '../../../../test/helpers/seeded-bytes.ts'

const randomBytes = seededBytes('secrets')

const all = samples()

/** The part of an inserted encoding that spans must cover (trailing line breaks excluded). */
function core(enc: string): string {
  return enc.replace(/(?:\s|\\+[rn])+$/, '')
}

function covered(spans: readonly SecretSpan[], start: number, end: number): boolean {
  let pos = start
  for (const s of spans) {
    if (s.start <= pos && s.end > pos) pos = s.end
    if (pos >= end) return true
  }
  return pos >= end
}

function spanAt(spans: readonly SecretSpan[], pos: number): SecretSpan | undefined {
  return spans.find((s) => s.start <= pos && s.end > pos)
}

describe('findSecretsInText: every sample in every encoding, inside a log line', () => {
  const cases = TEXT_ENCODINGS.flatMap((enc) => all.map((s) => [enc, s.name, s] as [TextEncodingName, string, KeySample]))
  it.each(cases)('%s: %s', (enc, _name, s) => {
    const secret = encodeSample(s, enc)
    const text = `2024-05-01T12:34:56Z INFO tcu-42 cfg "${secret}" applied`
    const spans = findSecretsInText(text)
    const at = text.indexOf(secret)
    expect(covered(spans, at, at + core(secret).length)).toBe(true)
    expect(spanAt(spans, at)?.kind).toBe(s.kind)
    const red = redactText(text, spans)
    expect(findLeak(red, s.der, [secret])).toBeUndefined()
    expect(red).toContain(`[ADX-STRIPPED:${s.kind}]`)
    expect(red.startsWith('2024-05-01T12:34:56Z INFO tcu-42 cfg "')).toBe(true)
  })
})

describe('findSecretsInText: the JWK of every key sample', () => {
  const withJwk = all.flatMap((s) => {
    const jwk = jwkOf(s)
    return jwk === undefined ? [] : [[s.name, jwk] as const]
  })
  it('covers every node-generated key type', () => {
    expect(withJwk.length).toBeGreaterThanOrEqual(20)
  })
  it.each(withJwk)('%s', (_name, jwk) => {
    const json = JSON.stringify(jwk)
    for (const text of [`2024 INFO jwk=${json} ok`, `{"cfg":${JSON.stringify(json)}}`, `k = ${json.replace(/"/g, "'")}`]) {
      const spans = findSecretsInText(text)
      expect(spans.map((sp) => sp.kind)).toEqual(['jwk'])
      const red = redactText(text, spans)
      for (const member of ['n', 'd', 'x', 'y', 'p', 'q']) {
        const v = jwk[member]
        if (typeof v === 'string') expect(red).not.toContain(v.slice(0, 16))
      }
    }
  })
})

describe('findSecretsInText: tokens, JWKs, fields', () => {
  const jwt = makeJwt('ES256')
  const ecJwk = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' })
  const hex = randomBytes(32).toString('hex')
  it.each([
    ['JWT with Bearer', `GET /v1 Authorization: Bearer ${jwt}`, jwt, 'jwt', 'jwt'],
    ['JWT in JSON-ish text', `{"id_token":"${jwt}"`, jwt, 'jwt', 'jwt'],
    ['opaque bearer', 'Authorization: Bearer 4f9aK2mQ7xZ1pR8sT3vW6yB0', '4f9aK2mQ7xZ1pR8sT3vW6yB0', 'bearer-token', 'text'],
    ['JWK JSON in text', `jwk=${JSON.stringify(ecJwk)} loaded`, JSON.stringify(ecJwk), 'jwk', 'jwk'],
    ['secret field in a log line', `rotating aesKey=${hex} now`, hex, 'key-material', 'field'],
    ['password in a log line', 'login user=bob password=Tr0ub4dor&3 ok', 'Tr0ub4dor', 'key-material', 'field'],
    ['URL credentials', 'mqtt mqtts://tcu:Zk8pq9x@broker:8883', 'Zk8pq9x', 'key-material', 'text'],
    ['base64 of a JWT', `t=${Buffer.from(jwt).toString('base64')}`, Buffer.from(jwt).toString('base64'), 'jwt', 'base64'],
    ['base64 of a JWK', `j=${Buffer.from(JSON.stringify(ecJwk)).toString('base64')}`, Buffer.from(JSON.stringify(ecJwk)).toString('base64'), 'jwk', 'base64'],
  ])('%s', (_name, text, secret, kind, encoding) => {
    const spans = findSecretsInText(text)
    const at = text.indexOf(secret)
    expect(covered(spans, at, at + secret.length)).toBe(true)
    expect(spanAt(spans, at)).toMatchObject({ kind, encoding })
    expect(redactText(text, spans)).not.toContain(secret)
  })
})

describe('findSecretsInText: negatives', () => {
  const sha256 = crypto.createHash('sha256').update('fw').digest('hex')
  const sig = crypto.sign('sha256', Buffer.from('x'), { key: crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, dsaEncoding: 'der' })
  it.each([
    ['SHA-256 hex digest', sha256],
    ['SHA-256 digest in a log line', `firmware sha256=${sha256} verified`],
    ['SHA-1 hex digest', crypto.createHash('sha1').update('fw').digest('hex')],
    ['digest label', `sha256:${sha256}`],
    ['UUID', crypto.randomUUID()],
    ['UUIDs in a line', `trip=${crypto.randomUUID()} msg=${crypto.randomUUID()}`],
    ['version string', '1.2.3-rc.4'],
    ['version in a line', 'adx-agent v2.14.0-beta.3+build.20240501 started'],
    ['VIN', 'LSVAU2180N2183294'],
    ['VIN in a line', 'vin=LSVAU2180N2183294 odo=12345.6'],
    ['number', '1714566896000'],
    ['decimal', '-122.41941550000001'],
    ['DTC code', 'P0301'],
    ['VSS path', 'Vehicle.Powertrain.TractionBattery.StateOfCharge.Current'],
    ['ordinary log line', '2024-05-01T12:34:56.789Z INFO gateway connected to broker mqtt://10.0.0.1:1883 session=42'],
    ['key-value log line', 'ts=2024-05-01T12:34:56Z level=info msg="uploaded batch" batch_id=7 bytes=10240 endpoint=https://ingest.example.com/v1'],
    ['kv map entry', 'key=Vehicle.Speed value=42.5'],
    ['plain English', 'The vehicle reported a transient fault on the CAN bus; the gateway retried the upload three times.'],
    ['Chinese text', '车辆在高速公路上行驶，速度为每小时一百公里。'],
    ['base64 of a 64-byte ECDSA signature', randomBytes(64).toString('base64')],
    ['base64 of an ECDSA DER signature', sig.toString('base64')],
    ['hex of an ECDSA DER signature', sig.toString('hex')],
    ['base64 of 256 random bytes', randomBytes(256).toString('base64')],
    ['base64url nonce', randomBytes(48).toString('base64url')],
    ['base64 of protobuf bytes', protobufBytes(3).toString('base64')],
    ['hex of protobuf bytes', protobufBytes(4).toString('hex')],
    ['MAC address list', '00:1A:2B:3C:4D:5E, 00:1A:2B:3C:4D:5F'],
    ['Bearer prose', 'the Bearer scheme is described in RFC 6750'],
    ['token prose', 'token refresh scheduled; tokens expire in 3600 s'],
    ['password prose', 'error: password: required'],
    ['BEGIN prose', 'BEGIN transaction; END transaction'],
    ['kty prose', 'JWK members: kty, use, key_ops'],
    ['file path', '/var/lib/adx/spool/2024/05/01/batch-000042.pb.gz'],
    ['URL', 'https://ota.example.com/firmware/ecu-gateway/v1.2.3/image.bin?sig=ok'],
  ])('%s', (_name, text) => {
    expect(findSecretsInText(text)).toEqual([])
  })
})

describe('prefilter', () => {
  it.each([
    'Vehicle.Speed',
    '42.5',
    'P0301',
    '1.2.3-rc.4',
    'LSVAU2180N2183294',
    '2024-05-01T12:34:56.789Z INFO gateway connected to broker mqtt://10.0.0.1:1883 session=42',
    'The quick brown fox jumps over the lazy dog',
  ])('%j: no detector runs and the shared empty result is returned', (text) => {
    expect(prefilter(text)).toBe(0)
    const a = findSecretsInText(text)
    expect(a).toEqual([])
    expect(findSecretsInText(`${text} `)).toBe(a) // same frozen array: nothing allocated for results
    expect(Object.isFrozen(a)).toBe(true)
  })
})

describe('depth (decode layers)', () => {
  const s = sample('ed25519 pkcs8')
  it.each([
    ['plain PEM needs no decoding', encodeSample(s, 'pem-log-line'), 0],
    ['base64 of DER: 1 layer', encodeSample(s, 'base64'), 1],
    ['base64 of PEM: 1 layer', encodeSample(s, 'base64-of-pem'), 1],
    ['hex of base64 of DER: 2 layers', encodeSample(s, 'hex-of-base64'), 2],
    ['base64 of hex of base64 of DER: 3 layers', Buffer.from(encodeSample(s, 'hex-of-base64')).toString('base64'), 3],
  ])('%s', (_name, text, layers) => {
    if (layers > 0) expect(findSecretsInText(text, layers - 1)).toEqual([])
    expect(findSecretsInText(text, layers)).toHaveLength(1)
    expect(findSecretsInText(text)).toHaveLength(layers <= 3 ? 1 : 0)
  })

  it('4 layers exceed the default depth of 3', () => {
    const four = Buffer.from(Buffer.from(encodeSample(s, 'hex-of-base64')).toString('base64')).toString('hex')
    expect(findSecretsInText(four)).toEqual([])
    expect(findSecretsInText(four, 4)).toHaveLength(1)
  })
})

describe('findSecretsInBytes', () => {
  it.each(all.map((s) => [s.name, s] as const))('raw DER of %s inside random bytes', (_name, s) => {
    const pre = randomBytes(123)
    const buf = Buffer.concat([pre, s.der, randomBytes(77)])
    const spans = findSecretsInBytes(buf)
    expect(covered(spans, 123, 123 + s.der.length)).toBe(true)
    expect(spanAt(spans, 123)?.kind).toBe(s.kind)
    const red = redactBytes(buf, spans)
    expect(findLeak(red, s.der)).toBeUndefined()
    expect(Buffer.from(red.subarray(0, 123)).equals(pre)).toBe(true)
  })

  const key = sample('ec P-256 pkcs8')
  it.each([
    ['UTF-8 text with a PEM (indices mapped to byte offsets)', `车辆日志 ✓ 𝒜 key:\n${key.pem}尾`],
    ['UTF-8 text with a base64 DER', `配置 ${key.der.toString('base64')} 完成`],
    ['UTF-8 JSON with an escaped PEM', `{"名称":"证书","key":${JSON.stringify(key.pem)}}`],
    ['ASCII log with hex DER', `dump ${key.der.toString('hex')} end`],
  ])('%s', (_name, text) => {
    const buf = Buffer.from(text, 'utf8')
    const spans = findSecretsInBytes(buf)
    expect(spans.length).toBeGreaterThan(0)
    const red = Buffer.from(redactBytes(buf, spans))
    const out = red.toString('utf8')
    expect(findLeak(red, key.der, [key.pem.split('\n')[1]!])).toBeUndefined()
    expect(out).toContain('[ADX-STRIPPED:private-key]')
    // text around the secret is intact (valid UTF-8, first and last chars kept)
    expect(out.startsWith(text.slice(0, 2))).toBe(true)
    expect(out.endsWith(text.slice(-1))).toBe(true)
  })

  it('binary (protobuf) with a PEM and a base64 key in string fields', () => {
    const cert = sample('x509 ec P-256')
    const buf = Buffer.concat([protobufBytes(1), Buffer.from([0x0a, 0x80, 0x04]), Buffer.from(cert.pem), protobufBytes(2), Buffer.from(key.der.toString('base64')), protobufBytes(5)])
    const spans = findSecretsInBytes(buf)
    expect(spans.map((s) => s.kind).sort()).toEqual(['certificate', 'private-key'])
    const red = redactBytes(buf, spans)
    expect(findLeak(red, cert.der)).toBeUndefined()
    expect(findLeak(red, key.der)).toBeUndefined()
  })

  it('a JWT in binary bytes', () => {
    const jwt = makeJwt('HS256')
    const buf = Buffer.concat([randomBytes(50), Buffer.from(` Bearer ${jwt}\n`), randomBytes(50)])
    const red = Buffer.from(redactBytes(buf, findSecretsInBytes(buf)))
    expect(red.includes(Buffer.from(jwt.split('.')[2]!))).toBe(false)
    expect(red.includes(Buffer.from('[ADX-STRIPPED:jwt]'))).toBe(true)
  })

  const sig = crypto.sign('sha256', Buffer.from('x'), { key: crypto.generateKeyPairSync('ec', { namedCurve: 'P-521' }).privateKey, dsaEncoding: 'der' })
  it.each([
    ['random bytes', randomBytes(8192)],
    ['SHA-256 digests', Buffer.concat(Array.from({ length: 50 }, (_, i) => crypto.createHash('sha256').update(String(i)).digest()))],
    ['ECDSA DER signature', sig],
    ['protobuf bytes', protobufBytes(9)],
    ['UTF-8 text', Buffer.from('车辆在高速公路上行驶。The quick brown fox jumps over the lazy dog. 1.2.3-rc.4 LSVAU2180N2183294')],
    ['zeros', Buffer.alloc(4096)],
  ])('negative: %s', (_name, b) => {
    expect(findSecretsInBytes(b)).toEqual([])
  })
})

describe('redaction helpers', () => {
  it('normaliseSpans merges overlaps, keeps the strongest kind; field guesses yield to structure', () => {
    expect(
      normaliseSpans([
        { start: 5, end: 10, kind: 'certificate', encoding: 'pem' },
        { start: 0, end: 6, kind: 'private-key', encoding: 'base64' },
        { start: 20, end: 30, kind: 'key-material', encoding: 'field' },
        { start: 25, end: 40, kind: 'public-key', encoding: 'base64' },
        { start: 50, end: 50, kind: 'jwt', encoding: 'jwt' },
      ]),
    ).toEqual([
      { start: 0, end: 10, kind: 'private-key', encoding: 'base64' },
      { start: 20, end: 40, kind: 'public-key', encoding: 'base64' },
    ])
  })

  it('redactText / redactBytes put the marker in place of each span, in any span order', () => {
    const spans: SecretSpan[] = [
      { start: 10, end: 15, kind: 'jwt', encoding: 'jwt' },
      { start: 2, end: 8, kind: 'private-key', encoding: 'pem' },
    ]
    const text = '01SECRET89TOKEN5'
    expect(redactText(text, spans)).toBe('01[ADX-STRIPPED:private-key]89[ADX-STRIPPED:jwt]5')
    expect(Buffer.from(redactBytes(Buffer.from(text), spans)).toString()).toBe('01[ADX-STRIPPED:private-key]89[ADX-STRIPPED:jwt]5')
    expect(redactText(text, [])).toBe(text)
    const b = Buffer.from(text)
    expect(redactBytes(b, [])).toBe(b)
  })
})

describe('adversarial input terminates (no catastrophic backtracking, bounded work)', () => {
  it.each([
    ['1 MB of A', 'A'.repeat(1 << 20)],
    ['1 MB of random base64', randomBytes(786_432).toString('base64')],
    ['100k -----BEGIN', '-----BEGIN '.repeat(10_000)],
    ['100k eyJ', 'eyJ'.repeat(33_000)],
    ['100k "kty"', '"kty"'.repeat(20_000)],
    ['100k {"kty":"RSA","n":"', '{"kty":"RSA","n":"'.repeat(6_000)],
    ['100k Bearer', 'Bearer '.repeat(15_000)],
    ['100k key=', 'key='.repeat(25_000)],
    ['100k password=x ', 'password=abcdefghij '.repeat(5_000)],
    ['100k ab:', 'ab:'.repeat(33_000)],
    ['100k 0x30,', '0x30, '.repeat(17_000)],
    ['100k \\n', '\\n'.repeat(50_000)],
    ['100k ://a:b@', '://a:b@'.repeat(14_000)],
    ['100k %2B', '%2B'.repeat(33_000)],
    ['100k hex', 'ab'.repeat(50_000)],
    ['100k MII…', 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC'.repeat(3_200)],
    ['100k words', 'the quick brown fox jumps over the lazy dog '.repeat(2_300)],
    ['100k of 30 82', '30 82 '.repeat(17_000)],
    ['100k mixed markers', '-----BEGIN eyJ kty Bearer key=:// '.repeat(3_000)],
  ])('%s', (_name, text) => {
    expect(Array.isArray(findSecretsInText(text))).toBe(true)
    expect(Array.isArray(findSecretsInBytes(Buffer.from(text, 'latin1')))).toBe(true)
  })

  it('1 MB binary buffers (0x30 filled, zeros, random)', () => {
    expect(findSecretsInBytes(Buffer.alloc(1 << 20, 0x30))).toEqual([])
    expect(findSecretsInBytes(Buffer.alloc(1 << 20))).toEqual([])
    expect(findSecretsInBytes(randomBytes(1 << 20))).toEqual([])
  })
})

// ---------------------------------------------------------------------------
// Property tests: a random key in a random encoding at a random place never survives.

const surroundings = fc.oneof(
  fc.string({ maxLength: 120 }),
  fc.string({ unit: 'grapheme', maxLength: 60 }),
  fc.array(fc.constantFrom('Vehicle.Speed=42', 'INFO', 'tcu-42', '{"a":1}', 'key=', ' ', '\n', '\\n', 'P0301', '车辆', 'LSVAU2180N2183294', '1.2.3'), { maxLength: 12 }).map((a) => a.join(' ')),
  fc.stringMatching(/^[A-Za-z0-9+/=]{0,40}$/),
  fc.stringMatching(/^[0-9a-f:]{0,40}$/),
)

describe('property: redacted text contains no form of the key', () => {
  const jwt = makeJwt('ES256')
  it('random key, random encoding, random surrounding text (text API)', () => {
    fc.assert(
      fc.property(fc.nat(all.length - 1), fc.nat(TEXT_ENCODINGS.length - 1), surroundings, surroundings, (si, ei, pre, post) => {
        const s = all[si]!
        const secret = encodeSample(s, TEXT_ENCODINGS[ei]!)
        const text = pre + secret + post
        const red = redactText(text, findSecretsInText(text))
        expect(findLeak(red, s.der, [secret])).toBeUndefined()
      }),
      { numRuns: 600 },
    )
  })

  it('random key, random encoding, inside random bytes (bytes API)', () => {
    fc.assert(
      fc.property(
        fc.nat(all.length - 1),
        fc.nat(TEXT_ENCODINGS.length),
        fc.uint8Array({ maxLength: 200 }),
        fc.uint8Array({ maxLength: 200 }),
        (si, ei, pre, post) => {
          const s = all[si]!
          // ei === length: raw DER; otherwise a text encoding written as ASCII
          const secret = ei === TEXT_ENCODINGS.length ? s.der : Buffer.from(encodeSample(s, TEXT_ENCODINGS[ei]!), 'latin1')
          const buf = Buffer.concat([pre, secret, post])
          const red = redactBytes(buf, findSecretsInBytes(buf))
          expect(findLeak(red, s.der, ei === TEXT_ENCODINGS.length ? [] : [secret.toString('latin1')])).toBeUndefined()
        },
      ),
      { numRuns: 600 },
    )
  })

  it('JWTs and JWKs in random text', () => {
    const jwks = [
      crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }),
      crypto.generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' }),
      crypto.createSecretKey(randomBytes(32)).export({ format: 'jwk' }),
    ]
    fc.assert(
      fc.property(fc.nat(jwks.length), fc.boolean(), surroundings, surroundings, (k, bearer, pre, post) => {
        if (k === jwks.length) {
          const text = `${pre}${bearer ? 'Bearer ' : ''}${jwt}${post}`
          const red = redactText(text, findSecretsInText(text))
          expect(red).not.toContain(jwt.split('.')[2]!.slice(0, 24))
        } else {
          const jwk = jwks[k]!
          const text = `${pre}${JSON.stringify(jwk)}${post}`
          const red = redactText(text, findSecretsInText(text))
          const secret = (jwk.d ?? jwk.k) as string
          expect(red).not.toContain(secret.slice(0, 20))
        }
      }),
      { numRuns: 500 },
    )
  })
})
