/**
 * A simulated fleet of real agents against the real backend, then the regulators' audit export:
 * it verifies, and none of the raw identifiers the simulator generated (VINs, ICCIDs, IMSIs,
 * phone numbers, resident ID numbers, driver ids) nor any planted key or certificate is in it.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { verifyAuditExport } from '../../backend/audit/verify.ts'
import { type DemoFleet, startDemoFleet } from '../../simulator/demo-fleet.ts'
import { forbiddenForms, type KeyMaterial } from '../../simulator/key-material.ts'

let d: DemoFleet
let planted: KeyMaterial[] = []

async function settle(): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const busy = d.agents.some((a) => {
      const s = a.core.outbox.stats()
      return s.items - s.held > 0 || s.pendingOps > 0
    })
    if (!busy) return
    await new Promise((r) => setTimeout(r, 100))
  }
}

beforeAll(async () => {
  d = await startDemoFleet({ dir: join(mkdtempSync(join(tmpdir(), 'adx-fleet-audit-')), 'run'), vehicles: 6, seed: 9 })
  const now = Date.now()
  for (const [kind, categories] of [['mnr-approval', ['location']], ['standard-contract', ['*']]] as const)
    await d.api('/api/filings', { method: 'POST', body: { kind, reference: `T-${kind}`, categories, recipients: ['*'], purposes: ['*'], validFromMs: now - 1000, validUntilMs: now + 1e10 } })
  await new Promise((r) => setTimeout(r, 1500))
  planted = (await d.drive(8)).plantedKeys
  await settle()
}, 120_000)

afterAll(async () => {
  await d?.stop()
})

describe('audit export of a simulated fleet', () => {
  it('nothing raw crossed the border: no identifier in any payload or payload id at the sink', () => {
    const crossed = d.sink.received.map((r) => `${r.id}\n${r.body.toString('latin1')}`).join('\n')
    for (const v of d.fleet.vehicles) for (const x of [v.vin, v.iccid, v.imsi]) expect(crossed.includes(x)).toBe(false)
    for (const p of d.fleet.persons) for (const x of [p.phone, p.residentId, p.driverId]) expect(crossed.includes(x)).toBe(false)
    for (const k of planted) for (const f of forbiddenForms(k)) expect(crossed.includes(f)).toBe(false)
  })

  it('verifies and contains no raw identifier, key or certificate', async () => {
    expect(d.sink.ids().size).toBeGreaterThan(20)
    const bundle = (await d.api(`/api/audit/export?year=${new Date().getUTCFullYear()}`)) as { files: Record<string, string> }
    const files = new Map(Object.entries(bundle.files).map(([n, t]) => [n, Buffer.from(t)]))
    const verdict = verifyAuditExport(files, { publicKeyPem: d.backend.signer.publicKeyPem })
    expect(verdict.ok, JSON.stringify(verdict)).toBe(true)
    const text = Object.values(bundle.files).join('\n')
    expect(text).toContain('export-log') // sanity: it is the export we think
    const raw: string[] = []
    for (const v of d.fleet.vehicles) raw.push(v.vin, v.iccid, v.imsi)
    for (const p of d.fleet.persons) raw.push(p.phone, p.residentId, p.driverId)
    for (const r of raw) expect(text.includes(r), `raw identifier ${r.slice(0, 6)}… in the audit export`).toBe(false)
    for (const k of planted) for (const f of forbiddenForms(k)) expect(text.includes(f)).toBe(false)
    expect(text).not.toMatch(/BEGIN [A-Z ]*PRIVATE KEY|BEGIN CERTIFICATE/)
    const records = bundle.files['export-log.jsonl']!.trim().split('\n').length
    expect(records).toBeGreaterThan(20)
  })
})
