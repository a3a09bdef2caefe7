/** Delivery loop: per-vehicle order, a gateway's vehicles side by side, a failing vehicle does not stall the others' batch. */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { openOutbox, type Outbox, type OutboxItem } from '../../outbox/index.ts'
import { AuditLog } from '../audit-log.ts'
import { destinationSchema } from '../config.ts'
import { EventBus } from '../event-bus.ts'
import type { SendResult, Transport } from './transport.ts'
import { DeliveryWorker, lanesOf } from './worker.ts'

const log = pino({ level: 'silent' })
let dir: string | undefined
let outbox: Outbox | undefined
afterEach(async () => {
  await outbox?.close()
  outbox = undefined
  if (dir) rmSync(dir, { recursive: true, force: true })
  dir = undefined
})

/** A transport that answers after `delayMs`, records what arrived and how many were in flight at most. */
class FakeTransport implements Transport {
  received: string[] = []
  inFlight = 0
  maxInFlight = 0
  constructor(private readonly answer: (item: OutboxItem) => SendResult, private readonly delayMs = 5) {}
  async send(item: OutboxItem): Promise<SendResult> {
    this.inFlight++
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight)
    await new Promise((r) => setTimeout(r, this.delayMs))
    this.inFlight--
    const r = this.answer(item)
    if (r.ok) this.received.push(item.id)
    return r
  }
  async close(): Promise<void> {}
}

async function run(ids: string[], transport: FakeTransport, maxInFlight: number, until: () => boolean) {
  const d = mkdtempSync(join(tmpdir(), 'adx-worker-'))
  dir = d
  outbox = await openOutbox({ path: join(d, 'outbox.db'), random: () => 0 })
  for (const id of ids) await outbox.enqueue({ id, destination: 'eu', priority: 1, body: new Uint8Array([1]) })
  const dest = destinationSchema.parse({ name: 'eu', region: 'domestic', recipient: 'CN=eu', transport: 'https', url: 'http://127.0.0.1:1', maxInFlight })
  const worker = new DeliveryWorker(dest, transport, { outbox, bus: new EventBus(log), audit: new AuditLog(join(d, 'audit'), 1 << 20), log, vehicleId: 'gw', now: Date.now })
  await worker.start()
  for (let i = 0; i < 400 && !until(); i++) await new Promise((r) => setTimeout(r, 10))
  await worker.stop()
}

const gatewayIds = (vehicles: number, each: number) => Array.from({ length: vehicles * each }, (_, i) => `v${i % vehicles}|p${Math.floor(i / vehicles)}`)

describe('DeliveryWorker', () => {
  it('groups a batch into lanes per vehicle, each in outbox order', () => {
    const item = (id: string) => ({ id }) as OutboxItem
    expect(lanesOf(['a|1', 'b|1', 'a|2', 'x', 'b|2', 'y'].map(item)).map((l) => l.map((i) => i.id))).toEqual([['a|1', 'a|2'], ['b|1', 'b|2'], ['x', 'y']])
  })

  it('delivers a gateway\'s vehicles side by side, each vehicle in order', async () => {
    const t = new FakeTransport(() => ({ ok: true }))
    const ids = gatewayIds(8, 4)
    await run(ids, t, 4, () => t.received.length === ids.length)
    expect(t.received.sort()).toEqual([...ids].sort())
    expect(t.maxInFlight).toBe(4)
    for (let v = 0; v < 8; v++) expect(t.received.filter((id) => id.startsWith(`v${v}|`))).toEqual([0, 1, 2, 3].map((p) => `v${v}|p${p}`))
  })

  it('one at a time for a single vehicle (no lanes), whatever maxInFlight says', async () => {
    const t = new FakeTransport(() => ({ ok: true }))
    const ids = Array.from({ length: 12 }, (_, i) => `p${String(i).padStart(2, '0')}`)
    await run(ids, t, 8, () => t.received.length === ids.length)
    expect(t.received).toEqual(ids)
    expect(t.maxInFlight).toBe(1)
  })

  it('a vehicle whose payload fails waits (order kept), the other vehicles of the batch go', async () => {
    const t = new FakeTransport((item) => (item.id === 'v1|p0' ? { ok: false, retry: true, error: 'HTTP 503' } : { ok: true }))
    const ids = gatewayIds(3, 2)
    await run(ids, t, 3, () => t.received.length >= 4)
    expect(t.received.sort()).toEqual(['v0|p0', 'v0|p1', 'v2|p0', 'v2|p1'])
    // v1|p1 never overtook v1|p0
    expect(outbox!.peek('eu', 10, Number.MAX_SAFE_INTEGER).map((i) => i.id)).toEqual(['v1|p0', 'v1|p1'])
  })
})
