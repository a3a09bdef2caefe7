/** Agent configuration: every problem named by field, all at once; env overrides; loopback only. */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { readFileSync } from 'node:fs'
import { generateSigningKey } from '../../shared/signature.ts'
import { isAdxError } from '../../shared/errors.ts'
import { loadAgentConfig, resolveAgentConfig } from './config.ts'

const { publicKeyPem } = generateSigningKey()
const KEY = '00112233445566778899aabbccddeeff'

export function minimalConfig(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    vehicle: { id: 'veh-1' },
    backend: { url: 'mqtt://127.0.0.1:1883', password: 's3cret', policyPublicKey: publicKeyPem },
    pseudonymKey: KEY,
    dataDir: '/tmp/adx-test',
    ingress: { http: { port: 0 } },
    destinations: [{ name: 'eu', region: 'abroad', recipient: 'CN=eu', transport: 'https', url: 'https://127.0.0.1:9/x', pinSha256: 'a'.repeat(64) }],
    ...over,
  }
}

function problems(raw: unknown, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    resolveAgentConfig(raw, env)
  } catch (e) {
    if (isAdxError(e, 'ADX_ERR_AGENT_CONFIG')) return [...e.details]
    throw e
  }
  return []
}

describe('agent config', () => {
  it('accepts a minimal config and fills defaults', () => {
    const c = resolveAgentConfig(minimalConfig())
    expect(c.backend.username).toBe('veh-1')
    expect(c.outbox.whenFull).toBe('refuse')
    expect(c.ingress.http?.host).toBe('127.0.0.1')
    expect(c.pseudonymKey.length).toBe(16)
    expect(c.outboxPath).toBe('/tmp/adx-test/outbox.db')
  })

  it('reports every problem at once, each naming its field', () => {
    const p = problems({
      vehicle: { id: 'bad/id' },
      backend: { url: 'http://x' },
      dataDir: '',
      ingress: { http: { host: '0.0.0.0', port: 70000 } },
      destinations: [{ name: 'eu', region: 'abroad', recipient: 'CN=eu', transport: 'https', url: 'http://x' }],
      bogus: 1,
    })
    const text = p.join('\n')
    for (const field of ['vehicle.id', 'backend.url', 'backend.password', 'backend.policyPublicKey', 'dataDir', 'ingress.http.host', 'ingress.http.port', 'destinations[0].url', 'destinations[0].pinSha256', '(root)'])
      expect(text).toContain(field)
    expect(text).toMatch(/loopback/)
    expect(text).toMatch(/must use TLS/)
  })

  it('rejects non-loopback ingress binds', () => {
    expect(problems(minimalConfig({ ingress: { http: { host: '192.168.1.5', port: 8470 } } })).join()).toMatch(/ingress\.http\.host: must be a loopback/)
    expect(problems(minimalConfig({ ingress: { mqtt: { host: '::', port: 1884 } } })).join()).toMatch(/ingress\.mqtt\.host/)
  })

  it('names a bad pseudonym key and duplicate destinations', () => {
    const d = (minimalConfig().destinations as unknown[])[0]
    const p = problems(minimalConfig({ pseudonymKey: 'abcd', destinations: [d, d] }))
    expect(p.join()).toMatch(/pseudonymKey: .*16 bytes/)
    expect(p.join()).toMatch(/destinations\[1\]\.name: duplicate/)
  })

  it('applies ADX_* environment overrides before validation', () => {
    const raw = minimalConfig()
    delete raw.pseudonymKey
    const c = resolveAgentConfig(raw, { ADX_PSEUDONYM_KEY: 'ff'.repeat(32), ADX_BACKEND_URL: 'mqtts://backend.example:8883', ADX_INGRESS_HTTP_PORT: '8555' })
    expect(c.backend.url).toBe('mqtts://backend.example:8883')
    expect(c.pseudonymKey.length).toBe(32)
    expect(c.ingress.http?.port).toBe(8555)
    expect(problems(raw, { ADX_INGRESS_HTTP_PORT: 'x' }).join()).toMatch(/ADX_INGRESS_HTTP_PORT/)
  })

  it('reads secrets from files and names unreadable ones', () => {
    const dir = mkdtempSync(join(tmpdir(), 'adx-cfg-'))
    writeFileSync(join(dir, 'key'), KEY)
    writeFileSync(join(dir, 'pub.pem'), publicKeyPem)
    const raw = minimalConfig({ pseudonymKey: undefined, pseudonymKeyFile: 'key', backend: { url: 'mqtt://127.0.0.1:1', passwordFile: 'missing', policyPublicKeyFile: 'pub.pem' } })
    writeFileSync(join(dir, 'agent.yaml'), JSON.stringify(raw))
    expect(() => loadAgentConfig(join(dir, 'agent.yaml'), {})).toThrow(/backend\.passwordFile: cannot read "missing"/)
    writeFileSync(join(dir, 'missing'), 'pw\n')
    const c = loadAgentConfig(join(dir, 'agent.yaml'), {})
    expect(c.backend.password).toBe('pw')
    expect(c.backend.policyPublicKeyPem).toContain('BEGIN PUBLIC KEY')
  })

  it('the shipped example validates except for its absent secret files', () => {
    const raw = parse(readFileSync(new URL('../../deploy/agent.example.yaml', import.meta.url), 'utf8'))
    const p = problems(raw)
    expect(p.length).toBeGreaterThan(0)
    expect(p.every((x) => /cannot read/.test(x))).toBe(true)
  })
})
