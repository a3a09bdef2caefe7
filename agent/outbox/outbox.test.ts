import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sqlite from 'node-sqlite3-wasm'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { backoffDelayMs } from './backoff.ts'
import { isOutboxError, OutboxError } from './errors.ts'
import { openOutbox, type Outbox } from './outbox.ts'
import type { EnqueueItem, OutboxIncident, OutboxOptions } from './types.ts'

const root = mkdtempSync(join(tmpdir(), 'adx-outbox-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

let counter = 0
const open: Outbox[] = []
afterEach(async () => {
  for (const o of open.splice(0)) await o.close()
})

/** A fresh outbox in its own directory, with a fake clock and recorded incidents. */
async function fresh(opts: Partial<OutboxOptions> = {}) {
  const dir = join(root, `t${++counter}`)
  mkdirSync(dir)
  const clock = { t: 1_000_000 }
  const incidents: OutboxIncident[] = []
  const path = join(dir, 'outbox.db')
  const o = await openOutbox({ path, now: () => clock.t, random: () => 0.5, onIncident: (i) => incidents.push(i), ...opts })
  open.push(o)
  return { o, clock, incidents, path, dir }
}

async function reopen(o: Outbox, path: string, opts: Partial<OutboxOptions> = {}): Promise<Outbox> {
  await o.close()
  const again = await openOutbox({ path, ...opts })
  open.push(again)
  return again
}

const item = (id: string, destination = 'eu', priority = 1, size = 10, meta?: string): EnqueueItem => ({
  id,
  destination,
  priority,
  body: new Uint8Array(size).fill(id.length),
  ...(meta === undefined ? {} : { meta }),
})

const ids = (o: Outbox, dest: string, limit = 100) => o.peek(dest, limit).map((i) => i.id)

async function rejection(p: Promise<unknown>): Promise<OutboxError> {
  try {
    await p
  } catch (e) {
    if (e instanceof OutboxError) return e
    throw e
  }
  throw new Error('expected a rejection')
}

describe('enqueue, order and group commit', () => {
  it('keeps enqueue order per destination, independently of other destinations', async () => {
    const { o } = await fresh()
    for (const [id, dest] of [['a1', 'eu'], ['c1', 'cn'], ['a2', 'eu'], ['c2', 'cn'], ['a3', 'eu']] as const) {
      await o.enqueue(item(id, dest))
    }
    expect(ids(o, 'eu')).toEqual(['a1', 'a2', 'a3'])
    expect(ids(o, 'cn')).toEqual(['c1', 'c2'])
    expect(ids(o, 'eu', 2)).toEqual(['a1', 'a2'])
    expect(ids(o, 'nowhere')).toEqual([])
  })

  it('returns the stored body and meta', async () => {
    const { o, clock } = await fresh()
    const body = Uint8Array.from([1, 2, 3, 250])
    const r = await o.enqueue({ id: 'x', destination: 'eu', priority: 3, body, meta: '{"verdict":"allow"}' })
    expect(r).toMatchObject({ status: 'queued', id: 'x', destination: 'eu', evicted: 0 })
    const got = o.get('eu', 'x')!
    expect(Array.from(got.body)).toEqual([1, 2, 3, 250])
    expect(got).toMatchObject({ meta: '{"verdict":"allow"}', priority: 3, size: 4, enqueuedAt: clock.t, attempts: 0, nextAttemptAt: 0, holdReason: null })
  })

  it('commits concurrent enqueues together, in submission order, up to maxBatch per commit', async () => {
    const { o } = await fresh({ groupCommit: { maxBatch: 10 } })
    const before = o.stats().commits
    const results = await Promise.all(Array.from({ length: 35 }, (_, i) => o.enqueue(item(`p${i}`))))
    expect(results.every((r) => r.status === 'queued')).toBe(true)
    expect(o.stats().commits - before).toBe(4) // 10 + 10 + 10 + 5
    expect(ids(o, 'eu')).toEqual(Array.from({ length: 35 }, (_, i) => `p${i}`))
    const seqs = results.map((r) => (r.status === 'queued' ? r.seq : -1))
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b))
  })

  it('flushes after maxDelayMs when the batch is not full', async () => {
    const { o } = await fresh({ groupCommit: { maxBatch: 100, maxDelayMs: 5 } })
    const before = o.stats().commits
    await Promise.all([o.enqueue(item('a')), o.enqueue(item('b'))])
    expect(o.stats().commits - before).toBe(1)
  })

  it('is idempotent on (destination, id), also within one batch, and keeps the first body', async () => {
    const { o } = await fresh()
    const [a, b] = await Promise.all([o.enqueue(item('dup')), o.enqueue({ ...item('dup'), body: new Uint8Array(99) })])
    expect(a.status).toBe('queued')
    expect(b).toMatchObject({ status: 'already-queued', held: false })
    if (a.status === 'queued' && b.status === 'already-queued') expect(b.seq).toBe(a.seq)
    expect(await o.enqueue(item('dup'))).toMatchObject({ status: 'already-queued' })
    expect(o.stats()).toMatchObject({ items: 1, bytes: 10 })
    // the same id for another destination is another item
    expect(await o.enqueue(item('dup', 'cn'))).toMatchObject({ status: 'queued' })
    expect(o.stats().items).toBe(2)
  })

  it('remembers acknowledged ids for deliveredTtlMs so a re-enqueue is not sent twice', async () => {
    const { o, clock } = await fresh({ deliveredTtlMs: 60_000 })
    await o.enqueue(item('once'))
    await o.ack('eu', ['once'])
    clock.t += 59_999
    expect(await o.enqueue(item('once'))).toMatchObject({ status: 'already-delivered', ackedAt: clock.t - 59_999 })
    clock.t += 2
    expect(await o.enqueue(item('once'))).toMatchObject({ status: 'queued' })
  })

  it('with deliveredTtlMs 0 keeps no tombstones', async () => {
    const { o } = await fresh({ deliveredTtlMs: 0 })
    await o.enqueue(item('x'))
    await o.ack('eu', ['x'])
    expect(await o.enqueue(item('x'))).toMatchObject({ status: 'queued' })
  })

  it('rejects invalid items with ADX_ERR_OUTBOX_INVALID and writes nothing', async () => {
    const { o } = await fresh()
    const bad: unknown[] = [
      { ...item('x'), id: '' },
      { ...item('x'), destination: 'd'.repeat(257) },
      { ...item('x'), priority: 1.5 },
      { ...item('x'), body: 'text' },
      { ...item('x'), meta: '{not json' },
      null,
    ]
    for (const b of bad) expect((await rejection(o.enqueue(b as EnqueueItem))).code).toBe('ADX_ERR_OUTBOX_INVALID')
    expect(o.stats().items).toBe(0)
  })
})

