import { execFileSync } from 'node:child_process'
import crypto from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { findSsh, opensshPrivateAt, sshPublicBlobAt } from './ssh.ts'
import { seededBytes } from '../../../../test/helpers/seeded-bytes.ts'

const randomBytes = seededBytes('ssh')

const SSH_KEYGEN = '/usr/bin/ssh-keygen'
const dir = mkdtempSync(join(tmpdir(), 'adx-ssh-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

interface SshKey {
  type: string
  publicLine: string
  blob: Buffer
  privatePem: string
  privateBody: Buffer
}

function keygen(type: string, bits?: number): SshKey {
  const file = join(dir, `id_${type}_${bits ?? ''}`)
  execFileSync(SSH_KEYGEN, ['-q', '-t', type, ...(bits ? ['-b', String(bits)] : []), '-N', '', '-C', 'tcu@adx', '-f', file], { stdio: 'ignore' })
  const publicLine = readFileSync(`${file}.pub`, 'utf8').trim()
  const privatePem = readFileSync(file, 'utf8')
  const body = privatePem.replace(/-----(BEGIN|END) OPENSSH PRIVATE KEY-----/g, '').replace(/\s+/g, '')
  return { type, publicLine, blob: Buffer.from(publicLine.split(' ')[1]!, 'base64'), privatePem, privateBody: Buffer.from(body, 'base64') }
}

const available = existsSync(SSH_KEYGEN)
const keys: SshKey[] = available ? [keygen('ed25519'), keygen('rsa', 2048), keygen('ecdsa', 256), keygen('ecdsa', 521)] : []

describe.skipIf(!available)('SSH wire-format keys (ssh-keygen)', () => {
  it.each(keys.map((k) => [k.type + ' ' + k.blob.length, k] as const))('public blob %s', (_n, k) => {
    expect(sshPublicBlobAt(k.blob, 0)).toBe(k.blob.length)
    const buf = Buffer.concat([randomBytes(33), k.blob, randomBytes(20)])
    expect(findSsh(buf)).toContainEqual({ kind: 'ssh-public', start: 33, end: 33 + k.blob.length })
  })

  it.each(keys.map((k) => [k.type + ' ' + k.blob.length, k] as const))('openssh-key-v1 private container %s', (_n, k) => {
    expect(opensshPrivateAt(k.privateBody, 0)).toBe(k.privateBody.length)
    const buf = Buffer.concat([Buffer.from('xx'), k.privateBody])
    const hits = findSsh(buf)
    expect(hits[0]).toEqual({ kind: 'openssh-private', start: 2, end: 2 + k.privateBody.length })
  })

  it('a truncated private container extends to the end of the buffer', () => {
    const k = keys[0]!
    const cut = k.privateBody.subarray(0, 60)
    expect(findSsh(cut)).toEqual([{ kind: 'openssh-private', start: 0, end: 60 }])
  })
})

describe('SSH negatives', () => {
  const str = (s: string | Buffer) => {
    const b = typeof s === 'string' ? Buffer.from(s) : s
    const l = Buffer.alloc(4)
    l.writeUInt32BE(b.length)
    return Buffer.concat([l, b])
  }
  it.each([
    ['random bytes', randomBytes(4096)],
    ['zeros', Buffer.alloc(4096)],
    ['type name only', str('ssh-ed25519')],
    ['ed25519 with a short key', Buffer.concat([str('ssh-ed25519'), str(randomBytes(8))])],
    ['rsa with a tiny modulus', Buffer.concat([str('ssh-rsa'), str(Buffer.from([1, 0, 1])), str(randomBytes(16))])],
    ['not an ssh type', Buffer.concat([str('hello-world'), str(randomBytes(64))])],
    ['magic-like text', Buffer.from('openssh-key-v2 and opened files')],
  ])('%s', (_name, b) => {
    expect(findSsh(b)).toEqual([])
  })
})
