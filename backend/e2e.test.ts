/**
 * End to end: a real backend (embedded broker on a random loopback port, SQLite in a temp
 * folder), real MQTT clients as vehicles, the HTTP API to check. Covers ingest and counting,
 * redelivery, a malformed message among good ones, restart with exact counts, the ACL, the
 * signed policy, and (when mosquitto_pub is installed) a publish from a non-Node client.
 */
import { execFile, execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { connectAsync, type MqttClient } from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ExportRecord, type FleetPolicy, wire } from '../shared/wire/index.ts'
import { type BackendConfig, parseConfig } from './config.ts'
import { silentLogger } from './log.ts'
import { openSignedPolicy } from './policy/sign.ts'
import { type RunningBackend, startBackend } from './server.ts'

const ADMIN = 'e2e-admin-token-0123456789'
const VIEWER = 'e2e-viewer-token-0123456789'
const cheapScrypt = { N: 1024, r: 8, p: 1 }

let dir: string
let config: BackendConfig
let backend: RunningBackend
const secrets: Record<string, string> = {}
const clients: MqttClient[] = []

async function start(): Promise<RunningBackend> {
  return startBackend(config, { logger: silentLogger(), scrypt: cheapScrypt })
}

async function api(path: string, init: { method?: string; token?: string; body?: unknown } = {}): Promise<{ status: number; json: any }> {
  const res = await fetch(`http://127.0.0.1:${backend.http.port}${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${init.token ?? VIEWER}`, 'content-type': 'application/json' },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  })
  return { status: res.status, json: await res.json() }
}

/** Waits until `check` passes (a synchronisation point, not a timing assertion). */
async function eventually<T>(check: () => Promise<T> | T, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  while (Date.now() < deadline) {
    try {
      return await check()
    } catch (e) {
      last = e
    }
    await new Promise((r) => setTimeout(r, 25))
  }
  throw new Error(`timed out waiting for ${what}: ${(last as Error)?.message ?? last}`)
}

/** A connected vehicle that collects the ids the backend acknowledges. */
interface Vehicle {
  id: string
  client: MqttClient
  acked: Set<string>
  policies: Uint8Array[]
}

async function connectVehicle(id: string): Promise<Vehicle> {
  const client = await connectAsync(`mqtt://127.0.0.1:${backend.broker!.port}`, { username: id, password: secrets[id], clientId: id, reconnectPeriod: 0, connectTimeout: 10_000 })
  clients.push(client)
  const v: Vehicle = { id, client, acked: new Set(), policies: [] }
  client.on('message', (topic, payload) => {
    if (topic === `adx/v1/vehicles/${id}/ack`) for (const x of (wire.Ack.decode(payload) as unknown as { ids: string[] }).ids) v.acked.add(x)
    if (topic === `adx/v1/vehicles/${id}/policy`) v.policies.push(new Uint8Array(payload))
  })
  await client.subscribeAsync([`adx/v1/vehicles/${id}/ack`, `adx/v1/vehicles/${id}/policy`, 'adx/v1/fleet/policy'], { qos: 1 })
  return v
}

function record(vehicle: string, recordId: string, p: Partial<ExportRecord> = {}): ExportRecord {
  return {
    recordId,
    payloadId: `payload-${recordId}`,
    vehiclePseudonym: vehicle,
    exportedMs: Date.now() - 60_000,
    destination: 'oem-eu-cloud',
    recipient: 'oem-eu',
    purpose: 'remote-diagnostics',
    kind: 2,
    categories: ['diagnostic'],
    ruleIds: [],
    subjects: [],
    originalBytes: 1000,
    exportedBytes: 800,
    exemption: null,
    strippedItems: 0,
    cameraKm: 0,
    cameraHours: 0,
    rulePackVersion: '2026.1.0',
    policyVersion: 1,
    leaseId: '',
    ...p,
  }
}

const batch = (records: ExportRecord[]) => wire.ExportRecordBatch.encode(wire.ExportRecordBatch.fromObject({ records })).finish()
const subject = (pseudonym: string, kind = 'phone') => ({ pseudonym, kind, sensitive: false, charging: false })

async function publishRecords(v: Vehicle, records: ExportRecord[]): Promise<void> {
  await v.client.publishAsync(`adx/v1/vehicles/${v.id}/records`, Buffer.from(batch(records)), { qos: 1 })
  await eventually(() => {
    for (const r of records) if (!v.acked.has(r.recordId)) throw new Error(`${r.recordId} not acked`)
  }, `acks of ${records.map((r) => r.recordId).join(', ')}`)
}

