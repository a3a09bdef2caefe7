/**
 * HTTP ingress + pipeline over a real socket with curl: 202 only after the payload is durable,
 * JSON errors with codes, 507 when the outbox is full (with an incident), unknown destination
 * held with an incident, abroad output sanitised.
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pino } from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { jsonOptions, wire } from '../../../shared/wire/index.ts'
import { evictionIncident, evictionIncidentId, openCore, type Core } from '../core.ts'
import { queueIncident } from '../incidents.ts'
import { Pipeline } from '../pipeline.ts'
import { INCIDENTS_QUEUE, INGRESS_QUEUE, RECORDS_QUEUE } from '../queues.ts'
import { dirtyPayload, keyLogPayload, plantedPem, signedPolicy, tempDir, testConfig, testSigner, VIN } from '../test-fixtures.ts'
import { joinDelimited } from './batch.ts'
import { HttpIngress } from './http.ts'

const log = pino({ level: 'silent' })
let cleanup: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanup.reverse()) await c()
  cleanup = []
})

async function setup(over: Record<string, unknown> = {}) {
  const dir = tempDir()
  const signer = testSigner()
  const core = await openCore(testConfig(dir, signer, over), log)
  const http = new HttpIngress(core.acceptor, { host: '127.0.0.1', port: 0, maxBodyBytes: 64 * 1024 }, log)
  await http.start()
  const pipeline = new Pipeline({ ...core, destinations: core.config.destinations, vehicleId: 'veh-1' })
  cleanup.push(async () => {
    await http.stop()
    await pipeline.stop()
    await core.close()
  })
  return { dir, signer, core, http, pipeline, url: `http://127.0.0.1:${http.port}/v1/payloads` }
}

const execFileAsync = promisify(execFile)

// curl runs asynchronously: the server under test lives in this process's event loop.
async function curl(url: string, body: string, type = 'application/json', file?: string): Promise<{ status: number; json: Record<string, any> }> {
  const args = ['-sS', '-o', '-', '-w', '\n%{http_code}', '-X', 'POST', '-H', `content-type: ${type}`]
  if (file) args.push('--data-binary', `@${file}`)
  else args.push('--data-binary', body)
  const { stdout: out } = await execFileAsync('curl', ['--max-time', '20', ...args, url], { encoding: 'utf8' })
  const i = out.lastIndexOf('\n')
  return { status: Number(out.slice(i + 1)), json: JSON.parse(out.slice(0, i) || '{}') }
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (cond()) return
    await new Promise((r) => setTimeout(r, 20))
  }
  throw new Error(`timed out waiting for ${what}`)
}

function count(core: Core, dest: string): number {
  return core.outbox.stats().destinations[dest]?.items ?? 0
}

describe('HTTP ingress', () => {
  it('202 after a durable enqueue (JSON and protobuf); idempotent on id', async () => {
    const { core, url, dir } = await setup()
    const r = (await curl(url, JSON.stringify(dirtyPayload('p1', 'oem-eu'))))
    expect(r).toMatchObject({ status: 202, json: { id: 'p1', destination: 'oem-eu', status: 'queued' } })
    expect(core.outbox.get(INGRESS_QUEUE, 'oem-eu|p1')).not.toBeNull()
    const pb = wire.OutboundPayload.encode(wire.OutboundPayload.fromObject(dirtyPayload('p2', 'oem-eu'))).finish()
    writeFileSync(join(dir, 'p2.pb'), pb)
    expect((await curl(url, '', 'application/x-protobuf', join(dir, 'p2.pb'))).status).toBe(202)
    expect((await curl(url, JSON.stringify(dirtyPayload('p1', 'oem-eu')))).json.status).toBe('duplicate')
    expect(count(core, INGRESS_QUEUE)).toBe(2)
  })

  it('clear JSON errors with codes', async () => {
    const { url } = await setup()
    expect((await curl(url, '{not json'))).toMatchObject({ status: 400, json: { error: { code: 'ADX_ERR_AGENT_PAYLOAD_INVALID' } } })
    expect((await curl(url, '{"destination":"oem-eu"}')).json.error.message).toMatch(/"id"/)
    expect((await curl(url, 'x', 'text/plain'))).toMatchObject({ status: 415, json: { error: { code: 'ADX_ERR_AGENT_MEDIA_TYPE' } } })
    expect((await curl(url, JSON.stringify({ id: 'big', destination: 'oem-eu', opaque: { data: 'A'.repeat(70_000) } })))).toMatchObject({ status: 413, json: { error: { code: 'ADX_ERR_AGENT_PAYLOAD_TOO_LARGE' } } })
    expect((await curl(url.replace('/v1/payloads', '/nope'), '{}'))).toMatchObject({ status: 404, json: { error: { code: 'ADX_ERR_AGENT_NOT_FOUND' } } })
  })

  it('507 ADX_ERR_OUTBOX_FULL when full, and an ADX_INC_OUTBOX_REFUSED incident once there is room', async () => {
    const { core, url } = await setup({ outbox: { maxItems: 10, maxBytes: 1 << 20, whenFull: 'refuse' } })
    let status = 202
    let n = 0
    while (status === 202 && n < 20) status = (await curl(url, JSON.stringify(dirtyPayload(`f${n++}`, 'oem-eu')))).status
    expect(status).toBe(507)
    expect((await curl(url, JSON.stringify(dirtyPayload('again', 'oem-eu')))).json.error.code).toBe('ADX_ERR_OUTBOX_FULL')
    await core.outbox.ack(INGRESS_QUEUE, ['oem-eu|f0', 'oem-eu|f1'])
    await core.flushOutboxIncidents()
    const inc = core.outbox.peek(INCIDENTS_QUEUE, 10).map((i) => wire.Incident.decode(i.body) as unknown as { type: string; count: number })
    expect(inc).toEqual([expect.objectContaining({ type: 'ADX_INC_OUTBOX_REFUSED', count: 2 })])
  })
})

describe('HTTP batch ingress (POST /v1/payloads/batch)', () => {
  it('accepts length-delimited protobuf payloads, each acknowledged in order; 207 when some are refused', async () => {
    const { core, url, dir } = await setup()
    const pb = (id: string) => wire.OutboundPayload.encode(wire.OutboundPayload.fromObject(dirtyPayload(id, 'oem-eu'))).finish()
    const noId = wire.OutboundPayload.encode(wire.OutboundPayload.fromObject({ destination: 'oem-eu' })).finish()
    writeFileSync(join(dir, 'b1.pb'), joinDelimited([pb('b1'), pb('b2'), pb('b3')]))
    const r = await curl(`${url}/batch`, '', 'application/x-protobuf', join(dir, 'b1.pb'))
    expect(r).toMatchObject({ status: 202, json: { results: [{ id: 'b1', status: 'queued' }, { id: 'b2', status: 'queued' }, { id: 'b3', status: 'queued' }] } })
    for (const id of ['b1', 'b2', 'b3']) expect(core.outbox.get(INGRESS_QUEUE, `oem-eu|${id}`)).not.toBeNull()
    writeFileSync(join(dir, 'b2.pb'), joinDelimited([pb('b3'), noId, pb('b4')]))
    const mixed = await curl(`${url}/batch`, '', 'application/x-protobuf', join(dir, 'b2.pb'))
    expect(mixed.status).toBe(207)
    expect(mixed.json.results).toEqual([
      { id: 'b3', destination: 'oem-eu', status: 'duplicate' },
      { error: expect.objectContaining({ code: 'ADX_ERR_AGENT_PAYLOAD_INVALID' }) },
      { id: 'b4', destination: 'oem-eu', status: 'queued' },
    ])
    expect(count(core, INGRESS_QUEUE)).toBe(4)
  })

  it('accepts a JSON array; a framing error refuses the whole request and accepts nothing', async () => {
    const { core, url, dir } = await setup()
    const r = await curl(`${url}/batch`, JSON.stringify([dirtyPayload('j1', 'oem-eu'), dirtyPayload('j2', 'oem-eu')]))
    expect(r).toMatchObject({ status: 202, json: { results: [{ id: 'j1', status: 'queued' }, { id: 'j2', status: 'queued' }] } })
    expect((await curl(`${url}/batch`, JSON.stringify(dirtyPayload('j3', 'oem-eu')))).json.error.code).toBe('ADX_ERR_AGENT_PAYLOAD_INVALID')
    expect((await curl(`${url}/batch`, '[]')).status).toBe(400)
    const pb = wire.OutboundPayload.encode(wire.OutboundPayload.fromObject(dirtyPayload('t1', 'oem-eu'))).finish()
    writeFileSync(join(dir, 'torn.pb'), joinDelimited([pb]).subarray(0, 20))
    expect((await curl(`${url}/batch`, '', 'application/x-protobuf', join(dir, 'torn.pb')))).toMatchObject({ status: 400, json: { error: { code: 'ADX_ERR_AGENT_PAYLOAD_INVALID' } } })
    expect(count(core, INGRESS_QUEUE)).toBe(2)
  })
})

describe('outbox full, evict-low-priority', () => {
  it('backend metadata evicts the oldest payload; the eviction is kept as an incident without taking room', async () => {
    const { core } = await setup({ outbox: { maxItems: 10, maxBytes: 1 << 20, whenFull: 'evict-low-priority' } })
    for (let i = 0; i < 10; i++) await core.outbox.enqueue({ id: `o${i}`, destination: 'oem-eu', priority: 1, body: new Uint8Array([i]) })
    await queueIncident(core.outbox, { type: 'ADX_INC_FAIL_CLOSED', key: 'x', vehiclePseudonym: 'veh-1', detectedMs: Date.now() })
    await core.flushOutboxIncidents()
    expect(core.outbox.get('oem-eu', 'o0')).toBeNull()
    expect(core.outbox.get('oem-eu', 'o1')).not.toBeNull() // reporting the eviction evicted nothing more
    const pending = core.outbox.pendingIncidents()
    expect(pending).toHaveLength(1)
    expect(evictionIncident(pending[0]!, 'veh-1')).toMatchObject({ type: 'ADX_INC_OUTBOX_EVICTED', count: 1, incidentId: evictionIncidentId(pending[0]!.seq) })
  })
})

describe('pipeline', () => {
  it('abroad gets only the sanitised output; a record and incidents go to the backend queues', async () => {
    const { core, url, pipeline } = await setup()
    const pem = plantedPem()
    expect((await curl(url, JSON.stringify(dirtyPayload('a1', 'oem-eu')))).status).toBe(202)
    expect((await curl(url, JSON.stringify(keyLogPayload('a2', 'oem-eu', pem)))).status).toBe(202)
    await pipeline.start()
    await until(() => count(core, 'oem-eu') === 2 && count(core, INGRESS_QUEUE) === 0, 'two outputs, ingress acked')
    for (const item of core.outbox.peek('oem-eu', 10)) {
      const text = Buffer.from(item.body).toString('latin1') + JSON.stringify(wire.OutboundPayload.toObject(wire.OutboundPayload.decode(item.body), jsonOptions))
      expect(text).not.toContain('BEGIN')
      expect(text).not.toContain(pem.split('\n')[1]!)
      expect(text).not.toContain('IsLocked')
      expect(text).not.toContain(VIN)
    }
    expect(count(core, RECORDS_QUEUE)).toBe(2)
    const rec = wire.ExportRecord.decode(core.outbox.peek(RECORDS_QUEUE, 1)[0]!.body) as unknown as Record<string, unknown>
    expect(rec).toMatchObject({ payloadId: 'a1', destination: 'oem-eu', recipient: 'CN=sink.test', vehiclePseudonym: 'veh-1', strippedItems: 1 })
    const types = core.outbox.peek(INCIDENTS_QUEUE, 10).map((i) => (wire.Incident.decode(i.body) as unknown as { type: string }).type).sort()
    expect(types).toEqual(['ADX_INC_CONTROL_AT_EGRESS', 'ADX_INC_KEY_MATERIAL_AT_EGRESS'])
  })

  it('unknown destination: held with a code and an incident', async () => {
    const { core, url, pipeline } = await setup()
    expect((await curl(url, JSON.stringify(dirtyPayload('u1', 'nowhere')))).status).toBe(202)
    await pipeline.start()
    await until(() => core.outbox.listHeld(INGRESS_QUEUE).length === 1, 'held')
    expect(core.outbox.listHeld(INGRESS_QUEUE)[0]).toMatchObject({ reasonCode: 'ADX_HOLD_UNKNOWN_DESTINATION' })
    await until(() => count(core, INCIDENTS_QUEUE) === 1, 'incident')
  })

  it('policy-held payloads are re-inspected when the policy changes', async () => {
    const { core, url, pipeline, signer } = await setup()
    const held = signedPolicy(signer, { version: 1, heldCategories: ['vehicle-operating'] })
    expect(core.keeper.accept('fleet', held)).toMatchObject({ ok: true, changed: true })
    await pipeline.start()
    expect((await curl(url, JSON.stringify(dirtyPayload('h1', 'oem-eu')))).status).toBe(202)
    await until(() => core.outbox.listHeld(INGRESS_QUEUE).length === 1, 'held')
    expect(core.outbox.listHeld(INGRESS_QUEUE)[0]!.reasonCode).toBe('ADX_HOLD_POLICY_HELD')
    // another vehicle's policy (a gateway's member) does not touch this vehicle's held payloads
    expect(await pipeline.reinspectHeld(new Set(['veh-other']))).toBe(0)
    expect(core.outbox.listHeld(INGRESS_QUEUE)).toHaveLength(1)
    expect(core.keeper.accept('fleet', signedPolicy(signer, { version: 2 }))).toMatchObject({ ok: true, changed: true })
    core.bus.emit('policyChanged', { version: 2, leaseId: '' })
    await until(() => count(core, 'oem-eu') === 1, 'released and sent')
    expect(core.outbox.listHeld(INGRESS_QUEUE)).toEqual([])
  })
})
