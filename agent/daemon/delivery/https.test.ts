/**
 * HTTPS delivery over 127.0.0.1 to a sink with an openssl self-signed certificate: the pinned
 * fingerprint is required before any byte of the request; order is kept; 5xx retries, 4xx holds.
 */
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import { pino } from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { openOutbox, type Outbox } from '../../outbox/index.ts'
import { AuditLog } from '../audit-log.ts'
import type { DestinationConfig } from '../config.ts'
import { EventBus } from '../event-bus.ts'
import { haveOpenssl, selfSignedCert, tempDir } from '../test-fixtures.ts'
import { HttpsTransport } from './https.ts'
import { DeliveryWorker, HOLD_DELIVERY_REJECTED } from './worker.ts'

const log = pino({ level: 'silent' })
let cleanup: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanup.reverse()) await c()
  cleanup = []
})

async function sink(dir: string, answer: (n: number, id: string) => number = () => 200) {
  const cert = selfSignedCert(dir)
  const got: string[] = []
  let requests = 0
  const server = https.createServer({ cert: cert.cert, key: cert.key }, (req, res) => {
    const id = String(req.headers['x-adx-payload-id'])
    req.resume()
    req.on('end', () => {
      const status = answer(requests++, id)
      if (status === 200) got.push(id)
      res.writeHead(status).end()
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  cleanup.push(() => new Promise((r) => server.close(() => r())))
  return { cert, got, url: `https://127.0.0.1:${(server.address() as AddressInfo).port}/in`, requests: () => requests }
}

async function worker(dir: string, dest: DestinationConfig): Promise<{ outbox: Outbox; w: DeliveryWorker }> {
  const outbox = await openOutbox({ path: `${dir}/outbox.db`, backoff: { baseMs: 20, capMs: 50 } })
  const bus = new EventBus(log)
  const w = new DeliveryWorker(dest, new HttpsTransport(dest), { outbox, bus, audit: new AuditLog(`${dir}/audit`, 1 << 20), log, vehicleId: 'veh-1', now: Date.now })
  cleanup.push(async () => {
    await w.stop()
    await outbox.close()
  })
  return { outbox, w }
}

const dest = (url: string, pinSha256: string): DestinationConfig => ({ name: 'eu', region: 'abroad', recipient: 'CN=sink.test', transport: 'https', url, pinSha256, purposes: [], timeoutMs: 5000, mqttVersion: 4, maxInFlight: 1 })

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (cond()) return
    await new Promise((r) => setTimeout(r, 20))
  }
  throw new Error(`timed out waiting for ${what}`)
}

describe.skipIf(!haveOpenssl())('HTTPS delivery', () => {
  it('delivers in order to the pinned sink, retrying 5xx with backoff', async () => {
    const dir = tempDir()
    const s = await sink(dir, (n) => (n === 3 ? 503 : 200))
    const { outbox, w } = await worker(dir, dest(s.url, s.cert.fingerprint))
    for (let i = 0; i < 10; i++) await outbox.enqueue({ id: `p${i}`, destination: 'eu', priority: 1, body: new Uint8Array([i]) })
    await w.start()
    await until(() => s.got.length === 10, 'ten deliveries')
    expect(s.got).toEqual(Array.from({ length: 10 }, (_, i) => `p${i}`))
    await until(() => outbox.stats().items === 0, 'acks')
  })

  it('a wrong pin: not one request reaches the server', async () => {
    const dir = tempDir()
    const s = await sink(dir)
    const { outbox, w } = await worker(dir, dest(s.url, 'AB'.repeat(32)))
    await outbox.enqueue({ id: 'x', destination: 'eu', priority: 1, body: new Uint8Array([1]) })
    await w.start()
    await until(() => (outbox.get('eu', 'x')?.attempts ?? 0) >= 2, 'two failed attempts')
    expect(outbox.get('eu', 'x')!.lastError).toMatch(/ADX_ERR_AGENT_TLS_PIN|does not match/)
    expect(s.requests()).toBe(0)
  })

  it('a 4xx refusal is held visibly and does not block the destination', async () => {
    const dir = tempDir()
    const s = await sink(dir, (_n, id) => (id === 'bad' ? 422 : 200))
    const { outbox, w } = await worker(dir, dest(s.url, s.cert.fingerprint))
    for (const id of ['a', 'bad', 'c']) await outbox.enqueue({ id, destination: 'eu', priority: 1, body: new Uint8Array([1]) })
    await w.start()
    await until(() => s.got.length === 2, 'two deliveries')
    expect(s.got).toEqual(['a', 'c'])
    expect(outbox.listHeld('eu')).toEqual([expect.objectContaining({ id: 'bad', reasonCode: HOLD_DELIVERY_REJECTED })])
  })
})