describe('ack, nack and backoff', () => {
  it('ack deletes durably and reports unknown ids', async () => {
    const { o, path } = await fresh()
    for (const id of ['a', 'b', 'c']) await o.enqueue(item(id))
    await o.enqueue(item('a', 'cn'))
    expect(await o.ack('eu', ['a', 'b', 'zz'])).toEqual({ acked: 2, missing: ['zz'] })
    expect(ids(o, 'eu')).toEqual(['c'])
    expect(ids(o, 'cn')).toEqual(['a'])
    expect(o.stats()).toMatchObject({ items: 2, bytes: 20 })
    const again = await reopen(o, path)
    expect(ids(again, 'eu')).toEqual(['c'])
  })

  it('nack backs off with full jitter; a not-yet-due head blocks its destination', async () => {
    const { o, clock } = await fresh({ backoff: { baseMs: 1000, capMs: 8000 } })
    await o.enqueue(item('h'))
    await o.enqueue(item('n'))
    await o.enqueue(item('other', 'cn'))
    const r1 = await o.nack('eu', 'h', new Error('503 from backend'))
    expect(r1).toEqual({ attempts: 1, delayMs: 500, nextAttemptAt: clock.t + 500 }) // random 0.5 × 1000
    expect(ids(o, 'eu')).toEqual([]) // 'n' is due but must not overtake 'h'
    expect(o.nextDueAt('eu')).toBe(clock.t + 500)
    expect(ids(o, 'cn')).toEqual(['other']) // other destinations are unaffected
    clock.t += 499
    expect(ids(o, 'eu')).toEqual([])
    clock.t += 1
    expect(ids(o, 'eu')).toEqual(['h', 'n'])
    const head = o.get('eu', 'h')!
    expect(head).toMatchObject({ attempts: 1, lastError: 'Error: 503 from backend' })
    const delays = []
    for (let k = 0; k < 5; k++) delays.push((await o.nack('eu', 'h', 'again'))!.delayMs)
    expect(delays).toEqual([1000, 2000, 4000, 4000, 4000]) // windows 2000, 4000, 8000, cap 8000, cap 8000
    expect(o.get('eu', 'h')!.attempts).toBe(6)
  })

  it('nack honours retryAfterMs and returns null for unknown ids', async () => {
    const { o, clock } = await fresh()
    await o.enqueue(item('h'))
    expect(await o.nack('eu', 'h', '429', { retryAfterMs: 30_000 })).toEqual({ attempts: 1, delayMs: 30_000, nextAttemptAt: clock.t + 30_000 })
    expect(await o.nack('eu', 'nope', 'x')).toBeNull()
  })

  it('backoffDelayMs: window doubles from base up to cap, result in [0, window)', () => {
    const opts = { baseMs: 100, capMs: 1000 }
    expect(backoffDelayMs(1, opts, () => 0)).toBe(0)
    expect(backoffDelayMs(1, opts, () => 0.999999)).toBe(99)
    expect(backoffDelayMs(3, opts, () => 0.5)).toBe(200)
    expect(backoffDelayMs(80, opts, () => 0.5)).toBe(500)
    expect(backoffDelayMs(5000, opts, () => 1)).toBeLessThan(1000) // a bad RNG returning 1 stays below cap
    expect(backoffDelayMs(2, opts, () => Number.NaN)).toBe(0)
  })
})

