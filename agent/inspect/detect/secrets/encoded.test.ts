import crypto from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { findEncoded, mayHoldSecret } from './encoded.ts'
import { protobufBytes, sample } from './testkit.ts'
import { seededBytes } from '../../../../test/helpers/seeded-bytes.ts'

const randomBytes = seededBytes('encoded')

const rsa = sample('rsa2048 pkcs1')
const ed = sample('ed25519 spki')
const cert = sample('x509 ec P-256')
const ec = sample('ec P-256 sec1')

/** One hit covering exactly `enc` inside text. */
function expectHit(text: string, enc: string, encoding: 'base64' | 'hex', kind: string) {
  const hits = findEncoded(text)
  const at = text.indexOf(enc)
  expect(hits).toEqual([{ start: at, end: at + enc.length, encoding, kind }])
}

describe('findEncoded: base64', () => {
  const b64 = rsa.der.toString('base64')
  it.each([
    ['plain', b64, 'private-key'],
    ['base64url', ec.der.toString('base64url'), 'private-key'],
    ['wrapped at 64 (LF)', b64.replace(/(.{64})/g, '$1\n'), 'private-key'],
    ['wrapped at 76 (CRLF) with indentation', b64.replace(/(.{76})/g, '$1\r\n    '), 'private-key'],
    ['escaped \\n (JSON string)', b64.replace(/(.{64})/g, '$1\\n'), 'private-key'],
    ['double-escaped \\\\r\\\\n', b64.replace(/(.{64})/g, '$1\\\\r\\\\n'), 'private-key'],
    ['JSON-escaped slashes', b64.replace(/\//g, '\\/'), 'private-key'],
    ['URL-encoded', encodeURIComponent(b64), 'private-key'],
    ['shortest key (Ed25519 SPKI, 60 chars)', ed.der.toString('base64'), 'public-key'],
  ])('%s', (_name, enc, kind) => {
    // the run ends at its last base64 char (a trailing line break is not part of it)
    expectHit(`payload ${enc} end`, enc.replace(/(?:\s|\\+[rn])+$/, ''), 'base64', kind)
  })

  it.each([0, 1, 2, 3, 5, 7])('any glued alphanumeric prefix (%d chars) is handled by the 4 alignments', (n) => {
    const prefix = 'secretKEYvalue'.slice(0, n)
    const text = `x ${prefix}${cert.der.toString('base64')} y`
    const hits = findEncoded(text)
    expect(hits).toHaveLength(1)
    expect(hits[0]).toMatchObject({ start: 2, end: text.length - 2, kind: 'certificate', encoding: 'base64' })
  })

  it('key= prefix is part of the run', () => {
    const text = `cfg key=${b64}&v=1`
    expect(findEncoded(text)).toEqual([{ start: 4, end: text.indexOf('&'), encoding: 'base64', kind: 'private-key' }])
  })

  it('a blob cut off mid-way (log truncation) is still caught', () => {
    const cut = b64.slice(0, 600)
    expectHit(`log ${cut}`, cut, 'base64', 'private-key')
  })

  it('SSH public key line', () => {
    const blob = Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from('ssh-ed25519'), Buffer.from([0, 0, 0, 32]), randomBytes(32)])
    const enc = blob.toString('base64')
    expectHit(`ssh-ed25519 ${enc} tcu@adx`, enc, 'base64', 'public-key')
  })

  it('a key early in a run longer than the initial scratch buffer survives its growth', () => {
    const blob = Buffer.concat([randomBytes(1000), ec.der, randomBytes(9000)])
    for (const enc of [blob.toString('base64'), blob.toString('base64').replace(/(.{76})/g, '$1\n')]) {
      expect(findEncoded(`x ${enc} y`)).toMatchObject([{ start: 2, kind: 'private-key', encoding: 'base64' }])
    }
    expect(findEncoded(`x ${blob.toString('hex')} y`)).toMatchObject([{ start: 2, kind: 'private-key', encoding: 'hex' }])
    expect(findEncoded(`x ${blob.toString('hex').match(/../g)!.join(':')} y`)).toMatchObject([{ start: 2, kind: 'private-key', encoding: 'hex' }])
  })

  it('depth 0 decodes nothing', () => {
    expect(findEncoded(b64, 0)).toEqual([])
  })
})

