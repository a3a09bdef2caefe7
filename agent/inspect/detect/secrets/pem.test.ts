import crypto from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { classifyPemLabel, findPem } from './pem.ts'
import { sample, samples } from './testkit.ts'
import { seededBytes } from '../../../../test/helpers/seeded-bytes.ts'

const randomBytes = seededBytes('pem')

describe('classifyPemLabel', () => {
  it.each([
    ['PRIVATE KEY', 'private-key'],
    ['RSA PRIVATE KEY', 'private-key'],
    ['EC PRIVATE KEY', 'private-key'],
    ['DSA PRIVATE KEY', 'private-key'],
    ['ENCRYPTED PRIVATE KEY', 'private-key'],
    ['OPENSSH PRIVATE KEY', 'private-key'],
    ['PGP PRIVATE KEY BLOCK', 'private-key'],
    ['SSH2 ENCRYPTED PRIVATE KEY', 'private-key'],
    ['ANY PRIVATE KEY', 'private-key'],
    ['private key', 'private-key'],
    ['CERTIFICATE', 'certificate'],
    ['TRUSTED CERTIFICATE', 'certificate'],
    ['X509 CERTIFICATE', 'certificate'],
    ['X509 CRL', 'certificate'],
    ['PUBLIC KEY', 'public-key'],
    ['RSA PUBLIC KEY', 'public-key'],
    ['SSH2 PUBLIC KEY', 'public-key'],
    ['PGP PUBLIC KEY BLOCK', 'public-key'],
    ['CERTIFICATE REQUEST', 'other'],
    ['NEW CERTIFICATE REQUEST', 'other'],
    ['PKCS7', 'other'],
    ['DH PARAMETERS', 'other'],
    ['EC PARAMETERS', 'other'],
    ['PGP SIGNATURE', 'other'],
  ])('%s → %s', (label, kind) => {
    expect(classifyPemLabel(label)).toBe(kind)
  })
})

const key = sample('ec P-256 sec1')
const rsaPkcs8 = sample('rsa2048 pkcs8')
const cert = sample('x509 ec P-256')

/** Finds exactly one block and it covers `needle` inside `text`. */
function expectOneBlockCovering(text: string, needle: string, kind: string, truncated = false) {
  const blocks = findPem(text)
  expect(blocks).toHaveLength(1)
  const at = text.indexOf(needle)
  expect(at).toBeGreaterThanOrEqual(0)
  expect(blocks[0]!.start).toBe(at)
  expect(blocks[0]!.end).toBeGreaterThanOrEqual(at + needle.trimEnd().length)
  expect(blocks[0]!.kind).toBe(kind)
  expect(blocks[0]!.truncated).toBe(truncated)
}

