import crypto from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  fieldNameWords,
  findFieldSecretsInText,
  findUrlCredentials,
  isDigestFieldName,
  isSecretFieldName,
  isSecretMember,
  looksLikeSecretValue,
  secretFieldClass,
} from './secret-field.ts'
import { seededBytes } from '../../../../test/helpers/seeded-bytes.ts'

const randomBytes = seededBytes('secret-field')

describe('fieldNameWords', () => {
  it.each([
    ['signingKey', ['signing', 'key']],
    ['APIKey', ['api', 'key']],
    ['api_key', ['api', 'key']],
    ['x-api-key', ['x', 'api', 'key']],
    ['aes256Key', ['aes', '256', 'key']],
    ['TLS.privateKey', ['tls', 'private', 'key']],
    ['DB_PASSWORD', ['db', 'password']],
    ['keyID', ['key', 'id']],
  ])('%s → %j', (name, words) => {
    expect(fieldNameWords(name)).toEqual(words)
  })
})

describe('isSecretFieldName', () => {
  it.each([
    'key', 'Key', 'KEY', 'secret', 'token', 'password', 'passwd', 'pwd', 'credential', 'credentials',
    'private', 'cert', 'certificate', 'apikey', 'api_key', 'apiKey', 'API-KEY', 'x-api-key', 'auth',
    'authorization', 'seed', 'signingKey', 'signing_key', 'privKey', 'priv_key', 'privateKey', 'publicKey',
    'client_secret', 'clientSecret', 'accessToken', 'refresh-token', 'DB_PASSWORD', 'dbpassword',
    'mysecretvalue', 'aesKey', 'aes256Key', 'hmacKey', 'psk', 'wifiPsk', 'pkcs12', 'p12', 'tls.key', 'key1',
    'ecuSeed', 'jwk', 'bearerToken', 'sessionCookie', 'passphrase', 'pinCode',
  ])('%s is secret-like', (name) => {
    expect(isSecretFieldName(name)).toBe(true)
  })

  it.each([
    'keyId', 'key_id', 'KeyID', 'keyid', 'publicKeyId', 'monkey', 'keyboard', 'tokenCount', 'token_count',
    'tokenizer', 'certified', 'certPath', 'keyFile', 'keyHash', 'passwordHash', 'keyFingerprint', 'certExpiry',
    'keyType', 'keyLength', 'keyVersion', 'authMode', 'authEnabled', 'author', 'passenger', 'passengerCount',
    'secretary', 'seedling', 'sha256', 'hash', 'digest', 'vin', 'speed', 'Vehicle.Speed', 'donkey',
    'turnkey', 'keynote', 'tokenExpiresAt', 'certificateSerial', 'secretName', 'passwordPolicy', '',
  ])('%s is innocuous', (name) => {
    expect(isSecretFieldName(name)).toBe(false)
  })

  it.each([
    ['password', 'always'],
    ['client_secret', 'always'],
    ['credentials', 'always'],
    ['aesKey', 'key'],
    ['token', 'key'],
    ['cert', 'key'],
    ['keyId', undefined],
  ])('secretFieldClass(%s) → %s', (name, cls) => {
    expect(secretFieldClass(name)).toBe(cls)
  })

  it.each([
    ['sha256', true],
    ['firmwareSha256', true],
    ['hash', true],
    ['keyHash', true],
    ['digest', true],
    ['checksum', true],
    ['fingerprint', true],
    ['aesKey', false],
    ['name', false],
  ])('isDigestFieldName(%s) → %s', (name, d) => {
    expect(isDigestFieldName(name)).toBe(d)
  })
})