describe('findEncoded: hex', () => {
  const hex = rsa.der.toString('hex')
  const pairs = ed.der.toString('hex').match(/../g)!
  it.each([
    ['lower', hex, 'private-key'],
    ['upper', hex.toUpperCase(), 'private-key'],
    ['odd glued prefix', `a${hex}`, 'private-key'],
    ['wrapped lines of 64', hex.replace(/(.{64})/g, '$1\n'), 'private-key'],
    ['colon pairs', pairs.join(':'), 'public-key'],
    ['space pairs', pairs.join(' '), 'public-key'],
    ['dash pairs', pairs.join('-'), 'public-key'],
    ['0x, list', pairs.map((p) => `0x${p}`).join(', '), 'public-key'],
    ['\\x escapes', pairs.map((p) => `\\x${p}`).join(''), 'public-key'],
    ['%XX escapes', pairs.map((p) => `%${p}`).join(''), 'public-key'],
    ['colon pairs wrapped (openssl text dump)', cert.der.toString('hex').match(/../g)!.join(':').replace(/(.{45})/g, '$1\n        '), 'certificate'],
  ])('%s', (_name, enc, kind) => {
    const text = `dump: ${enc.trimEnd()} (end)`
    const hits = findEncoded(text)
    expect(hits).toHaveLength(1)
    expect(hits[0]).toMatchObject({ encoding: 'hex', kind })
    expect(hits[0]!.start).toBe(6)
    expect(hits[0]!.end).toBe(6 + enc.trimEnd().length)
  })

  it('a longer hex token glued before the first colon contributes its last pair', () => {
    const text = `ab${pairs.join(':')}`
    expect(findEncoded(text)).toEqual([{ start: 0, end: text.length, encoding: 'hex', kind: 'public-key' }])
  })
})

describe('findEncoded: negatives', () => {
  it.each([
    ['SHA-256 hex', crypto.createHash('sha256').update('a').digest('hex')],
    ['SHA-1 hex', crypto.createHash('sha1').update('a').digest('hex')],
    ['SHA-512 hex, colon-separated', crypto.createHash('sha512').update('a').digest('hex').match(/../g)!.join(':')],
    ['base64 of a 64-byte ECDSA signature', randomBytes(64).toString('base64')],
    ['base64 of a DER ECDSA signature', crypto.sign('sha256', Buffer.from('x'), { key: crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, dsaEncoding: 'der' }).toString('base64')],
    ['base64 of 256 random bytes', randomBytes(256).toString('base64')],
    ['hex of 256 random bytes', randomBytes(256).toString('hex')],
    ['base64 of protobuf', protobufBytes().toString('base64')],
    ['base64 of English text', Buffer.from('The vehicle reported a transient fault on the CAN bus. '.repeat(5)).toString('base64')],
    ['long identifier', 'Vehicle_Cabin_Door_Row1_DriverSide_Window_Position_Percent'],
    ['path', '/usr/lib/x86_64-linux-gnu/adx/plugins/vehicle-signal-specification/v4'],
    ['UUIDs', Array.from({ length: 5 }, () => crypto.randomUUID()).join(',')],
  ])('%s', (_name, text) => {
    expect(findEncoded(`v=${text};`)).toEqual([])
  })
})

describe('mayHoldSecret (cheap gate on decoded bytes)', () => {
  it.each([
    ['DER', rsa.der, true],
    ['printable text', Buffer.from('-----BEGIN PRIVATE KEY-----'), true],
    ['ssh length prefix', Buffer.from([1, 2, 0, 0, 0, 7, 0x73]), true],
    ['openssh magic', Buffer.from('\x01openssh-key-v1\0'), true],
    ['short random', Buffer.from('a1b2c3', 'hex'), false],
  ])('%s', (_name, b, ok) => {
    expect(mayHoldSecret(b)).toBe(ok)
  })

  it('rejects the vast majority of random 64-byte buffers', () => {
    let pass = 0
    for (let i = 0; i < 2000; i++) if (mayHoldSecret(randomBytes(64))) pass++
    expect(pass).toBeLessThan(100)
  })
})

describe('adversarial input terminates', () => {
  it.each([
    ['1 MB of A', 'A'.repeat(1 << 20)],
    ['1 MB of random base64', randomBytes(786_432).toString('base64')],
    ['100k of 0x30 hex', '30'.repeat(50_000)],
    ['100k of "30 82 " pairs', '30 82 '.repeat(17_000)],
    ['100k of escaped newlines between short lines', `${'A'.repeat(40)}\\n`.repeat(2_300)],
    ['100k %2B', '%2B'.repeat(33_000)],
    ['100k \\x30', '\\x30'.repeat(25_000)],
    ['100k key=', 'key='.repeat(25_000)],
  ])('%s', (_name, text) => {
    expect(Array.isArray(findEncoded(text))).toBe(true)
  })
})
