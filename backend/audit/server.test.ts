/**
 * The wiring in a running backend: the hash-chained logs fill from the store and stream to the
 * log output, officers update incidents and download a verifiable audit bundle over HTTP.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { splitLines } from '../../shared/hash-chain.ts'
import { parseConfig } from '../config.ts'
import { type RunningBackend, startBackend } from '../server.ts'
import { readAuditExport, verifyAuditExport } from './verify.ts'

const OFFICER = 'srv-officer-token-0123456789'
const ABROAD = 'srv-abroad-token-0123456789'
const NOW = Date.UTC(2026, 4, 1)

let dir: string
let backend: RunningBackend
const logged: Array<Record<string, unknown>> = []

async function eventually<T>(check: () => T | Promise<T>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  while (Date.now() < deadline) {
    try {
      return await check()
    } catch (e) {
      last = e
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`timed out waiting for ${what}: ${(last as Error)?.message ?? last}`)
}

const api = async (path: string, token: string, init: { method?: string; body?: unknown } = {}) => {
  const res = await fetch(`http://127.0.0.1:${backend.http.port}${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  })
  return { status: res.status, json: (await res.json()) as any }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'adx-audit-srv-'))
  const config = parseConfig(
    {
      dataDir: dir,
      http: { port: 0 },
      broker: { mode: 'embedded', port: 0 },
      api: {
        accounts: [
          { id: 'officer-li', role: 'officer', token: OFFICER },
          { id: 'hq-munich', role: 'viewer', token: ABROAD, overseas: true },
        ],
      },
    },
    dir,
  )
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n')) if (line) logged.push(JSON.parse(line) as Record<string, unknown>)
      done()
    },
  })
  backend = await startBackend(config, { logger: pino({ level: 'info' }, sink), clock: () => NOW })
})
afterAll(async () => {
  await backend?.stop()
  rmSync(dir, { recursive: true, force: true })
})

describe('backend wiring', () => {
  it('logs exports and incidents in hash chains, streams them, and serves a verifiable audit bundle', async () => {
    // An overseas account's read is an export: it reaches the export log.
    expect((await api('/api/filings', ABROAD)).status).toBe(200)
    const exportLog = join(dir, 'logs', 'export-log.jsonl')
    await eventually(() => expect(existsSync(exportLog) && splitLines(readFileSync(exportLog, 'utf8')).length).toBe(1), 'export log line')
    expect(JSON.parse(splitLines(readFileSync(exportLog, 'utf8'))[0]!).entry).toMatchObject({ recipient: 'hq-munich', purpose: 'api-read filings' })

    await backend.store.addIncident({ vehicleId: 'veh-9', incidentId: 'k-1', type: 'ADX_INC_KEY_MATERIAL_AT_EGRESS', detectedMs: NOW - 1000, receivedMs: NOW, payloadId: 'p', reasonCode: 'ADX_INC_KEY_MATERIAL_AT_EGRESS', detail: 'removed', categories: [], count: 1 })
    const { json } = await api('/api/incidents?vehicleId=veh-9', OFFICER)
    const id = json.incidents[0].id as string
    expect((await api(`/api/incidents/${id}`, OFFICER, { method: 'POST', body: { state: 'contained', note: 'stopped' } })).status).toBe(200)
    const emergencyLog = join(dir, 'logs', 'emergency-response.jsonl')
    await eventually(() => {
      const events = splitLines(readFileSync(emergencyLog, 'utf8')).map((l) => JSON.parse(l).entry)
      expect(events.filter((e) => e.incident.vehicleId === 'veh-9').map((e) => [e.event, e.by])).toEqual([
        ['detected', 'vehicle'],
        ['contained', 'officer-li'],
      ])
    }, 'emergency-response log lines')
    expect(logged.some((l) => l.chain === 'emergency-response')).toBe(true)
    expect(logged.some((l) => l.chain === 'export-log')).toBe(true)

    const bundle = await api('/api/audit/export?year=2026', OFFICER)
    expect(bundle.status).toBe(200)
    const path = join(dir, 'bundle.json')
    writeFileSync(path, JSON.stringify(bundle.json))
    const v = verifyAuditExport(readAuditExport(path), { publicKeyPem: backend.signer.publicKeyPem })
    expect(v).toMatchObject({ ok: true })
    const manifest = JSON.parse(bundle.json.files['manifest.json'])
    expect(manifest.liveLogs.exports).toMatchObject({ ok: true })
    // The overseas account may not download the audit export.
    expect((await api('/api/audit/export?year=2026', ABROAD)).status).toBe(403)
  })
})
