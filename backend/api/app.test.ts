import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { loadRulePack } from '../../shared/rulepack/load.ts'
import { generateSigningKey } from '../../shared/signature.ts'
import type { Subject } from '../../shared/wire/index.ts'
import { countingPlan } from '../counting/plan.ts'
import { silentLogger } from '../log.ts'
import { createMetrics } from '../metrics.ts'
import { PolicyService } from '../policy/service.ts'
import { openSqliteStore, type SqliteStore } from '../store/sqlite.ts'
import { createApi } from './app.ts'
import type { Account } from './auth.ts'
import { openApiDocument } from './openapi.ts'

const pack = loadRulePack()
const plan = countingPlan(pack)
const signer = generateSigningKey()
const NOW = Date.UTC(2026, 5, 1)
const tokens = { viewer: 'viewer-token-0123456789', officer: 'officer-token-0123456789', admin: 'admin-token-0123456789', abroad: 'abroad-token-0123456789' }

let store: SqliteStore
let app: ReturnType<typeof createApi>
let exports: { account: string; route: string; categories: string[]; subjects: Subject[] }[]
let revoked: string[]
let failExport = false

beforeEach(async () => {
  store = await openSqliteStore(':memory:')
  exports = []
  revoked = []
  failExport = false
  const metrics = createMetrics()
  const policy = new PolicyService({
    store,
    pack,
    plan,
    signer,
    ciio: false,
    options: { lease: { persons: 10, sensitivePersons: 0, ttlMs: 60_000, reportGraceMs: 60_000, renewBeforeMs: 10_000 }, sumHoldFraction: 0.95 },
    publish: async () => undefined,
    log: silentLogger(),
    clock: () => NOW,
  })
  app = createApi({
    store,
    pack,
    policy,
    metrics,
    log: silentLogger(),
    accounts: [
      { id: 'v', role: 'viewer', overseas: false, token: tokens.viewer },
      { id: 'o', role: 'officer', overseas: false, token: tokens.officer },
      { id: 'a', role: 'admin', overseas: false, tokenSha256: (await import('node:crypto')).createHash('sha256').update(tokens.admin).digest('hex') },
      { id: 'hq-munich', role: 'viewer', overseas: true, token: tokens.abroad },
    ],
    signer,
    overseas: {
      recordExport: async (account: Account, route, categories, subjects) => {
        if (failExport) throw new Error('store down')
        exports.push({ account: account.id, route, categories, subjects })
      },
    },
    onVehicleAdded: () => undefined,
    onVehicleRevoked: (id) => revoked.push(id),
    health: async () => ({ store: true, broker: true }),
    clock: () => NOW,
    scrypt: { N: 1024, r: 8, p: 1 },
  })
})
afterEach(async () => {
  await store.close()
})

const call = async (method: string, path: string, token?: keyof typeof tokens, body?: unknown) => {
  const headers: Record<string, string> = {}
  if (token) headers.authorization = `Bearer ${tokens[token]}`
  if (body !== undefined) headers['content-type'] = 'application/json'
  const res = await app.request(path, { method, headers, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) })
  const text = await res.text()
  let json: any
  try {
    json = JSON.parse(text)
  } catch {
    json = text
  }
  return { status: res.status, json }
}

const filing = {
  kind: 'standard-contract',
  reference: 'SC-2026-001',
  categories: ['*'],
  recipients: ['oem-eu'],
  purposes: ['*'],
  validFromMs: NOW - 1000,
  validUntilMs: NOW + 86_400_000,
}

describe('API authentication and roles', () => {
  it('refuses missing and unknown tokens with 401 and a stable code', async () => {
    expect(await call('GET', '/api/status')).toMatchObject({ status: 401, json: { code: 'ADX_ERR_API_UNAUTHENTICATED' } })
    const r = await app.request('/api/status', { headers: { authorization: 'Bearer nope' } })
    expect(r.status).toBe(401)
  })

  it('keeps health and the OpenAPI document public', async () => {
    expect(await call('GET', '/api/health')).toMatchObject({ status: 200, json: { ok: true } })
    expect((await call('GET', '/api/openapi.json')).json.openapi).toBe('3.1.0')
  })

  it('lets a viewer read but not write', async () => {
    expect((await call('GET', '/api/filings', 'viewer')).status).toBe(200)
    expect(await call('POST', '/api/filings', 'viewer', filing)).toMatchObject({ status: 403, json: { code: 'ADX_ERR_API_FORBIDDEN' } })
    expect(await call('POST', '/api/vehicles', 'officer', { vehicleId: 'veh-1' })).toMatchObject({ status: 403 })
  })

  it('answers unknown routes with a JSON 404', async () => {
    expect(await call('GET', '/api/nope', 'viewer')).toMatchObject({ status: 404, json: { code: 'ADX_ERR_API_NOT_FOUND' } })
  })
})