async function counts(): Promise<Record<string, Record<string, number>>> {
  const r = await api('/api/status')
  expect(r.status).toBe(200)
  return r.json.counts
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'adx-e2e-'))
  config = parseConfig(
    {
      dataDir: dir,
      http: { host: '127.0.0.1', port: 0 },
      broker: { mode: 'embedded', host: '127.0.0.1', port: 0 },
      api: {
        accounts: [
          { id: 'admin', role: 'admin', token: ADMIN },
          { id: 'viewer', role: 'viewer', token: VIEWER },
        ],
      },
      policy: { reevaluateIntervalMs: 60_000 },
    },
    dir,
  )
  backend = await start()
  for (const id of ['veh-a', 'veh-b', 'veh-m']) {
    const r = await api('/api/vehicles', { method: 'POST', token: ADMIN, body: { vehicleId: id } })
    expect(r.status).toBe(201)
    secrets[id] = r.json.secret
  }
})

afterAll(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)))
  await backend?.stop()
  rmSync(dir, { recursive: true, force: true })
})

describe('ADX backend end to end', () => {
  let a: Vehicle
  let b: Vehicle
  let before: Record<string, Record<string, number>>

  it('ingests batches from two vehicles and counts them exactly', async () => {
    a = await connectVehicle('veh-a')
    b = await connectVehicle('veh-b')
    await publishRecords(a, [
      record('veh-a', 'a-1', { categories: ['diagnostic', 'location'], subjects: [subject('p-1'), subject('p-2', 'vin')] }),
      record('veh-a', 'a-2', { categories: ['media-original'], subjects: [subject('p-1')], cameraKm: 12.5, cameraHours: 0.5 }),
    ])
    await publishRecords(b, [
      record('veh-b', 'b-1', { categories: ['diagnostic'], subjects: [subject('p-2', 'vin'), subject('p-3', 'iccid')] }),
      record('veh-b', 'b-2', { categories: ['charging'], subjects: [{ pseudonym: 'p-4', kind: 'phone', sensitive: true, charging: true }] }),
    ])
    const c = await counts()
    expect(c['persons.pi']).toEqual({ '': 3 })
    expect(c['persons.sensitive']).toEqual({ '': 1 })
    expect(c['persons.vin-iccid']).toEqual({ '': 2 })
    expect(c['persons.charging']).toEqual({ '': 1 })
    expect(c.vehicles).toEqual({ diagnostic: 2, location: 1, 'media-original': 1, charging: 1 })
    expect(c['camera.km']).toEqual({ '': 12.5 })
    expect(c['camera.hours']).toEqual({ '': 0.5 })
    before = c
  })

  it('acknowledges a redelivered batch again and counts nothing twice', async () => {
    a.acked.clear()
    await publishRecords(a, [
      record('veh-a', 'a-1', { categories: ['diagnostic', 'location'], subjects: [subject('p-1'), subject('p-2', 'vin')] }),
      record('veh-a', 'a-2', { categories: ['media-original'], subjects: [subject('p-1')], cameraKm: 12.5, cameraHours: 0.5 }),
    ])
    expect(await counts()).toEqual(before)
  })

  it('rejects a malformed message next to good ones without losing them', async () => {
    const garbage = Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01, 0x02])
    await a.client.publishAsync('adx/v1/vehicles/veh-a/records', garbage, { qos: 1 })
    // A record naming another vehicle is refused on its own; its neighbours are taken.
    await a.client.publishAsync('adx/v1/vehicles/veh-a/records', Buffer.from(batch([record('veh-b', 'forged-1', { subjects: [subject('p-x')] })])), { qos: 1 })
    await publishRecords(a, [record('veh-a', 'a-3', { subjects: [subject('p-5')] })])
    await publishRecords(b, [record('veh-b', 'b-3', { subjects: [subject('p-6')] })])
    expect(a.acked.has('forged-1')).toBe(false)
    const c = await counts()
    expect(c['persons.pi']).toEqual({ '': 5 })
    const incidents = await eventually(async () => {
      const r = (await api('/api/incidents?vehicleId=')).json.incidents as { type: string; reasonCode: string }[]
      const codes = r.filter((i) => i.type === 'ADX_INC_INGEST_REJECTED').map((i) => i.reasonCode)
      if (!codes.includes('ADX_ERR_INGEST_MALFORMED') || !codes.includes('ADX_ERR_INGEST_VEHICLE_MISMATCH')) throw new Error(codes.join())
      return codes
    }, 'ingest incidents')
    expect(incidents).toEqual(expect.arrayContaining(['ADX_ERR_INGEST_MALFORMED', 'ADX_ERR_INGEST_VEHICLE_MISMATCH']))
    const metrics = await fetch(`http://127.0.0.1:${backend.http.port}/metrics`, { headers: { authorization: `Bearer ${VIEWER}` } }).then((r) => r.text())
    expect(metrics).toMatch(/adx_backend_messages_total\{kind="records",result="malformed"\} 1/)
    before = c
  })

  it('hands each vehicle its signed policy with a lease, verifiable with the published key', async () => {
    const { json } = await api('/api/policy')
    const own = await eventually(() => {
      const p = a.policies.map((bytes) => openSignedPolicy(json.publicKeyPem, json.keyId, bytes)).find((x) => x?.vehiclePseudonym === 'veh-a')
      if (!p) throw new Error('no vehicle policy yet')
      return p as FleetPolicy
    }, 'veh-a policy')
    expect(own.lease?.newPersons).toBeGreaterThan(0)
    expect(own.heldCategories).toEqual(expect.arrayContaining(['location', 'sensitive-personal']))
  })

  it('refuses vehicle A publishing as B and subscribing to B\'s policy', async () => {
    const forged = await connectVehicle('veh-a')
    const err = await forged.client.subscribeAsync('adx/v1/vehicles/veh-b/policy', { qos: 1 }).then(
      () => undefined,
      (e: { packet?: { granted?: number[] } }) => e,
    )
    expect(err?.packet?.granted).toEqual([128])
    const closed = new Promise<void>((resolve) => forged.client.once('close', () => resolve()))
    forged.client.publish('adx/v1/vehicles/veh-b/records', Buffer.from(batch([record('veh-b', 'b-forged', { subjects: [subject('p-evil')] })])), { qos: 1 })
    await closed
    // B's own traffic still flows and nothing forged was counted.
    await publishRecords(b, [record('veh-b', 'b-4', { subjects: [subject('p-6')] })])
    expect(await counts()).toEqual(before)
    expect(b.acked.has('b-forged')).toBe(false)
    const incidents = (await api('/api/incidents')).json.incidents as { type: string; detail: string }[]
    expect(incidents.some((i) => i.type === 'ADX_INC_ACL_REFUSED' && i.detail.includes('veh-b/records'))).toBe(true)
    expect(incidents.some((i) => i.type === 'ADX_INC_ACL_REFUSED' && i.detail.includes('veh-b/policy'))).toBe(true)
  })

  it('keeps exact counts across a restart and still deduplicates afterwards', async () => {
    await Promise.all(clients.splice(0).map((c) => c.endAsync(true)))
    await backend.stop()
    backend = await start()
    expect(await counts()).toEqual(before)
    a = await connectVehicle('veh-a')
    await publishRecords(a, [record('veh-a', 'a-1', { categories: ['diagnostic', 'location'], subjects: [subject('p-1'), subject('p-2', 'vin')] })])
    expect(await counts()).toEqual(before)
    await publishRecords(a, [record('veh-a', 'a-9', { subjects: [subject('p-9')] })])
    expect((await counts())['persons.pi']).toEqual({ '': before['persons.pi']!['']! + 1 })
  })

  it('accepts a publish from mosquitto_pub with a provisioned vehicle\'s credentials', async (ctx) => {
    let has = true
    try {
      execFileSync('mosquitto_pub', ['--help'], { stdio: 'ignore' })
    } catch (e) {
      has = (e as { status?: number }).status !== undefined && (e as { code?: string }).code !== 'ENOENT'
    }
    if (!has) {
      if (process.env.CI === 'true') throw new Error('mosquitto_pub is not installed (apt-get install -y mosquitto-clients) and CI=true')
      console.warn('SKIPPED: mosquitto_pub not on PATH; install mosquitto-clients to run the non-Node MQTT client test')
      ctx.skip('mosquitto_pub not on PATH')
    }
    const file = join(dir, 'batch.bin')
    writeFileSync(file, batch([record('veh-m', 'm-1', { subjects: [subject('p-m1'), subject('p-m2')] })]))
    const before2 = (await counts())['persons.pi']!['']!
    await promisify(execFile)('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(backend.broker!.port), '-u', 'veh-m', '-P', secrets['veh-m']!, '-i', 'veh-m', '-q', '1', '-t', 'adx/v1/vehicles/veh-m/records', '-f', file])
    await eventually(async () => {
      if ((await counts())['persons.pi']![''] !== before2 + 2) throw new Error('not counted yet')
    }, 'mosquitto_pub batch counted')
    // Wrong password: refused.
    const refused = await promisify(execFile)('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(backend.broker!.port), '-u', 'veh-m', '-P', 'wrong', '-i', 'veh-m', '-q', '1', '-t', 'adx/v1/vehicles/veh-m/records', '-f', file]).then(
      () => false,
      () => true,
    )
    expect(refused).toBe(true)
  })
})