describe('hold and release', () => {
  it('keeps held items out of peek without blocking, and puts them back in place on release', async () => {
    const { o, clock } = await fresh()
    for (const id of ['a', 'b', 'c']) await o.enqueue(item(id))
    expect(await o.hold(['b', 'zz'], 'ADX_HOLD_FILING')).toEqual({ changed: 1, missing: ['zz'] })
    expect(ids(o, 'eu')).toEqual(['a', 'c'])
    expect(o.listHeld()).toEqual([expect.objectContaining({ id: 'b', destination: 'eu', reasonCode: 'ADX_HOLD_FILING', heldAt: clock.t, size: 10 })])
    expect(o.get('eu', 'b')!.holdReason).toBe('ADX_HOLD_FILING')
    expect(o.stats()).toMatchObject({ items: 3, bytes: 30, held: 1, heldBytes: 10 })
    // re-holding changes only the reason, keeping heldAt
    clock.t += 10
    expect(await o.hold(['b'], 'ADX_HOLD_REVIEW')).toEqual({ changed: 1, missing: [] })
    expect(o.listHeld()[0]).toMatchObject({ reasonCode: 'ADX_HOLD_REVIEW', heldAt: clock.t - 10 })
    expect(await o.release(['b', 'a'])).toEqual({ changed: 1, missing: [] })
    expect(ids(o, 'eu')).toEqual(['a', 'b', 'c'])
    expect(o.listHeld()).toEqual([])
  })

  it('holds an id in every destination unless one is named', async () => {
    const { o } = await fresh()
    await o.enqueue(item('p', 'eu'))
    await o.enqueue(item('p', 'cn'))
    expect(await o.hold(['p'], 'ADX_HOLD_QUOTA', { destination: 'cn' })).toEqual({ changed: 1, missing: [] })
    expect(o.listHeld().map((h) => h.destination)).toEqual(['cn'])
    expect(await o.hold(['p'], 'ADX_HOLD_QUOTA')).toEqual({ changed: 1, missing: [] }) // eu newly held, cn unchanged
    expect(o.listHeld('eu').map((h) => h.id)).toEqual(['p'])
    expect(await o.release(['p'], { destination: 'eu' })).toEqual({ changed: 1, missing: [] })
    expect(o.listHeld().map((h) => h.destination)).toEqual(['cn'])
    expect(await o.hold(['p'], 'X', { destination: 'us' })).toEqual({ changed: 0, missing: ['p'] })
  })
})

