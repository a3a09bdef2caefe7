/**
 * The agent end to end over real sockets on 127.0.0.1: an app POSTs through the ingress (curl)
 * or publishes on the local MQTT ingress (mosquitto_pub); the abroad sink (HTTPS, openssl
 * certificate, pinned) receives only the sanitised payload; the stand-in backend (aedes)
 * receives the export record; signed policy is verified; leases; backend outages.
 */
import { execFile } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { pino } from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { vehicleTopic, FLEET_POLICY_TOPIC } from '../../shared/topics.ts'
import { jsonOptions, wire } from '../../shared/wire/index.ts'
import { generateSigningKey } from '../../shared/signature.ts'
import { verifyChain } from './audit-log.ts'
import { startAgent, type RunningAgent } from './daemon.ts'
import { INGRESS_QUEUE, RECORDS_QUEUE } from './queues.ts'
import { startTestBackend, type TestBackend } from './test-backend.ts'
import { cleanPayload, dirtyPayload, haveOpenssl, keyLogPayload, plantedPem, signedPolicy, tempDir, testConfig, testSigner, VIN } from './test-fixtures.ts'
import { startTestSink, type TestSink } from './test-sink.ts'
import type { SigningKey } from '../../shared/signature.ts'

const run = promisify(execFile)
const log = pino({ level: 'silent' })
let cleanup: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => undefined)
  cleanup = []
})

async function until(cond: () => boolean, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (cond()) return
    await new Promise((r) => setTimeout(r, 25))
  }
  throw new Error(`timed out waiting for ${what}`)
}

async function post(port: number, body: unknown): Promise<number> {
  const { stdout } = await run('curl', ['-sS', '--max-time', '20', '-o', '/dev/null', '-w', '%{http_code}', '-X', 'POST', '-H', 'content-type: application/json', '--data-binary', JSON.stringify(body), `http://127.0.0.1:${port}/v1/payloads`])
  return Number(stdout)
}

interface World {
  dir: string
  signer: SigningKey
  sink: TestSink
  backend: TestBackend | undefined
  agent: RunningAgent
}

async function world(o: { backend?: boolean; backendPort?: number; over?: Record<string, unknown>; lease?: boolean } = {}): Promise<World> {
  const dir = tempDir()
  const signer = testSigner()
  const sink = await startTestSink(dir)
  cleanup.push(() => sink.close())
  const backend = o.backend === false ? undefined : await startTestBackend(o.backendPort ?? 0)
  if (backend) cleanup.push(() => backend.close())
  if (backend && o.lease !== false) await backend.publish(vehicleTopic('veh-1', 'policy'), signedPolicy(signer, { vehiclePseudonym: 'veh-1', version: 1, lease: { leaseId: 'L1', newPersons: 100, newSensitivePersons: 100, newVehicleAllowed: true, expiresMs: Date.now() + 3_600_000 } }))
  const config = testConfig(dir, signer, {
    backend: { url: `mqtt://127.0.0.1:${backend?.port ?? o.backendPort ?? 1}`, password: 'pw', policyPublicKey: signer.publicKeyPem },
    destinations: [{ name: 'oem-eu', region: 'abroad', recipient: 'CN=sink.test', transport: 'https', url: sink.url, pinSha256: sink.fingerprint }],
    ingress: { http: { port: 0 }, mqtt: { port: 0 } },
    ...o.over,
  })
  const agent = await startAgent(config, { log, uplink: { resendMs: 2000, reconnectMs: 300 } })
  cleanup.push(() => agent.stop())
  return { dir, signer, sink, backend, agent }
}