describe('GET /api/status', () => {
  it('reports every count against every limit with alert levels', async () => {
    const { status, json } = await call('GET', '/api/status', 'viewer')
    expect(status).toBe(200)
    expect(json.measure).toBe('exempt')
    expect(json.year).toBe(2026)
    for (const t of pack.thresholds) expect(json.limits.some((l: { id: string }) => l.id === t.id)).toBe(true)
    expect(json.limits.find((l: { id: string }) => l.id === 'T-PI-CONTRACT')).toMatchObject({ count: 0, value: 100_000, comparison: 'gte', maxAllowed: 99_999, alertLevel: null, covered: false })
    expect(json.counts['persons.pi']).toEqual({ '': 0 })
    expect(json.held.map((h: { category: string }) => h.category)).toEqual(['location', 'sensitive-personal'])
    expect(json.alertLevels).toEqual([0.8, 0.95])
  })
})

describe('filings', () => {
  it('validates the body and names every bad field', async () => {
    const r = await call('POST', '/api/filings', 'officer', { ...filing, kind: 'wish', validUntilMs: 1, extra: true })
    expect(r.status).toBe(400)
    expect(r.json.code).toBe('ADX_ERR_API_VALIDATION')
    expect(r.json.details.some((d: string) => d.startsWith('body.kind:'))).toBe(true)
    expect(r.json.details.some((d: string) => d.includes('extra'))).toBe(true)
    const scope = await call('POST', '/api/filings', 'officer', { ...filing, categories: ['location', 'warp-drive'] })
    expect(scope.json.details).toEqual(['body.categories.1: "warp-drive" is not a category, rule, threshold or limit of rule pack 2026.1.0'])
    const until = await call('POST', '/api/filings', 'officer', { ...filing, validUntilMs: filing.validFromMs })
    expect(until.json.details).toEqual(['body.validUntilMs: must be after validFromMs'])
    expect((await call('POST', '/api/filings', 'officer', '{not json')).json.details).toEqual(['body: not a JSON document'])
  })

  it('records, lists and expires a filing; the policy follows', async () => {
    const before = (await call('GET', '/api/status', 'viewer')).json.fleetPolicyVersion
    const created = await call('POST', '/api/filings', 'officer', { ...filing, filingId: 'sc-1' })
    expect(created.status).toBe(201)
    expect(created.json.filing).toMatchObject({ filingId: 'sc-1', kind: 'standard-contract', inForce: true })
    expect(created.json.fleetPolicyVersion).toBeGreaterThan(before)
    expect((await call('POST', '/api/filings', 'officer', { ...filing, filingId: 'sc-1' })).json.code).toBe('ADX_ERR_FILING_EXISTS')
    expect((await call('GET', '/api/status', 'viewer')).json.held).toEqual([])
    const expired = await call('POST', '/api/filings/sc-1/expire', 'officer')
    expect(expired.json.filing.inForce).toBe(false)
    expect((await call('POST', '/api/filings/nope/expire', 'officer')).status).toBe(404)
    expect((await call('GET', '/api/filings', 'viewer')).json.filings).toHaveLength(1)
  })
})

describe('vehicles', () => {
  it('provisions with a one-time secret, lists without it, revokes', async () => {
    const r = await call('POST', '/api/vehicles', 'admin', { vehicleId: 'psn:vin:abc', label: 'test car' })
    expect(r.status).toBe(201)
    expect(r.json.secret).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect((await call('POST', '/api/vehicles', 'admin', { vehicleId: 'psn:vin:abc' })).status).toBe(409)
    expect((await call('POST', '/api/vehicles', 'admin', { vehicleId: 'a/b' })).json.details[0]).toMatch(/^body\.vehicleId:/)
    const list = await call('GET', '/api/vehicles', 'viewer')
    expect(list.json.vehicles).toEqual([expect.objectContaining({ vehicleId: 'psn:vin:abc', label: 'test car', status: 'active' })])
    expect(JSON.stringify(list.json)).not.toContain('scrypt')
    expect((await call('POST', '/api/vehicles/psn:vin:abc/revoke', 'admin')).json.status).toBe('revoked')
    expect(revoked).toEqual(['psn:vin:abc'])
    expect((await call('POST', '/api/vehicles/ghost/revoke', 'admin')).json.code).toBe('ADX_ERR_VEHICLE_UNKNOWN')
  })
})