describe('size limits', () => {
  it("'refuse': rejects with ADX_ERR_OUTBOX_FULL, writes nothing, reports ADX_INC_OUTBOX_REFUSED", async () => {
    const { o, incidents, clock } = await fresh({ maxItems: 3, maxBytes: 1000 })
    for (const id of ['a', 'b', 'c']) await o.enqueue(item(id))
    const err = await rejection(o.enqueue(item('d', 'cn', 9, 20)))
    expect(err.code).toBe('ADX_ERR_OUTBOX_FULL')
    expect(isOutboxError(err, 'ADX_ERR_OUTBOX_FULL')).toBe(true)
    expect(o.get('cn', 'd')).toBeNull()
    expect(o.stats().items).toBe(3)
    expect(incidents).toEqual([{ type: 'ADX_INC_OUTBOX_REFUSED', destination: 'cn', ids: ['d'], bytes: 20, at: clock.t, code: 'ADX_ERR_OUTBOX_FULL', priority: 9 }])
    // a duplicate of a queued item is not a new item: no refusal
    expect(await o.enqueue(item('a'))).toMatchObject({ status: 'already-queued' })
    // after an ack there is room again
    await o.ack('eu', ['a'])
    expect(await o.enqueue(item('d', 'cn'))).toMatchObject({ status: 'queued' })
  })

  it('counts body bytes against maxBytes, held items included', async () => {
    const { o, incidents } = await fresh({ maxBytes: 100 })
    await o.enqueue(item('a', 'eu', 1, 60))
    await o.hold(['a'], 'ADX_HOLD_REVIEW')
    expect((await rejection(o.enqueue(item('b', 'eu', 1, 41)))).code).toBe('ADX_ERR_OUTBOX_FULL')
    expect(await o.enqueue(item('c', 'eu', 1, 40))).toMatchObject({ status: 'queued' })
    expect(o.stats()).toMatchObject({ bytes: 100, items: 2 })
    expect(incidents.map((i) => i.type)).toEqual(['ADX_INC_OUTBOX_REFUSED'])
  })

  it('refuses an item larger than maxBytes with ADX_ERR_OUTBOX_ITEM_TOO_LARGE under any policy', async () => {
    const { o, incidents } = await fresh({ maxBytes: 50, whenFull: 'evict-low-priority' })
    await o.enqueue(item('small', 'eu', 0, 10))
    const err = await rejection(o.enqueue(item('huge', 'eu', 100, 51)))
    expect(err.code).toBe('ADX_ERR_OUTBOX_ITEM_TOO_LARGE')
    expect(incidents).toEqual([expect.objectContaining({ type: 'ADX_INC_OUTBOX_REFUSED', ids: ['huge'], code: 'ADX_ERR_OUTBOX_ITEM_TOO_LARGE' })])
    expect(o.stats().items).toBe(1)
  })

  it("'evict-low-priority': evicts lowest priority, oldest first, never held, reports and stores the eviction", async () => {
    const { o, incidents, clock } = await fresh({ maxItems: 4, whenFull: 'evict-low-priority' })
    await o.enqueue(item('eu-p1-old', 'eu', 1))
    await o.enqueue(item('cn-p0-held', 'cn', 0))
    await o.enqueue(item('cn-p1', 'cn', 1))
    await o.enqueue(item('eu-p5', 'eu', 5))
    await o.hold(['cn-p0-held'], 'ADX_HOLD_FILING')
    const r = await o.enqueue(item('new-p3', 'eu', 3))
    expect(r).toMatchObject({ status: 'queued', evicted: 1 })
    expect(o.get('eu', 'eu-p1-old')).toBeNull() // lowest unheld priority (1), oldest of those
    expect(o.get('cn', 'cn-p0-held')).not.toBeNull() // held: never evicted
    expect(o.get('cn', 'cn-p1')).not.toBeNull()
    const evicted = { type: 'ADX_INC_OUTBOX_EVICTED', destination: 'eu', ids: ['eu-p1-old'], bytes: 10, at: clock.t, evictedFor: { id: 'new-p3', destination: 'eu', priority: 3 } }
    expect(incidents).toEqual([expect.objectContaining(evicted)])
    const stored = o.pendingIncidents()
    expect(stored).toEqual([expect.objectContaining(evicted)])
    expect(stored[0]!.seq).toBe((incidents[0] as { seq: number }).seq)
    expect(o.stats().pendingIncidents).toBe(1)
    expect(await o.confirmIncidents([stored[0]!.seq])).toBe(1)
    expect(o.pendingIncidents()).toEqual([])
  })

  it("'evict-low-priority': refuses (evicting nothing) when strictly lower priorities cannot make room", async () => {
    const { o, incidents } = await fresh({ maxBytes: 100, whenFull: 'evict-low-priority' })
    await o.enqueue(item('low', 'eu', 1, 30))
    await o.enqueue(item('same', 'cn', 3, 60))
    const err = await rejection(o.enqueue(item('new', 'eu', 3, 50))) // evicting 'low' frees 30, 'same' is not lower
    expect(err.code).toBe('ADX_ERR_OUTBOX_FULL')
    expect(o.get('eu', 'low')).not.toBeNull()
    expect(o.stats()).toMatchObject({ items: 2, bytes: 90 })
    expect(incidents.map((i) => i.type)).toEqual(['ADX_INC_OUTBOX_REFUSED'])
    expect(o.pendingIncidents()).toEqual([])
  })

  it("'evict-low-priority': evicts across destinations, one incident per destination", async () => {
    const { o, incidents } = await fresh({ maxBytes: 100, whenFull: 'evict-low-priority' })
    await o.enqueue(item('e1', 'eu', 0, 30))
    await o.enqueue(item('c1', 'cn', 0, 30))
    await o.enqueue(item('e2', 'eu', 0, 30))
    await o.enqueue(item('keep', 'cn', 2, 10))
    const r = await o.enqueue(item('big', 'us', 1, 80))
    expect(r).toMatchObject({ status: 'queued', evicted: 3 })
    const evictions = incidents.filter((i) => i.type === 'ADX_INC_OUTBOX_EVICTED')
    expect(evictions.map((i) => [i.destination, i.ids, i.bytes])).toEqual([
      ['eu', ['e1', 'e2'], 60],
      ['cn', ['c1'], 30],
    ])
    expect(o.stats()).toMatchObject({ items: 2, bytes: 90 })
  })

  it('a throwing onIncident listener does not undo the commit', async () => {
    const { o } = await fresh({
      maxItems: 1,
      whenFull: 'evict-low-priority',
      onIncident: () => {
        throw new Error('listener bug')
      },
    })
    const spy = console.error
    console.error = () => {}
    try {
      await o.enqueue(item('a', 'eu', 0))
      expect(await o.enqueue(item('b', 'eu', 1))).toMatchObject({ status: 'queued', evicted: 1 })
    } finally {
      console.error = spy
    }
    expect(ids(o, 'eu')).toEqual(['b'])
    expect(o.pendingIncidents()).toHaveLength(1)
  })
})