describe('isSecretMember (field-aware decision)', () => {
  const hex64 = crypto.createHash('sha256').update('firmware').digest('hex')
  it.each([
    ['sha256', hex64, false],
    ['hash', hex64, false],
    ['digest', hex64, false],
    ['firmwareSha256', hex64, false],
    ['keyHash', hex64, false],
    ['aesKey', hex64, true],
    ['key', hex64, true],
    ['secret', hex64, true],
    ['apiKey', '550e8400-e29b-41d4-a716-446655440000', true],
    ['requestId', '550e8400-e29b-41d4-a716-446655440000', false],
    ['password', 'hunter2', true],
    ['password', '********', false],
    ['password', '', false],
    ['password', '${DB_PASSWORD}', false],
    ['totpSeed', 'JBSWY3DPEHPK3PXP', true],
    ['key', 'Vehicle.Speed', false],
    ['key', 'DTC_P0301_CYLINDER1_MISFIRE', false],
    ['key', 'engine_coolant_temp', false],
    ['token', 'none', false],
    ['auth', 'oauth2', false],
    ['certificate', 'valid', false],
    ['token', randomBytes(24).toString('base64url'), true],
    ['keyId', randomBytes(16).toString('hex'), false],
    ['password', 42, false],
  ])('%s = %j → %s', (name, value, expected) => {
    expect(isSecretMember(name, value)).toBe(expected)
  })

  it('re-exports looksLikeSecretValue (the pipeline imports it from here)', () => {
    expect(looksLikeSecretValue(hex64)).toBe(true)
    expect(isSecretFieldName('aesKey') && looksLikeSecretValue(hex64)).toBe(true)
    expect(isSecretFieldName('sha256') && looksLikeSecretValue(hex64)).toBe(false)
  })
})

describe('findFieldSecretsInText', () => {
  const hex = randomBytes(32).toString('hex')
  const tok = randomBytes(24).toString('base64url')
  it.each([
    ['key=value', `connect aesKey=${hex} ok`, [hex]],
    ['password=', 'login user=bob password=hunter2 ok', ['hunter2']],
    ['pwd with colon and symbols', 'pwd: S3cr3t!x', ['S3cr3t!x']],
    ['quoted JSON-ish', `{"client_secret": "${tok}", "user": "x"`, [tok]],
    ['escaped JSON-ish', `"{\\"apiKey\\":\\"${tok}\\"}"`, [tok]],
    ['YAML-ish', `tls:\n  privKey: ${hex}\n`, [hex]],
    ['query string', `GET /v1?api_key=${tok}&vin=LSVAU2180N2183294`, [tok]],
    ['=> syntax', `{ token => '${tok}' }`, [tok]],
    ['two fields', `password=Xy7!pass secret=${tok}`, ['Xy7!pass', tok]],
  ])('%s', (_name, text, values) => {
    const hits = findFieldSecretsInText(text)
    expect(hits.map((h) => text.slice(h.start, h.end))).toEqual(values)
  })

  it.each([
    ['prose after colon', 'error: password: required'],
    ['kv map key', 'key=Vehicle.Speed value=42'],
    ['digest field', `sha256=${hex}`],
    ['keyId', `keyId=${hex}`],
    ['placeholder', 'password=****** user=bob'],
    ['URL scheme', 'token endpoint: https://auth.example.com/token'],
    ['too short', 'pwd=abc'],
  ])('negative: %s', (_name, text) => {
    expect(findFieldSecretsInText(text)).toEqual([])
  })

  it('adversarial input terminates', () => {
    for (const t of ['key='.repeat(25_000), 'password:'.repeat(11_000), `key="${'a'.repeat(100_000)}`, 'secret=a='.repeat(11_000)]) {
      expect(Array.isArray(findFieldSecretsInText(t))).toBe(true)
    }
  })
})

describe('findUrlCredentials', () => {
  it.each([
    ['postgres', 'dsn postgres://admin:s3cr3t@db:5432/x', 's3cr3t'],
    ['mqtt', 'broker=mqtts://tcu-42:Zk8pq9@broker.example.cn:8883', 'Zk8pq9'],
    ['https', 'GET https://u:p4ss@host/x', 'p4ss'],
  ])('%s', (_name, text, pw) => {
    const hits = findUrlCredentials(text)
    expect(hits.map((h) => text.slice(h.start, h.end))).toEqual([pw])
  })

  it.each([
    ['no userinfo', 'https://example.com/a@b'],
    ['user only', 'ssh://git@github.com/x'],
    ['e-mail', 'mailto: someone@example.com'],
    ['port, no user', 'mqtt://10.0.0.1:1883 then mail a@b'],
  ])('negative: %s', (_name, text) => {
    expect(findUrlCredentials(text)).toEqual([])
  })
})
