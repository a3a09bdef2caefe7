/**
 * ADX_INC_AGENT_OFFLINE_HELD end to end: a vehicle reports held payloads in its heartbeat,
 * goes offline, and the backend raises the incident once the configured time has passed —
 * and not for a vehicle that holds nothing.
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