describe('stats', () => {
  it('reports counts and bytes per destination', async () => {
    const { o, clock } = await fresh()
    await o.enqueue(item('a', 'eu', 1, 5))
    clock.t += 1
    await o.enqueue(item('b', 'eu', 1, 7))
    await o.enqueue(item('c', 'cn', 1, 11))
    await o.hold(['b'], 'R')
    const s = o.stats()
    expect(s).toMatchObject({ items: 3, bytes: 23, held: 1, heldBytes: 7, maxItems: 100_000, pendingOps: 0, pendingIncidents: 0 })
    expect(s.destinations).toEqual({
      cn: { items: 1, bytes: 11, held: 0, heldBytes: 0, oldestEnqueuedAt: clock.t },
      eu: { items: 2, bytes: 12, held: 1, heldBytes: 7, oldestEnqueuedAt: clock.t - 1 },
    })
  })
})

describe('lifecycle and restart', () => {
  it('resumes exactly after close and reopen: items, order, attempts, holds, limits', async () => {
    const { o, path, clock } = await fresh()
    for (const id of ['a', 'b', 'c', 'd']) await o.enqueue(item(id, 'eu', 1, 10, JSON.stringify({ id })))
    await o.ack('eu', ['a'])
    await o.nack('eu', 'b', 'timeout')
    await o.hold(['c'], 'ADX_HOLD_FILING')
    const again = await reopen(o, path, { now: () => clock.t })
    expect(again.openInfo).toEqual({ tookOverStaleOwner: false, schemaVersionFound: 2 })
    expect(again.stats()).toMatchObject({ items: 3, bytes: 30, held: 1 })
    expect(again.get('eu', 'b')).toMatchObject({ attempts: 1, lastError: 'timeout', meta: '{"id":"b"}' })
    expect(again.listHeld().map((h) => h.id)).toEqual(['c'])
    expect(again.peek('eu', 10, clock.t + 10 * 60_000).map((i) => i.id)).toEqual(['b', 'd'])
    await again.enqueue(item('e'))
    expect(again.peek('eu', 10, clock.t + 10 * 60_000).map((i) => i.id)).toEqual(['b', 'd', 'e'])
    expect(await again.enqueue(item('a'))).toMatchObject({ status: 'already-delivered' })
  })

  it('onTheirWay: queued items not held, plus operations not yet committed', async () => {
    const { o } = await fresh()
    await Promise.all(['a', 'b', 'c'].map((id) => o.enqueue(item(id))))
    expect(o.onTheirWay()).toBe(3)
    await o.hold(['b'], 'X', { destination: 'eu' })
    expect(o.onTheirWay()).toBe(2)
    const pending = o.enqueue(item('d'))
    expect(o.onTheirWay()).toBe(3) // d is not committed yet but on its way
    await pending
    await o.ack('eu', ['a', 'c', 'd'])
    expect(o.onTheirWay()).toBe(0)
    expect(o.stats()).toMatchObject({ items: 1, held: 1 })
    await o.close()
  })

  it('creates the schema with a schema_version table', async () => {
    const { o, path } = await fresh()
    await o.close()
    const db = new sqlite.Database(path)
    try {
      db.get('PRAGMA locking_mode=EXCLUSIVE')
      expect(db.all('SELECT version FROM schema_version')).toEqual([{ version: 2 }])
      expect(db.get('PRAGMA journal_mode')).toEqual({ journal_mode: 'wal' })
      // peek walks the ready items only, past any number of held ones
      const plan = db.all("EXPLAIN QUERY PLAN SELECT seq FROM items WHERE destination = 'eu' AND hold_reason IS NULL ORDER BY seq LIMIT 5") as { detail: string }[]
      expect(plan.map((r) => r.detail).join(' ')).toContain('items_ready')
    } finally {
      db.close()
    }
  })

  it('migrates a version 1 file: the ready-items index is added, the items stay', async () => {
    const { o, path } = await fresh()
    await o.enqueue(item('a'))
    await o.close()
    const db = new sqlite.Database(path)
    db.get('PRAGMA locking_mode=EXCLUSIVE')
    db.exec('DROP INDEX items_ready')
    db.run('UPDATE schema_version SET version = 1')
    db.close()
    const again = await openOutbox({ path })
    expect(again.peek('eu', 10, Number.MAX_SAFE_INTEGER).map((i) => i.id)).toEqual(['a'])
    await again.close()
    const check = new sqlite.Database(path)
    try {
      check.get('PRAGMA locking_mode=EXCLUSIVE')
      expect(check.all('SELECT version FROM schema_version')).toEqual([{ version: 2 }])
      expect(check.get("SELECT name FROM sqlite_master WHERE name = 'items_ready'")).toEqual({ name: 'items_ready' })
    } finally {
      check.close()
    }
  })

  it('refuses a file written by a newer schema version', async () => {
    const { o, path } = await fresh()
    await o.close()
    const db = new sqlite.Database(path)
    db.get('PRAGMA locking_mode=EXCLUSIVE')
    db.run('UPDATE schema_version SET version = 99')
    db.close()
    const err = await rejection(openOutbox({ path }))
    expect(err.code).toBe('ADX_ERR_OUTBOX_SCHEMA')
    expect(existsSync(`${path}.owner`)).toBe(false) // ownership given back on failure
  })

  it('close() commits pending enqueues first; later calls reject with ADX_ERR_OUTBOX_CLOSED', async () => {
    const { o, path } = await fresh({ groupCommit: { maxDelayMs: 10_000, maxBatch: 1000 } })
    const pending = o.enqueue(item('late'))
    expect(o.stats().pendingOps).toBe(1)
    await o.close()
    expect(await pending).toMatchObject({ status: 'queued' })
    expect((await rejection(o.enqueue(item('after')))).code).toBe('ADX_ERR_OUTBOX_CLOSED')
    expect((await rejection(o.ack('eu', ['late']))).code).toBe('ADX_ERR_OUTBOX_CLOSED')
    expect(() => o.peek('eu')).toThrow(OutboxError)
    await o.close() // twice is fine
    const again = await openOutbox({ path })
    open.push(again)
    expect(again.get('eu', 'late')).not.toBeNull()
  })

  it('refuses a second owner while the first is open (ADX_ERR_OUTBOX_LOCKED)', async () => {
    const { path } = await fresh()
    const err = await rejection(openOutbox({ path }))
    expect(err.code).toBe('ADX_ERR_OUTBOX_LOCKED')
  })

  it('takes over from a dead owner and removes the stale SQLite lock directory', async () => {
    const { o, path } = await fresh()
    await o.enqueue(item('kept'))
    await o.close()
    // What a SIGKILLed owner leaves: its owner record and node-sqlite3-wasm's lock directory.
    writeFileSync(`${path}.owner`, JSON.stringify({ pid: 2 ** 22 + 12345, bootId: '', startTicks: -1 }))
    mkdirSync(`${path}.lock`)
    writeFileSync(`${path}.owner.tmp-${2 ** 22 + 12345}-0badf00d`, '{"pid"') // killed mid-way through writing one
    const again = await openOutbox({ path })
    open.push(again)
    expect(again.openInfo.tookOverStaleOwner).toBe(true)
    expect(again.get('eu', 'kept')).not.toBeNull()
    expect(existsSync(`${path}.owner.tmp-${2 ** 22 + 12345}-0badf00d`)).toBe(false)
  })

  it.skipIf(!existsSync('/proc/sys/kernel/random/boot_id'))('treats an owner record from another boot as stale', async () => {
    const { o, path } = await fresh()
    await o.close()
    writeFileSync(`${path}.owner`, JSON.stringify({ pid: process.ppid, bootId: 'another-boot', startTicks: -1 }))
    mkdirSync(`${path}.lock`)
    const again = await openOutbox({ path })
    open.push(again)
    expect(again.openInfo.tookOverStaleOwner).toBe(true)
  })

  it.skipIf(!existsSync('/proc/self/stat'))('takes over a dead owner whose pid this process inherited', async () => {
    const { o, path } = await fresh()
    await o.close()
    writeFileSync(`${path}.owner`, JSON.stringify({ pid: process.pid, bootId: 'boot-before-reboot', startTicks: 1 }))
    mkdirSync(`${path}.lock`)
    const again = await openOutbox({ path })
    open.push(again)
    expect(again.openInfo.tookOverStaleOwner).toBe(true)
  })

  it('does not break a SQLite lock held by a program that is not an outbox', async () => {
    const { o, path } = await fresh()
    await o.close()
    mkdirSync(`${path}.lock`)
    expect((await rejection(openOutbox({ path }))).code).toBe('ADX_ERR_OUTBOX_LOCKED')
  })

  it('validates options', async () => {
    const dir = join(root, `opts${++counter}`)
    mkdirSync(dir)
    const path = join(dir, 'o.db')
    for (const bad of [{ maxBytes: 0 }, { maxItems: -1 }, { whenFull: 'drop' }, { backoff: { baseMs: 10, capMs: 5 } }, { groupCommit: { maxBatch: 0 } }]) {
      expect((await rejection(openOutbox({ path, ...(bad as object) }))).code).toBe('ADX_ERR_OUTBOX_INVALID')
    }
    expect((await rejection(openOutbox({ path: ':memory:' }))).code).toBe('ADX_ERR_OUTBOX_INVALID')
  })
})

