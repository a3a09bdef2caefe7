import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { isAdxError } from '../../shared/errors.ts'
import { decodeIngestBatch, encodeIngestBatch } from './ingest-codec.ts'
import { IngestWorker } from './ingest-writer.ts'
import { openSqliteStore, type SqliteStore } from './sqlite.ts'
import type { IngestRecord, MemberUpdate } from './types.ts'

let dir: string
let path: string
let store: SqliteStore
let writer: IngestWorker | undefined

const rec = (vehicleId: string, recordId: string, members: MemberUpdate[]): IngestRecord => ({
  vehicleId,
  recordId,
  year: 2026,
  exportedMs: 1,
  recipient: 'r',
  leaseId: '',
  body: new Uint8Array([8, 1]),
  members,
  sums: [['camera.km', '', 5]],
})

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'adx-ingest-writer-'))
  path = join(dir, 'backend.sqlite')
  // Locks are never treated as stale here: a lock held too long fails the test instead.
  store = await openSqliteStore(path, { busyTimeoutMs: 3_000, staleLockMs: 600_000 })
})

afterEach(async () => {
  await writer?.close()
  writer = undefined
  await store.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('IngestWorker', () => {
  it('commits in its thread on the same file; the main connection reads the result', async () => {
    writer = await IngestWorker.start(path, { busyTimeoutMs: 3_000, staleLockMs: 600_000 })
    const out = await writer.ingest(
      [
        rec('v1', 'r1', [['persons.pi', '', 'p1'], ['vehicles', 'location', 'v1']]),
        rec('v1', 'r2', [['persons.pi', '', 'p1'], ['persons.pi', '', 'p2'], ['vehicles', 'location', 'v1']]),
        rec('v1', 'r1', [['persons.pi', '', 'p9']]),
      ],
      7,
    )
    expect(out).toEqual(['inserted', 'inserted', 'duplicate'])
    expect(await store.totals(2026)).toEqual([
      { counter: 'camera.km', category: '', value: 10 },
      { counter: 'persons.pi', category: '', value: 2 },
      { counter: 'vehicles', category: 'location', value: 1 },
    ])
    expect((await store.recordsAfter(0, 10)).map((r) => [r.recordId, r.receivedMs])).toEqual([
      ['r1', 7],
      ['r2', 7],
    ])
  })

  it('is not locked out by a lookup on the main connection that found a row', async () => {
    await store.addVehicle({ vehicleId: 'v1', secretHash: 'x', label: '', createdMs: 0 })
    expect((await store.getVehicle('v1'))?.vehicleId).toBe('v1')
    writer = await IngestWorker.start(path, { busyTimeoutMs: 2_000, staleLockMs: 600_000 })
    const t0 = Date.now()
    expect(await writer.ingest([rec('v1', 'r1', [])], 1)).toEqual(['inserted'])
    expect(Date.now() - t0).toBeLessThan(1_500)
  })

  it('refuses work once closed', async () => {
    writer = await IngestWorker.start(path)
    await writer.close()
    const e = await writer.ingest([rec('v1', 'r1', [])], 1).catch((x: unknown) => x)
    expect(isAdxError(e, 'ADX_ERR_STORE')).toBe(true)
  })
})

describe('ingest batch codec', () => {
  it('round-trips records (non-ASCII, null body, sums, lease) and decodes again from the start', () => {
    const records: IngestRecord[] = [
      { ...rec('veh-ä', 'r-1', [['persons.pi', '', 'psn:phone:€'], ['vehicles', 'location', 'veh-ä']]), leaseId: 'l-1' },
      { ...rec('v2', 'r-2', []), body: null, sums: [['camera.hours', '', 1.5e6]], exportedMs: Date.UTC(2026, 0, 1), year: 2026 },
    ]
    const bytes = encodeIngestBatch(records)
    const norm = (rs: Iterable<IngestRecord>) => [...rs].map((r) => ({ ...r, body: r.body && [...r.body] }))
    expect(norm(decodeIngestBatch(bytes))).toEqual(norm(records))
    expect(norm(decodeIngestBatch(bytes))).toEqual(norm(records))
  })
})
