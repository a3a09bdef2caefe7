/**
 * Gateways end to end: two gateway agents, each serving three vehicles over one backend
 * connection, against the real backend (embedded broker, ACL) and the abroad sink. Every
 * vehicle's exports are counted under its own id, each vehicle gets its own policy and lease,
 * and a gateway refuses payloads of vehicles it does not serve.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DemoFleet, startDemoFleet } from '../../simulator/demo-fleet.ts'
import { forbiddenForms, type KeyMaterial } from '../../simulator/key-material.ts'

let d: DemoFleet
let planted: KeyMaterial[] = []

async function settle(): Promise<void> {
  for (let i = 0; i < 300; i++) {
    // held too: payloads inspected under a lease issued before the filings wait for the next
    // heartbeat's fresh lease, then go
    const busy = d.agents.some((a) => {
      const s = a.core.outbox.stats()
      return s.items > 0 || s.pendingOps > 0
    })
    if (!busy) return
    await new Promise((r) => setTimeout(r, 100))
  }
}

beforeAll(async () => {
  d = await startDemoFleet({ dir: join(mkdtempSync(join(tmpdir(), 'adx-gateway-')), 'run'), vehicles: 6, seed: 4, vehiclesPerAgent: 3, heartbeatSeconds: 1 })
  const now = Date.now()
  // an assessment too: media with faces of 32 px or more is important data (IDR-MEDIA-FACE)
  for (const [kind, categories] of [['mnr-approval', ['location']], ['standard-contract', ['*']], ['security-assessment', ['*']]] as const)
    await d.api('/api/filings', { method: 'POST', body: { kind, reference: `T-${kind}`, categories, recipients: ['*'], purposes: ['*'], validFromMs: now - 1000, validUntilMs: now + 1e10 } })
  await new Promise((r) => setTimeout(r, 1500))
  planted = (await d.drive(5)).plantedKeys
  await settle()
}, 120_000)

afterAll(async () => {
  await d?.stop()
})

describe('gateways: many vehicles over one connection', () => {
  it('runs two gateway agents for six vehicles', () => {
    expect(d.agents).toHaveLength(2)
    expect(new Set(d.slots.map((s) => s.vehicleId)).size).toBe(6)
    expect(d.slots.every((s) => s.viaGateway)).toBe(true)
  })

  it('every vehicle got its own signed policy with a lease', () => {
    for (const s of d.slots) {
      const keeper = s.agent.core.keeperOf(s.vehicleId)!
      expect(keeper.version, s.vehicleId).toBeGreaterThan(0)
      expect(keeper.effective(Date.now()).leaseId, s.vehicleId).not.toBe('')
    }
  })

  it('the backend counted every vehicle under its own id, none under a gateway id', async () => {
    const bundle = (await d.api(`/api/audit/export?year=${new Date().getUTCFullYear()}`)) as { files: Record<string, string> }
    const lines = bundle.files['export-log.jsonl']!.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
    const vehicles = new Set(lines.map((l) => String((l.entry as Record<string, unknown>).vehicleId)))
    expect([...vehicles].sort()).toEqual(d.slots.map((s) => s.vehicleId).sort())
    const status = (await d.api('/api/status')) as { counts: Record<string, Record<string, number>> }
    expect(Math.max(...Object.values(status.counts.vehicles ?? {}))).toBe(6)
  })

  it('delivered every payload abroad once, ids prefixed with the vehicle, nothing planted crossed', () => {
    expect(d.sink.ids().size).toBe(30)
    for (const id of d.sink.ids()) expect(id).toMatch(/^veh-\d{6}\|/)
    const crossed = d.sink.received.map((r) => `${r.id}\n${r.body.toString('latin1')}`).join('\n')
    for (const v of d.fleet.vehicles) for (const x of [v.vin, v.iccid, v.imsi]) expect(crossed.includes(x)).toBe(false)
    for (const k of planted) for (const f of forbiddenForms(k)) expect(crossed.includes(f)).toBe(false)
  })

  it('a gateway refuses a payload that names no vehicle or one it does not serve', async () => {
    const gw = d.agents[0]!
    const payload = { id: 'x-1', vehicleId: 'LSVAU2180N2183294', destination: 'oem-eu', createdMs: Date.now(), telemetry: { samples: [] } }
    await expect(gw.submit(payload)).rejects.toMatchObject({ code: 'ADX_ERR_AGENT_PAYLOAD_INVALID' })
    await expect(gw.submit(payload, d.slots[5]!.vehicleId)).rejects.toThrow(/name one of the 3 vehicles/)
  })
})
