import crypto from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { classifyDer, classifyDerPrefix, findDer } from './der.ts'
import { protobufBytes, samples } from './testkit.ts'
import { seededBytes } from '../../../../test/helpers/seeded-bytes.ts'

const randomBytes = seededBytes('der')

const all = samples()

describe('classifyDer: real keys and certificates, by structure', () => {
  it.each(all.map((s) => [s.name, s] as const))('%s', (_name, s) => {
    expect(classifyDer(s.der)).toEqual({ kind: s.derKind, length: s.der.length })
  })

  it('honours the offset and ignores trailing bytes', () => {
    const s = all[0]!
    const buf = Buffer.concat([Buffer.from('xyz'), s.der, Buffer.from([0x30, 0x00, 0xff])])
    expect(classifyDer(buf, 3)).toEqual({ kind: s.derKind, length: s.der.length })
    expect(classifyDer(buf, 0)).toBeUndefined()
  })
})

function ecdsaDerSignature(curve: string): Buffer {
  const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: curve })
  return crypto.sign('sha256', Buffer.from('payload'), { key: privateKey, dsaEncoding: 'der' })
}

function seq(...children: Buffer[]): Buffer {
  const body = Buffer.concat(children)
  return Buffer.concat([Buffer.from([0x30]), derLen(body.length), body])
}
function tlv(tag: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), derLen(body.length), body])
}
function derLen(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n])
  if (n < 0x100) return Buffer.from([0x81, n])
  return Buffer.from([0x82, n >> 8, n & 0xff])
}
function posInt(b: Buffer): Buffer {
  return tlv(0x02, b[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), b]) : b)
}

describe('classifyDer: negatives', () => {
  const sha = crypto.createHash('sha256').update('x').digest()
  const cases: [string, Buffer][] = [
    ['empty', Buffer.alloc(0)],
    ['SHA-256 digest', sha],
    ['ECDSA P-256 DER signature', ecdsaDerSignature('P-256')],
    ['ECDSA P-384 DER signature', ecdsaDerSignature('P-384')],
    ['ECDSA P-521 DER signature (66-byte integers)', ecdsaDerSignature('P-521')],
    ['SEQUENCE of two 64-byte integers, even second (signature-like)', seq(posInt(Buffer.alloc(64, 0x71)), posInt(Buffer.alloc(64, 0x42)))],
    ['RSAPublicKey shape with a 256-bit modulus (too small)', seq(posInt(Buffer.concat([Buffer.alloc(31, 0x55), Buffer.from([0x01])])), posInt(Buffer.from([1, 0, 1])))],
    ['RSAPublicKey shape with an even modulus', seq(posInt(Buffer.alloc(128, 0x56)), posInt(Buffer.from([1, 0, 1])))],
    ['DigestInfo (SEQ{AlgId sha256, OCTET STRING})', Buffer.from('3031300d060960864801650304020105000420' + sha.toString('hex'), 'hex')],
    ['indefinite length (BER)', Buffer.concat([Buffer.from([0x30, 0x80]), Buffer.alloc(40, 2), Buffer.from([0, 0])])],
    ['non-minimal length', Buffer.concat([Buffer.from([0x30, 0x81, 0x20]), Buffer.alloc(32, 5)])],
    ['UTF-8 text', Buffer.from('0 Vehicle.Speed=42.5 km/h; the quick brown fox jumps over the lazy dog')],
    ['protobuf bytes', protobufBytes()],
    ['SPKI shape with a 4-byte key', seq(seq(tlv(0x06, Buffer.from('2b6570', 'hex'))), tlv(0x03, Buffer.from([0, 1, 2, 3, 4])))],
  ]
  it.each(cases)('%s', (_name, b) => {
    expect(classifyDer(b)).toBeUndefined()
    expect(findDer(b)).toEqual([])
  })
})

describe('findDer', () => {
  it.each(all.map((s) => [s.name, s] as const))('finds %s embedded in random bytes', (_name, s) => {
    const pre = randomBytes(97)
    const post = randomBytes(55)
    const hits = findDer(Buffer.concat([pre, s.der, post]))
    expect(hits).toContainEqual({ kind: s.derKind, start: 97, end: 97 + s.der.length })
  })

  it('reports outermost structures only (the SPKI inside a certificate is not separate)', () => {
    const cert = all.find((s) => s.derKind === 'certificate')!
    expect(findDer(cert.der)).toEqual([{ kind: 'certificate', start: 0, end: cert.der.length }])
  })

  it('finds several structures in one buffer', () => {
    const a = all.find((s) => s.name === 'ed25519 pkcs8')!
    const b = all.find((s) => s.name === 'ec P-256 spki')!
    const buf = Buffer.concat([a.der, Buffer.from('--'), b.der])
    expect(findDer(buf).map((h) => h.kind)).toEqual(['pkcs8', 'spki'])
  })

  describe('truncated structures (key-specific prefix intact)', () => {
    const truncatable = all.filter((s) => ['pkcs8', 'rsa-private', 'spki', 'certificate', 'pkcs8-encrypted'].includes(s.derKind))
    it.each(truncatable.map((s) => [s.name, s] as const))('%s cut at 60%%', (_name, s) => {
      const cut = s.der.subarray(0, Math.floor(s.der.length * 0.6))
      const hits = findDer(Buffer.concat([Buffer.from('ab'), cut]))
      expect(hits.length).toBe(1)
      expect(hits[0]).toMatchObject({ start: 2, end: cut.length + 2, truncated: true })
      expect(classifyDerPrefix(cut)?.kind).toBe(s.derKind === 'pkcs8-encrypted' ? 'pkcs8-encrypted' : s.derKind)
    })
    it('SEC1 EC key cut after the private scalar', () => {
      const s = all.find((x) => x.name === 'ec P-256 sec1')!
      const cut = s.der.subarray(0, 45)
      expect(findDer(cut)).toEqual([{ kind: 'ec-private', start: 0, end: 45, truncated: true }])
    })
  })

  it('never reports random bytes (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 4096 }), (b) => {
        expect(findDer(b)).toEqual([])
      }),
      { numRuns: 300 },
    )
  })

  it('never reports 1,000 random 32..512-byte buffers that start with a SEQUENCE header', () => {
    for (let i = 0; i < 1000; i++) {
      const b = randomBytes(32 + (i % 480))
      b[0] = 0x30
      b[1] = 0x82
      b[2] = (b.length - 4) >> 8
      b[3] = (b.length - 4) & 0xff
      b[4] = i % 2 ? 0x02 : 0x30
      expect(findDer(b)).toEqual([])
    }
  })

  it('terminates quickly on adversarial buffers (1 MB of 0x30, zeros, random; nested headers)', () => {
    expect(findDer(Buffer.alloc(1 << 20, 0x30))).toEqual([])
    expect(findDer(Buffer.alloc(1 << 20))).toEqual([])
    expect(findDer(randomBytes(1 << 20))).toEqual([])
    const nested = Buffer.alloc(1 << 16)
    for (let i = 0; i + 4 < nested.length; i += 4) nested.set([0x30, 0x82, 0xff, 0xf0], i)
    expect(findDer(nested)).toEqual([])
  })
})