describe('settle (products and the ack or hold of their source in one commit)', () => {
  it('queues the products and acks the source in the same transaction', async () => {
    const { o, path } = await fresh()
    await o.enqueue(item('src', '@in'))
    const commits = o.stats().commits
    const r = await o.settle({ destination: '@in', id: 'src', produce: [item('out', 'eu'), item('rec', '@records')] })
    expect(r.settled).toBe(true)
    expect(o.stats().commits).toBe(commits + 1)
    expect(ids(o, '@in')).toEqual([])
    expect(ids(o, 'eu')).toEqual(['out'])
    expect(ids(o, '@records')).toEqual(['rec'])
    // the ack left a tombstone: the source cannot be queued twice
    expect((await o.enqueue(item('src', '@in'))).status).toBe('already-delivered')
    const again = await reopen(o, path)
    expect(ids(again, 'eu')).toEqual(['out'])
    expect(ids(again, '@in')).toEqual([])
  })

  it('holds the source instead of acking it when asked, and many settles share one commit', async () => {
    const { o } = await fresh()
    for (const id of ['a', 'b', 'c']) await o.enqueue(item(id, '@in'))
    const commits = o.stats().commits
    const rs = await Promise.all([
      o.settle({ destination: '@in', id: 'a', produce: [item('a', 'eu')] }),
      o.settle({ destination: '@in', id: 'b', produce: [item('inc-b', '@incidents')], hold: 'ADX_HOLD_X' }),
      o.settle({ destination: '@in', id: 'c', produce: [] }),
    ])
    expect(rs.every((r) => r.settled)).toBe(true)
    expect(o.stats().commits).toBe(commits + 1)
    expect(o.listHeld('@in').map((h) => [h.id, h.reasonCode])).toEqual([['b', 'ADX_HOLD_X']])
    expect(ids(o, 'eu')).toEqual(['a'])
    expect(ids(o, '@incidents')).toEqual(['inc-b'])
  })

  it('leaves the source in place when a product is refused (outbox full)', async () => {
    const { o } = await fresh({ maxItems: 2 })
    await o.enqueue(item('src', '@in'))
    const r = await o.settle({ destination: '@in', id: 'src', produce: [item('p1', 'eu'), item('p2', 'eu')] })
    expect(r.settled).toBe(false)
    if (!r.settled) expect(isOutboxError(r.error, 'ADX_ERR_OUTBOX_FULL')).toBe(true)
    expect(ids(o, '@in')).toEqual(['src'])
    expect(ids(o, 'eu')).toEqual(['p1'])
    await expect(o.settle({ destination: '@in', id: 'src', produce: [{ ...item('bad'), body: 'x' as never }] })).rejects.toMatchObject({ code: 'ADX_ERR_OUTBOX_INVALID' })
  })
})
