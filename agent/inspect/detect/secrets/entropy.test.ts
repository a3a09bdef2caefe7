import crypto from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { classTransitionRate, entropyThreshold, isPlaceholder, looksLikeSecretValue, shannonEntropy, wordlikeFraction } from './entropy.ts'
import { seededBytes } from '../../../../test/helpers/seeded-bytes.ts'

const randomBytes = seededBytes('entropy')

describe('shannonEntropy', () => {
  it.each([
    ['', 0],
    ['aaaa', 0],
    ['abab', 1],
    ['abcd', 2],
    ['0123456789abcdef', 4],
  ])('%j → %d bits/char', (s, h) => {
    expect(shannonEntropy(s)).toBeCloseTo(h, 10)
  })
  it('honours a range', () => {
    expect(shannonEntropy('xxabcdxx', 2, 6)).toBeCloseTo(2, 10)
  })
})

describe('entropyThreshold', () => {
  it('interpolates the table and is flat above 64 chars', () => {
    expect(entropyThreshold(16, 'base64')).toBeCloseTo(3.28, 5)
    expect(entropyThreshold(32, 'hex')).toBeCloseTo(3.17, 5)
    expect(entropyThreshold(64, 'base32')).toBeCloseTo(4.26, 5)
    expect(entropyThreshold(1000, 'base64')).toBeCloseTo(4.82, 5)
    const mid = entropyThreshold(28, 'base64')
    expect(mid).toBeGreaterThan(3.79)
    expect(mid).toBeLessThan(4.13)
  })
})

describe('looksLikeSecretValue: secrets', () => {
  it.each([
    ['64-hex AES-256 key', randomBytes(32).toString('hex')],
    ['32-hex AES-128 key (upper)', randomBytes(16).toString('hex').toUpperCase()],
    ['base64 32 bytes', 'q2Xh0F9k+V3s/3dLwz8WjP1m6bJ0s9Ykq3aXf7Hc2e4='],
    ['base64url token', 'AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY'],
    ['prefixed API key', 'sk_live_4eC39HqLyjWDarjtT1zdp7dc'],
    ['slack-like token', 'xoxb-2634237823-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx'],
    ['URL with credentials', 'postgres://admin:s3cr3t@db.internal:5432/adx'],
    ['mqtt URL with credentials', 'mqtts://tcu-42:Zk8#pq@broker.example.cn:8883'],
  ])('%s', (_name, v) => {
    expect(looksLikeSecretValue(v)).toBe(true)
    expect(looksLikeSecretValue(v, { secretField: true })).toBe(true)
  })

  it.each([
    ['UUID (decided: only under a secret field name)', '550e8400-e29b-41d4-a716-446655440000'],
    ['16-hex (64-bit) value', '9f86d081884c7d65'],
    ['base32 TOTP seed', 'JBSWY3DPEHPK3PXP'],
    ['short random token', 'k9F2xQ7z'],
    ['password-like', 'MyS3cretP@ssw0rd!'],
  ])('only with secretField: %s', (_name, v) => {
    expect(looksLikeSecretValue(v)).toBe(false)
    expect(looksLikeSecretValue(v, { secretField: true })).toBe(true)
  })

  it('passes >= 90% of random 24-char and >= 95% of random 32+ char tokens of each alphabet (default mode)', () => {
    const A62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
    const gens: Record<string, (n: number) => string> = {
      base64: (n) => randomBytes(n).toString('base64').slice(0, n),
      base64url: (n) => randomBytes(n).toString('base64url').slice(0, n),
      alnum: (n) => Array.from(randomBytes(n), (b) => A62[b % 62]).join(''),
      hex: (n) => randomBytes(n).toString('hex').slice(0, Math.max(32, n)),
    }
    for (const [name, g] of Object.entries(gens)) {
      for (const n of [24, 32, 48, 64]) {
        let ok = 0
        for (let i = 0; i < 400; i++) if (looksLikeSecretValue(g(n))) ok++
        expect(ok / 400, `${name} ${n}`).toBeGreaterThanOrEqual(n < 32 ? 0.9 : 0.95)
      }
    }
  })
})

describe('looksLikeSecretValue under a secret field name (calibration)', () => {
  it('passes >= 99.8% of random 32-char and >= 97% of 16-char base64url tokens with secretField', () => {
    for (const [bytes, goal] of [[24, 0.998], [12, 0.97]] as const) {
      let ok = 0
      const N = 5000
      for (let i = 0; i < N; i++) if (looksLikeSecretValue(randomBytes(bytes).toString('base64url'), { secretField: true })) ok++
      expect(ok / N, `${bytes * 4 / 3} chars`).toBeGreaterThanOrEqual(goal)
    }
  })

  it.each([
    // random tokens with word-like runs (`SGIBZA`, `Idndyi`) that the strict structure checks rejected
    'XIdndyiOX6z8WWqEkve0lFxbSGIBZA0D',
    'TXEQ2j4lQtGGdGhjaMALJdwoIubrnMIU',
    'NOUvrilDrOWjxAsbgNVZalgymzCjKrLB',
  ])('a token with word-like runs is still a secret under a secret name: %s', (v) => {
    expect(looksLikeSecretValue(v, { secretField: true })).toBe(true)
  })
})

