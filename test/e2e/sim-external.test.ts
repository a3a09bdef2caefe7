/**
 * `adx sim --backend URL`: the simulated fleet against a backend it did not start, provisioned
 * through the API (gateways, enrolment, filings) and checked through the API. Run twice against
 * the same backend: the second run's counts are checked as what it added.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseConfig } from '../../backend/config.ts'
import { type RunningBackend, startBackend } from '../../backend/server.ts'
import { runSimulation } from '../../simulator/sim.ts'

let b: RunningBackend
const token = 'sim-admin-token-0123456789abcdef'
const dir = mkdtempSync(join(tmpdir(), 'adx-sim-external-'))

beforeAll(async () => {
  b = await startBackend(
    parseConfig({ dataDir: join(dir, 'backend'), http: { port: 0 }, broker: { mode: 'embedded', port: 0 }, api: { accounts: [{ id: 'ops', role: 'admin', token }] }, policy: { reevaluateIntervalMs: 1000, lease: { persons: 50, sensitivePersons: 5 } }, log: { level: 'silent' } }, dir),
  )
}, 60_000)
afterAll(async () => {
  await b?.stop()
})

describe('adx sim --backend', () => {
  it('provisions through the API, drives, and checks what it added, twice', async () => {
    const backend = { url: `http://127.0.0.1:${b.http.port}`, token, broker: `mqtt://127.0.0.1:${b.broker!.port}` }
    for (const run of [1, 2]) {
      const s = await runSimulation({ vehicles: 30, messages: 2, perGateway: 10, seed: run, dir: join(dir, `run-${run}`), backend })
      expect(s.agents).toBe(3)
      expect(s.leaks).toEqual([])
      for (const c of s.counts) expect(c.backend, `run ${run}: ${c.name}`).toBe(c.truth)
      expect(s.counts[0]!.truth).toBe(30)
      expect(s.audit.verified).toBe(true)
    }
    expect((await b.store.listVehicles({ kind: 'gateway' })).length).toBe(6)
  }, 120_000)
})
