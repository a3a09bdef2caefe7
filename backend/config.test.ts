import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { AdxError, isAdxError } from '../shared/errors.ts'
import { loadConfig, parseConfig } from './config.ts'

const problems = (input: unknown): readonly string[] => {
  try {
    parseConfig(input, '/base')
  } catch (e) {
    expect(isAdxError(e, 'ADX_ERR_CONFIG_INVALID')).toBe(true)
    return (e as AdxError).details
  }
  throw new Error('expected the config to be refused')
}

describe('backend config', () => {
  it('has a default for everything, loopback by default', () => {
    const c = parseConfig({}, '/base')
    expect(c.broker).toEqual({ mode: 'embedded', host: '127.0.0.1', port: 1883, maxPacketBytes: 2 * 1024 * 1024 })
    expect(c.http).toEqual({ host: '127.0.0.1', port: 8080 })
    expect(c.dataDir).toBe('/base/.adx/backend')
    expect(c.store.path).toBe('/base/.adx/backend/backend.sqlite')
    expect(c.signing.privateKeyPath).toBe('/base/.adx/backend/policy-signing-key.pem')
    expect(c.ingest.limits.maxMessageBytes).toBe(1024 * 1024)
    expect(c.policy.lease.persons).toBe(100)
    expect(c.processor.ciio).toBe(false)
  })

  it('resolves relative paths against the config folder', () => {
    const c = parseConfig({ dataDir: 'data', store: { path: '/abs/x.sqlite' } }, '/etc/adx')
    expect(c.dataDir).toBe('/etc/adx/data')
    expect(c.store.path).toBe('/abs/x.sqlite')
  })

  it('names every bad field at once', () => {
    const p = problems({ http: { port: 70000 }, broker: { mode: 'embedded', port: 'x' }, policy: { sumHoldFraction: 2 }, bogus: 1 })
    expect(p.some((x) => x.startsWith('http.port:'))).toBe(true)
    expect(p.some((x) => x.startsWith('broker.port:'))).toBe(true)
    expect(p.some((x) => x.startsWith('policy.sumHoldFraction:'))).toBe(true)
    expect(p.some((x) => x.includes('bogus'))).toBe(true)
  })

  it('checks API accounts', () => {
    expect(problems({ api: { accounts: [{ id: 'a', role: 'officer' }] } })[0]).toMatch(/^api\.accounts\.0: give exactly one of token or tokenSha256/)
    expect(problems({ api: { accounts: [{ id: 'a', role: 'root', token: 'x'.repeat(16) }] } })[0]).toMatch(/^api\.accounts\.0\.role:/)
    expect(problems({ api: { accounts: [{ id: 'a', role: 'viewer', tokenSha256: 'ABC' }] } })[0]).toMatch(/^api\.accounts\.0\.tokenSha256:/)
  })

  it('checks the external broker URL', () => {
    expect(problems({ broker: { mode: 'external', url: 'http://x' } })[0]).toMatch(/^broker\.url:/)
    expect(parseConfig({ broker: { mode: 'external', url: 'mqtts://mq.example.cn:8883' } }, '/').broker).toMatchObject({ clientId: 'adx-backend' })
  })

  it('loads YAML files and reports unreadable or invalid ones', () => {
    const dir = mkdtempSync(join(tmpdir(), 'adx-config-'))
    writeFileSync(join(dir, 'ok.yaml'), 'http:\n  port: 0\ndataDir: d\n')
    expect(loadConfig(join(dir, 'ok.yaml'))).toMatchObject({ http: { port: 0 }, dataDir: join(dir, 'd') })
    writeFileSync(join(dir, 'bad.yaml'), 'http: [\n')
    expect(() => loadConfig(join(dir, 'bad.yaml'))).toThrow(/not valid YAML/)
    expect(() => loadConfig(join(dir, 'missing.yaml'))).toThrow(AdxError)
  })
})