describe('looksLikeSecretValue: not secrets (both modes)', () => {
  it.each([
    ['short', 'abc'],
    ['VSS path', 'Vehicle.Cabin.Door.Row1.DriverSide.IsOpen'],
    ['VSS leaf', 'Vehicle.Speed'],
    ['VIN', 'LSVAU2180N2183294'],
    ['VIN 2', 'WVWZZZ1JZXW000001'],
    ['version', '1.2.3-rc.4'],
    ['version with build', 'v2.14.0-beta.3+build.20240501'],
    ['ISO timestamp', '2024-05-01T12:34:56.789Z'],
    ['timestamp with space', '2024-05-01 12:34:56'],
    ['epoch ms', '1714566896000'],
    ['decimal', '3.14159265358979323846'],
    ['file name', 'firmware_v1.2.3.bin'],
    ['path', '/var/log/adx/agent.log'],
    ['windows path', 'C:\\ProgramData\\ADX\\config.yaml'],
    ['URL without credentials', 'https://ingest.example.com/api/v1/upload?batch=42'],
    ['e-mail', 'fleet.ops@example.com'],
    ['CamelCase identifier', 'ThisIsAVeryLongIdentifierName'],
    ['camelCase identifier with digits', 'batteryStateOfHealth95Percent'],
    ['identifier with digits', 'Row1DriverSideWindowPosition'],
    ['i18n key', 'i18nKeyForButtonLabel1'],
    ['snake identifier', 'P0301_misfire_cylinder_1'],
    ['DTC constant', 'DTC_P0301_CYLINDER1_MISFIRE'],
    ['cipher suite', 'TLS_AES_256_GCM_SHA384'],
    ['cipher suite 2', 'ECDHE-RSA-AES128-GCM-SHA256'],
    ['locale', 'de_DE.UTF-8'],
    ['target triple', 'x86_64-linux-gnu'],
    ['distinguished name', 'CN=test,O=Example,C=CN'],
    ['MAC address', '00:1A:2B:3C:4D:5E'],
    ['IPv6', 'fe80::1ff:fe23:4567:890a'],
    ['prose', 'The quick brown fox jumps over the lazy dog'],
    ['repeated', 'AAAAAAAAAAAAAAAAAAAAAAAA'],
    ['sequential', '0123456789abcdef0123456789abcdef'],
    ['periodic', 'abc123abc123abc123abc123'],
    ['placeholder stars', '****************'],
    ['placeholder redacted', '<redacted>'],
    ['env reference', '${TLS_KEY_PASSWORD}'],
    ['digest with label', 'sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08'],
    ['MIME type', 'application/octet-stream'],
    ['user agent', 'adx-agent/0.1.0 (linux; arm64)'],
    ['GB standard', 'GB/T 32960.3-2016'],
  ])('%s', (_name, v) => {
    expect(looksLikeSecretValue(v)).toBe(false)
    expect(looksLikeSecretValue(v, { secretField: true })).toBe(false)
  })

  it.each([
    ['hex digest (a digest is indistinguishable from a key: decided by the field name)', crypto.createHash('sha256').update('fw').digest('hex'), true],
    ['SHA-1 hex', crypto.createHash('sha1').update('fw').digest('hex'), true],
  ])('%s', (_name, v, expected) => {
    expect(looksLikeSecretValue(v)).toBe(expected)
  })
})

describe('helpers', () => {
  it.each([
    ['', true],
    ['***', true],
    ['xxxxxxxx', true],
    ['<secret>', true],
    ['[REDACTED]', true],
    ['$PASSWORD', true],
    ['changeme', true],
    ['null', true],
    ['hunter2', false],
    ['9f86d081884c7d65', false],
  ])('isPlaceholder(%j) → %s', (v, p) => {
    expect(isPlaceholder(v)).toBe(p)
  })

  it('wordlikeFraction and classTransitionRate', () => {
    expect(wordlikeFraction('ThisIsAVeryLongIdentifierName')).toBeGreaterThan(0.8)
    expect(wordlikeFraction('q2Xh0F9kV3s3dLwz8WjP1m6b')).toBeLessThan(0.5)
    expect(classTransitionRate('aaaaBBBB')).toBeCloseTo(1 / 7, 5)
    expect(classTransitionRate('aB1aB1')).toBe(1)
  })

  it('adversarial values terminate (regexes are anchored and backtracking-safe)', () => {
    const inputs = [
      'a/'.repeat(50_000),
      `/${'a/'.repeat(50_000)}`,
      `${'a.'.repeat(50_000)}x`,
      `${'a-'.repeat(50_000)}!`,
      `1${'.1'.repeat(50_000)}-`,
      `${'0'.repeat(100_000)}x`,
      `${'{'.repeat(50_000)}}`,
      `a://${'b:'.repeat(50_000)}`,
      `${'ab '.repeat(33_000)}.exe`,
    ]
    for (const v of inputs) {
      expect(typeof looksLikeSecretValue(v)).toBe('boolean')
      expect(typeof looksLikeSecretValue(v, { secretField: true })).toBe('boolean')
      expect(typeof isPlaceholder(v)).toBe('boolean')
    }
  })
})