describe('gateways', () => {
  it('provisions a gateway with a one-time secret and enrols vehicles, provisioning the new ones without a secret', async () => {
    await call('POST', '/api/vehicles', 'admin', { vehicleId: 'veh-old' })
    const r = await call('POST', '/api/gateways', 'admin', { gatewayId: 'gw-1' })
    expect(r.status).toBe(201)
    expect(r.json.secret).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect((await call('POST', '/api/gateways', 'viewer', { gatewayId: 'gw-2' })).status).toBe(403)
    const e = await call('POST', '/api/gateways/gw-1/vehicles', 'admin', { vehicles: ['veh-old', 'veh-new-1', 'veh-new-2'] })
    expect(e.json).toEqual({ gatewayId: 'gw-1', enrolled: 3, provisioned: 2 })
    expect((await store.getVehicle('veh-new-1'))).toMatchObject({ gatewayId: 'gw-1', secretHash: '!gateway-only', kind: 'vehicle' })
    expect((await call('POST', '/api/gateways/ghost/vehicles', 'admin', { vehicles: ['veh-old'] })).json.code).toBe('ADX_ERR_GATEWAY_UNKNOWN')
    expect((await call('POST', '/api/gateways/gw-1/vehicles', 'admin', { vehicles: Array.from({ length: 2001 }, (_, i) => `v-${i}`) })).json.details[0]).toMatch(/^body\.vehicles:/)
    expect((await call('POST', '/api/gateways/gw-1/vehicles', 'admin', { vehicles: ['a/b'] })).json.details[0]).toMatch(/^body\.vehicles\.0:/)
  })
})

describe('reads from abroad are exports', () => {
  it('counts what an overseas account reads, with the persons disclosed', async () => {
    await call('POST', '/api/vehicles', 'admin', { vehicleId: 'veh-1' })
    await call('POST', '/api/vehicles', 'admin', { vehicleId: 'veh-2' })
    expect((await call('GET', '/api/vehicles', 'abroad')).status).toBe(200)
    expect((await call('GET', '/api/status', 'abroad')).status).toBe(200)
    expect(exports).toEqual([
      {
        account: 'hq-munich',
        route: 'vehicles',
        categories: ['vehicle-identifier'],
        subjects: [
          { pseudonym: 'veh-1', kind: 'vin', sensitive: false, charging: false },
          { pseudonym: 'veh-2', kind: 'vin', sensitive: false, charging: false },
        ],
      },
      { account: 'hq-munich', route: 'status', categories: [], subjects: [] },
    ])
    await call('GET', '/api/vehicles', 'viewer')
    expect(exports).toHaveLength(2)
  })

  it('refuses it while the categories it discloses are held, and when it cannot be counted', async () => {
    const members = Array.from({ length: 99_999 }, (_, i) => ['persons.pi', '', `p${i}`] as const)
    await store.ingest([{ vehicleId: 'v', recordId: 'bulk', year: 2026, exportedMs: NOW, recipient: 'r', leaseId: '', body: null, members, sums: [] }], NOW)
    expect(await call('GET', '/api/vehicles', 'abroad')).toMatchObject({ status: 403, json: { code: 'ADX_ERR_API_EXPORT_HELD', details: ['vehicle-identifier'] } })
    expect((await call('GET', '/api/vehicles', 'viewer')).status).toBe(200)
    failExport = true
    expect(await call('GET', '/api/status', 'abroad')).toMatchObject({ status: 500, json: { code: 'ADX_ERR_INTERNAL' } })
  })
})

describe('other endpoints', () => {
  it('serves the signed fleet policy with the verifying key', async () => {
    const r = await call('GET', '/api/policy', 'viewer')
    expect(r.json).toMatchObject({ keyId: signer.keyId, publicKeyPem: signer.publicKeyPem, policy: { vehiclePseudonym: '', rulePackVersion: pack.version } })
    expect(typeof r.json.signedPolicyBase64).toBe('string')
  })

  it('lists incidents and validates the query', async () => {
    await call('GET', '/api/status', 'viewer')
    const r = await call('GET', '/api/incidents?limit=5', 'viewer')
    expect(r.json.incidents.length).toBeGreaterThan(0)
    expect((await call('GET', '/api/incidents?limit=0', 'viewer')).json.details[0]).toMatch(/^query\.limit:/)
  })

  it('exposes Prometheus metrics to viewers', async () => {
    await call('GET', '/api/status', 'viewer')
    const r = await call('GET', '/metrics', 'viewer')
    expect(r.status).toBe(200)
    expect(r.json).toContain('adx_backend_http_requests_total')
    expect((await call('GET', '/metrics')).status).toBe(401)
  })

  it('refuses bodies over 64 KiB', async () => {
    const r = await call('POST', '/api/filings', 'officer', { ...filing, reference: 'x'.repeat(70_000) })
    expect(r).toMatchObject({ status: 400, json: { code: 'ADX_ERR_API_VALIDATION' } })
  })

  it('describes every route in the OpenAPI document', () => {
    const described = new Set<string>()
    for (const [path, ops] of Object.entries(openApiDocument.paths)) for (const m of Object.keys(ops)) described.add(`${m.toUpperCase()} ${path}`)
    const routes = app.routes.filter((r) => r.method !== 'ALL' && r.path !== '/*').map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, '{$1}')}`)
    for (const r of new Set(routes)) expect(described.has(r), r).toBe(true)
  })
})