describe('findPem: positives', () => {
  it.each(samples().map((s) => [s.name, s] as const))('%s in a log line', (_name, s) => {
    const text = `2024-05-01T12:34:56Z INFO loaded ${s.pem}(from /etc/adx)`
    const expected = s.kind === 'key-material' ? 'other' : s.kind
    expectOneBlockCovering(text, s.pem.trimEnd(), expected)
  })

  it('escaped \\n inside a JSON string', () => {
    const esc = JSON.stringify(key.pem).slice(1, -1)
    expectOneBlockCovering(`{"tls":{"key":"${esc}","port":8883}`, esc.replace(/\\n$/, ''), 'private-key')
  })

  it('escaped \\r\\n inside a JSON string', () => {
    const esc = JSON.stringify(key.pem.replace(/\n/g, '\r\n')).slice(1, -1)
    expectOneBlockCovering(`cfg={"key":"${esc}"`, esc.replace(/\\r\\n$/, ''), 'private-key')
  })

  it('double-escaped \\\\n (JSON inside a JSON string)', () => {
    const esc = JSON.stringify(JSON.stringify(key.pem)).slice(3, -3)
    expectOneBlockCovering(`"{\\"key\\":\\"${esc}\\"}"`, esc.replace(/(\\\\n)+$/, ''), 'private-key')
  })

  it('CRLF line breaks', () => {
    const crlf = cert.pem.replace(/\n/g, '\r\n')
    expectOneBlockCovering(`x ${crlf} y`, crlf.trimEnd(), 'certificate')
  })

  it('newlines flattened to spaces', () => {
    const flat = rsaPkcs8.pem.replace(/\n/g, ' ').trim()
    expectOneBlockCovering(`env TLS_KEY=${flat} started`, flat, 'private-key')
  })

  it('URL-encoded (query string)', () => {
    const enc = encodeURIComponent(key.pem)
    const text = `GET /upload?key=${enc}&v=1`
    const blocks = findPem(text)
    expect(blocks).toHaveLength(1)
    expect(blocks[0]!.kind).toBe('private-key')
    expect(text.slice(blocks[0]!.start, blocks[0]!.end)).toContain(encodeURIComponent(key.pem.split('\n')[1]!))
    expect(blocks[0]!.end).toBeGreaterThanOrEqual(text.indexOf('&v=1') - 3)
  })

  it('JSON-escaped slashes (\\/) in the body', () => {
    const esc = JSON.stringify(rsaPkcs8.pem).slice(1, -1).replace(/\//g, '\\/')
    expectOneBlockCovering(`{"k":"${esc}"}`, esc.replace(/\\n$/, ''), 'private-key')
  })

  it('legacy encrypted PEM with Proc-Type / DEK-Info headers', () => {
    const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 1024 })
    const pem = privateKey.export({ type: 'pkcs1', format: 'pem', cipher: 'aes-128-cbc', passphrase: 'pw' }) as string
    expect(pem).toContain('DEK-Info')
    expectOneBlockCovering(`k=${pem}`, pem.trimEnd(), 'private-key')
  })

  it('RFC 4716 SSH2 public key (4 dashes, spaces, Comment header)', () => {
    const body = randomBytes(279).toString('base64').replace(/(.{70})/g, '$1\n')
    const pem = `---- BEGIN SSH2 PUBLIC KEY ----\nComment: "2048-bit RSA, converted by me@host"\n${body}\n---- END SSH2 PUBLIC KEY ----`
    expectOneBlockCovering(`key: ${pem}\n`, pem, 'public-key')
  })

  it('truncated: BEGIN without END runs to the end of the base64 run', () => {
    const lines = rsaPkcs8.pem.split('\n')
    const cut = lines.slice(0, 10).join('\n')
    const text = `log line ${cut}... [truncated]`
    const blocks = findPem(text)
    expect(blocks).toEqual([{ start: text.indexOf('-----BEGIN'), end: text.indexOf('...'), label: 'PRIVATE KEY', kind: 'private-key', truncated: true }])
  })

  it('truncated block followed by another block', () => {
    const first = key.pem.split('\n').slice(0, 2).join('\n')
    const text = `${first}\n${cert.pem}`
    const blocks = findPem(text)
    expect(blocks.map((b) => [b.kind, b.truncated])).toEqual([
      ['private-key', true],
      ['certificate', false],
    ])
    expect(blocks[0]!.end).toBeLessThanOrEqual(blocks[1]!.start)
  })

  it('several blocks (key + chain) are reported separately, in order', () => {
    const text = `${key.pem}${cert.pem}${sample('x509 rsa 2048').pem}`
    expect(findPem(text).map((b) => b.kind)).toEqual(['private-key', 'certificate', 'certificate'])
  })

  it('a BEGIN line alone (truncated right after the marker) still counts', () => {
    expect(findPem('oops -----BEGIN PRIVATE KEY-----')).toMatchObject([{ kind: 'private-key', truncated: true }])
  })
})

describe('findPem: negatives', () => {
  it.each([
    ['prose with BEGIN', 'BEGIN the upload at 12:00; END when done'],
    ['markdown rule', '----- BEGIN -----'],
    ['two dashes', '--BEGIN PRIVATE KEY--'],
    ['begin lower-case word in path', '/var/log/-----begin.log'],
    ['no label', '-----BEGIN -----'],
    ['empty', ''],
  ])('%s', (_name, text) => {
    expect(findPem(text)).toEqual([])
  })
})

describe('findPem: adversarial input terminates', () => {
  it.each([
    ['1 MB of dashes', '-'.repeat(1 << 20)],
    ['100k BEGIN markers', '-----BEGIN '.repeat(10_000)],
    ['100k complete BEGIN lines', '-----BEGIN X-----'.repeat(6_000)],
    ['BEGIN then 1 MB of base64', `-----BEGIN PRIVATE KEY-----${'A'.repeat(1 << 20)}`],
    ['BEGIN then 100k backslashes', `-----BEGIN PRIVATE KEY-----${'\\'.repeat(100_000)}`],
    ['BEGIN then 100k header-ish lines', `-----BEGIN PRIVATE KEY-----\n${'Proc-Type: x\n'.repeat(8_000)}`],
  ])('%s', (_name, text) => {
    const blocks = findPem(text)
    expect(Array.isArray(blocks)).toBe(true)
  })
})