describe.skipIf(!haveOpenssl())('agent end to end', () => {
  it('sanitised payload abroad, export record and incidents at the backend', async () => {
    const w = await world()
    const pem = plantedPem()
    await until(() => w.agent.core.keeper.version === 1, 'vehicle policy')
    expect(await post(w.agent.httpPort, dirtyPayload('e1', 'oem-eu'))).toBe(202)
    expect(await post(w.agent.httpPort, keyLogPayload('e2', 'oem-eu', pem))).toBe(202)
    await until(() => w.sink.received.length === 2, 'sink')
    for (const r of w.sink.received) {
      const json = JSON.stringify(wire.OutboundPayload.toObject(wire.OutboundPayload.decode(r.body), jsonOptions))
      const text = r.body.toString('latin1') + json
      expect(text).not.toContain('PRIVATE KEY')
      expect(text).not.toContain(pem.split('\n')[1]!)
      expect(text).not.toContain('actuatorWrites')
      expect(text).not.toContain('IsLocked')
      expect(text).not.toContain(VIN)
      expect(json).toContain('psn:vin:')
    }
    expect(w.sink.received.map((r) => r.id)).toEqual(['e1', 'e2'])
    await until(() => w.backend!.records.length === 2, 'records')
    expect(w.backend!.records.map((r) => r.payloadId)).toEqual(['e1', 'e2'])
    expect(w.backend!.records[0]).toMatchObject({ destination: 'oem-eu', vehiclePseudonym: 'veh-1', strippedItems: 1 })
    await until(() => w.backend!.incidents.length === 2, 'incidents')
    expect(w.backend!.incidents.map((i) => i.type).sort()).toEqual(['ADX_INC_CONTROL_AT_EGRESS', 'ADX_INC_KEY_MATERIAL_AT_EGRESS'])
    // Scope travels with the incident: the overseas recipient, and persons only as pseudonyms.
    for (const i of w.backend!.incidents) {
      expect(i.recipients).toEqual(['CN=sink.test'])
      for (const p of i.subjectPseudonyms ?? []) expect(p).toMatch(/^psn:/)
    }
    await until(() => w.agent.core.outbox.stats().items === 0, 'everything acknowledged')
  })

  it('important data held for lack of a filing: held in the outbox, one incident per rules and day', async () => {
    const w = await world()
    await until(() => w.agent.core.keeper.version === 1, 'vehicle policy')
    const located = (id: string) => ({
      id, vehicleId: VIN, createdMs: Date.now(), destination: 'oem-eu', purpose: 'fleet-quality',
      telemetry: { samples: [{ path: 'Vehicle.CurrentLocation.Latitude', value: { number: 31.2 } }, { path: 'Vehicle.CurrentLocation.Longitude', value: { number: 121.4 } }] },
    })
    expect(await post(w.agent.httpPort, located('g1'))).toBe(202)
    expect(await post(w.agent.httpPort, located('g2'))).toBe(202)
    await until(() => w.agent.core.outbox.listHeld().length === 2, 'held')
    expect(w.agent.core.outbox.listHeld().map((h) => h.reasonCode)).toEqual(['ADX_HOLD_NEEDS_FILING', 'ADX_HOLD_NEEDS_FILING'])
    await until(() => w.backend!.incidents.some((i) => i.type === 'ADX_INC_IMPORTANT_DATA_HELD'), 'incident')
    await new Promise((r) => setTimeout(r, 300))
    const held = w.backend!.incidents.filter((i) => i.type === 'ADX_INC_IMPORTANT_DATA_HELD')
    expect(held).toHaveLength(1)
    expect(held[0]).toMatchObject({ reasonCode: 'ADX_HOLD_NEEDS_FILING', recipients: ['CN=sink.test'] })
    expect(w.sink.received).toHaveLength(0)
  })

  it('MQTT ingress: mosquitto_pub at QoS 1 (PUBACK after the durable enqueue)', async (ctx) => {
    const have = await run('mosquitto_pub', ['--help']).then(() => true, (e: { code?: string | number }) => e.code !== 'ENOENT')
    if (!have) {
      if (process.env.CI === 'true') throw new Error('mosquitto_pub is required in CI')
      console.warn('SKIPPED: mosquitto_pub not on PATH')
      ctx.skip()
    }
    const w = await world()
    await until(() => w.agent.core.keeper.version === 1, 'vehicle policy')
    await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(w.agent.mqttPort), '-q', '1', '-t', 'adx/v1/local/payloads', '-m', JSON.stringify(dirtyPayload('m1', 'oem-eu'))])
    await until(() => w.sink.received.length === 1, 'sink')
    expect(w.sink.received[0]!.id).toBe('m1')
    await expect(run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(w.agent.mqttPort), '-q', '1', '-t', 'other/topic', '-m', '{}'])).rejects.toBeDefined()
  })

  it('backend unreachable: records wait, then drain in order when it returns', async () => {
    const probe = await startTestBackend(0)
    const port = probe.port
    await probe.close()
    const w = await world({ backend: false, backendPort: port, lease: false })
    for (let i = 0; i < 30; i++) expect(await post(w.agent.httpPort, dirtyPayload(`o${i}`, 'oem-eu'))).toBe(202)
    await until(() => w.sink.received.length === 30, 'sink while the backend is away')
    expect(w.agent.core.outbox.stats().destinations[RECORDS_QUEUE]?.items).toBe(30)
    const backend = await startTestBackend(port)
    cleanup.push(() => backend.close())
    await until(() => w.agent.core.outbox.stats().destinations[RECORDS_QUEUE] === undefined, 'records drained', 30_000)
    const ids = backend.records.map((r) => r.payloadId)
    expect([...new Set(ids)]).toEqual(Array.from({ length: 30 }, (_, i) => `o${i}`))
  })

  it('stops cleanly while the backend has gone away mid-stream; restart resumes and drains', async () => {
    const w = await world()
    await until(() => w.agent.core.keeper.version === 1, 'vehicle policy')
    for (let i = 0; i < 5; i++) expect(await post(w.agent.httpPort, dirtyPayload(`g${i}`, 'oem-eu'))).toBe(202)
    await until(() => w.backend!.records.length === 5, 'first records')
    const port = w.backend!.port
    await w.backend!.close()
    for (let i = 5; i < 10; i++) expect(await post(w.agent.httpPort, dirtyPayload(`g${i}`, 'oem-eu'))).toBe(202)
    await until(() => w.sink.received.length === 10, 'sink')
    await w.agent.stop()
    const backend = await startTestBackend(port)
    cleanup.push(() => backend.close())
    const again = await startAgent(w.agent.core.config, { log, uplink: { resendMs: 2000, reconnectMs: 300 } })
    cleanup.push(() => again.stop())
    await until(() => again.core.outbox.stats().destinations[RECORDS_QUEUE] === undefined, 'records drained after restart')
    expect(backend.records.map((r) => r.payloadId)).toEqual(expect.arrayContaining(['g5', 'g6', 'g7', 'g8', 'g9']))
    expect(w.sink.received.length).toBe(10)
  })

  it('evict-low-priority: metadata evicts undeliverable payloads; the eviction reaches the backend and is confirmed', async () => {
    const w = await world({ over: { outbox: { maxItems: 10, maxBytes: 1 << 20, whenFull: 'evict-low-priority' } } })
    await until(() => w.agent.core.keeper.version === 1, 'vehicle policy')
    await w.sink.close() // the destination is unreachable: outputs pile up
    let accepted = 0
    for (let i = 0; i < 16; i++) if ((await post(w.agent.httpPort, dirtyPayload(`v${i}`, 'oem-eu'))) === 202) accepted++
    expect(accepted).toBeGreaterThan(0)
    await until(() => w.backend!.incidents.some((i) => i.type === 'ADX_INC_OUTBOX_EVICTED'), 'eviction incident at the backend')
    await until(() => w.agent.core.outbox.pendingIncidents().length === 0, 'eviction confirmed after the Ack')
  })

  it('tampered or wrongly signed policy: rejected, last good kept, incident raised', async () => {
    const w = await world()
    await until(() => w.agent.core.keeper.version === 1, 'vehicle policy')
    const good = signedPolicy(w.signer, { version: 5, heldCategories: [] })
    await w.backend!.publish(FLEET_POLICY_TOPIC, good)
    await until(() => w.agent.core.keeper.version === 5, 'fleet policy v5')
    const tampered = Buffer.from(signedPolicy(w.signer, { version: 6, heldCategories: ['vehicle-operating'] }))
    tampered[8] = tampered[8]! ^ 0xff
    await w.backend!.publish(FLEET_POLICY_TOPIC, tampered)
    await w.backend!.publish(FLEET_POLICY_TOPIC, signedPolicy(generateSigningKey(), { version: 7 }))
    await w.backend!.publish(FLEET_POLICY_TOPIC, signedPolicy(w.signer, { version: 3 }))
    await until(() => w.backend!.incidents.filter((i) => i.type === 'ADX_INC_POLICY_SIGNATURE').length === 3, 'three policy incidents')
    expect(w.agent.core.keeper.version).toBe(5)
    expect(w.backend!.incidents.map((i) => i.reasonCode).sort()).toEqual(expect.arrayContaining(['older-version']))
    // The last good policy is in force: nothing is held.
    expect(await post(w.agent.httpPort, dirtyPayload('t1', 'oem-eu'))).toBe(202)
    await until(() => w.sink.received.length === 1, 'sink')
  })

  it('lease: new persons wait held when the lease is exhausted and go when a new lease arrives', async () => {
    const w = await world({ lease: false })
    const phone = (id: string, n: string) => ({ id, vehicleId: VIN, destination: 'oem-eu', purpose: 'fleet-quality', diagnostic: { logs: [{ ecu: 'TBOX', text: `owner phone 1381234${n} called` }] } })
    await w.backend!.publish(vehicleTopic('veh-1', 'policy'), signedPolicy(w.signer, { vehiclePseudonym: 'veh-1', version: 1, lease: { leaseId: 'L1', newPersons: 1, newSensitivePersons: 0, newVehicleAllowed: true, expiresMs: Date.now() + 3_600_000 } }))
    await until(() => w.agent.core.keeper.version === 1, 'lease L1')
    expect(await post(w.agent.httpPort, phone('l1', '5678'))).toBe(202)
    expect(await post(w.agent.httpPort, phone('l2', '5679'))).toBe(202)
    expect(await post(w.agent.httpPort, phone('l3', '5678'))).toBe(202) // a known person: no lease needed
    await until(() => w.sink.received.length === 2 && w.agent.core.outbox.listHeld(INGRESS_QUEUE).length === 1, 'l1 and l3 sent, l2 held')
    expect(w.agent.core.outbox.listHeld(INGRESS_QUEUE)[0]).toMatchObject({ reasonCode: 'ADX_HOLD_LEASE_EXHAUSTED' })
    expect(w.agent.core.state.leaseUse('L1')).toEqual({ persons: 1, sensitive: 0 })
    await w.backend!.publish(vehicleTopic('veh-1', 'policy'), signedPolicy(w.signer, { vehiclePseudonym: 'veh-1', version: 2, lease: { leaseId: 'L2', newPersons: 5, newSensitivePersons: 0, newVehicleAllowed: true, expiresMs: Date.now() + 3_600_000 } }))
    await until(() => w.sink.received.length === 3, 'l2 sent under L2')
    expect(w.sink.received.map((r) => r.id)).toEqual(['l1', 'l3', 'l2'])
    expect(w.agent.core.state.leaseUse('L2')).toEqual({ persons: 1, sensitive: 0 })
  })

  it('library API submit(), heartbeats, a verifiable audit chain, clean stop', async () => {
    const w = await world({ over: { heartbeatSeconds: 1 } })
    await until(() => w.agent.core.keeper.version === 1, 'vehicle policy')
    await expect(w.agent.submit(cleanPayload('s1', 'oem-eu'))).resolves.toMatchObject({ id: 's1', status: 'queued' })
    await until(() => w.sink.received.length === 1, 'sink')
    await until(() => w.backend!.heartbeats > 0, 'a heartbeat')
    await w.agent.stop()
    await w.agent.stop()
    const chain = verifyChain(w.agent.core.config.audit.dir)
    expect(chain).toMatchObject({ ok: true })
    expect(chain.entries).toBeGreaterThanOrEqual(2)
    const text = readdirSync(w.agent.core.config.audit.dir).map((f) => readFileSync(join(w.agent.core.config.audit.dir, f), 'utf8')).join('')
    expect(text).not.toContain(VIN)
    expect(text).toContain('"event":"send"')
  })
})
