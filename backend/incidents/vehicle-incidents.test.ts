/**
 * Vehicle incidents end to end over MQTT: an agent's incident keeps its scope (persons as
 * pseudonyms, overseas recipients) through ingest to the officer's view; and
 * ADX_INC_AGENT_OFFLINE_HELD: a vehicle reports held payloads in its heartbeat, goes offline,
 * and the backend raises the incident once the configured time has passed — and not for a
 * vehicle that holds nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connectAsync } from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { wire } from '../../shared/wire/index.ts'
import { parseConfig } from '../config.ts'
import { silentLogger } from '../log.ts'
import { type RunningBackend, startBackend } from '../server.ts'
import { generateSecret, hashSecret } from '../vehicles/credentials.ts'

let dir: string
let backend: RunningBackend
const secrets: Record<string, string> = {}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'adx-offline-'))
  const config = parseConfig(
    {
      dataDir: dir,
      http: { port: 0 },
      broker: { mode: 'embedded', port: 0 },
      policy: { reevaluateIntervalMs: 200 },
      incidents: { offlineHeldAfterMs: 300 },
      log: { level: 'silent' },
    },
    dir,
  )
  backend = await startBackend(config, { logger: silentLogger(), scrypt: { N: 1024, r: 8, p: 1 } })
  for (const id of ['veh-holding', 'veh-empty']) {
    secrets[id] = generateSecret()
    await backend.store.addVehicle({ vehicleId: id, label: '', secretHash: await hashSecret(secrets[id]!, { N: 1024, r: 8, p: 1 }), createdMs: Date.now() })
  }
})

afterAll(async () => {
  await backend?.stop()
  rmSync(dir, { recursive: true, force: true })
})

async function heartbeatAndLeave(id: string, heldPayloads: number): Promise<void> {
  const c = await connectAsync(`mqtt://127.0.0.1:${backend.broker!.port}`, { username: id, password: secrets[id], clientId: id, reconnectPeriod: 0 })
  const hb = wire.Heartbeat.encode(wire.Heartbeat.fromObject({ vehiclePseudonym: id, sentMs: Date.now(), heldPayloads })).finish()
  await c.publishAsync(`adx/v1/vehicles/${id}/heartbeats`, Buffer.from(hb), { qos: 1 })
  await c.endAsync()
}

describe('incident scope', () => {
  it('keeps the persons and recipients an agent reports, and shows them in the view', async () => {
    const id = 'veh-holding'
    const c = await connectAsync(`mqtt://127.0.0.1:${backend.broker!.port}`, { username: id, password: secrets[id], clientId: id, reconnectPeriod: 0 })
    const inc = wire.Incident.encode(
      wire.Incident.fromObject({
        incidentId: 'inc-scope-1', type: 'ADX_INC_KEY_MATERIAL_AT_EGRESS', vehiclePseudonym: id, detectedMs: Date.now(), count: 2,
        categories: ['key-material'], recipients: ['CN=oem-eu.example'], subjectPseudonyms: ['psn:driver-id:00112233445566778899'],
      }),
    ).finish()
    await c.publishAsync(`adx/v1/vehicles/${id}/incidents`, Buffer.from(inc), { qos: 1 })
    await c.endAsync()
    const deadline = Date.now() + 10_000
    let row: { recipients?: string[]; subjects?: string[] } | undefined
    while (!row && Date.now() < deadline) {
      row = (await backend.store.listIncidents({})).find((i: { incidentId: string }) => i.incidentId === 'inc-scope-1')
      if (!row) await new Promise((r) => setTimeout(r, 50))
    }
    expect(row?.recipients).toEqual(['CN=oem-eu.example'])
    expect(row?.subjects).toEqual(['psn:driver-id:00112233445566778899'])
    const { viewIncident } = await import('./lifecycle.ts')
    const { gradeTable } = await import('./grades.ts')
    const { loadRulePack } = await import('../../shared/rulepack/load.ts')
    const rec = (await backend.store.listIncidentRecords({ limit: 100 })).find((r: { incidentId: string }) => r.incidentId === 'inc-scope-1')!
    const view = viewIncident(rec, gradeTable(loadRulePack(), { grades: {}, reportWithinMinutes: {}, offlineHeldAfterMs: 1 }), Date.now())
    expect(view.scope.persons).toEqual({ count: 1, pseudonyms: ['psn:driver-id:00112233445566778899'] })
    expect(view.scope.recipients).toEqual({ count: 1, ids: ['CN=oem-eu.example'] })
  })
})

describe('agent offline with held data', () => {
  it('raises ADX_INC_AGENT_OFFLINE_HELD for the vehicle holding data, once, and not for the other', async () => {
    await heartbeatAndLeave('veh-holding', 3)
    await heartbeatAndLeave('veh-empty', 0)
    const deadline = Date.now() + 20_000
    let offline: { vehicleId: string; type: string; detail: string }[] = []
    while (Date.now() < deadline) {
      const all = await backend.store.listIncidents({})
      offline = all.filter((i: { type: string }) => i.type === 'ADX_INC_AGENT_OFFLINE_HELD') as typeof offline
      if (offline.length > 0) break
      await new Promise((r) => setTimeout(r, 100))
    }
    expect(offline).toHaveLength(1)
    expect(offline[0]!.detail).toContain('veh-holding')
    expect(offline[0]!.detail).toContain('holding 3 payloads')
    await new Promise((r) => setTimeout(r, 600)) // more ticks: still one incident for this episode
    const again = (await backend.store.listIncidents({})).filter((i: { type: string }) => i.type === 'ADX_INC_AGENT_OFFLINE_HELD')
    expect(again).toHaveLength(1)
  })
})
