import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isAdxError } from '../../shared/errors.ts'
import { unpackRecords } from './record-pack.ts'
import { openSqliteStore, type SqliteStore } from './sqlite.ts'
import type { IngestRecord } from './types.ts'

let dir: string
let store: SqliteStore

const odd = ['', ' ', '1 2 3', 'naïve', '车辆-京A12345', 'emoji 🚗', 'a,"b"\nc', '-5', '\u0000nul']
function rec(n: number): IngestRecord {
  const body = n % 5 === 0 ? null : n % 5 === 1 ? new Uint8Array(0) : Uint8Array.from({ length: 1 + (n % 300) }, (_, k) => (k * 7 + n) & 255)
  return {
    vehicleId: `v-${odd[n % odd.length]}-${n % 13}`,
    recordId: `${odd[(n + 3) % odd.length]}r${n}`,
    year: 2026,
    exportedMs: 1_770_000_000_000 + n * 997,
    recipient: odd[(n + 5) % odd.length]!,
    leaseId: '',
    body,
    members: [],
    sums: [],
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'adx-pack-'))
  store = await openSqliteStore(join(dir, 'backend.sqlite'))
  await store.ingest(Array.from({ length: 700 }, (_, n) => rec(n)), 1_770_000_500_000)
})
afterAll(async () => {
  await store.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('recordsPacked (packed pages)', () => {
  it('gives exactly the rows recordsAfter gives, page by page, over odd text and bodies', async () => {
    const range = { fromMs: 1_770_000_000_000 + 50 * 997, toMs: 1_770_000_000_000 + 650 * 997 }
    for (const limit of [1, 7, 100, 1000]) {
      let a = 0
      let b = 0
      for (;;) {
        const want = await store.recordsAfter(a, limit, range)
        const page = await store.recordsPacked(b, limit, range)
        const got = unpackRecords(page.packed, page.count)
        if (got.length) expect(page.last).toBe(got.at(-1)!.rowid)
        expect(got.map((r) => ({ ...r, body: r.body && [...r.body] }))).toEqual(want.map((r) => ({ ...r, body: r.body && [...r.body] })))
        if (want.length === 0) break
        a = want.at(-1)!.rowid
        b = got.at(-1)!.rowid
      }
    }
  })

  it('refuses bytes that are not the rows announced', () => {
    const good = Buffer.from('1 2026 5 6 1 1 1 -1 abc')
    expect(unpackRecords(good, 1)[0]).toMatchObject({ rowid: 1, year: 2026, exportedMs: 5, receivedMs: 6, vehicleId: 'a', recordId: 'b', recipient: 'c', body: null })
    for (const [bytes, n] of [
      [good, 2],
      [Buffer.from('1 2026 5 6 1 1 1 -1 abcX'), 1],
      [Buffer.from('1 2026 5 6 1 1 9 -1 abc'), 1],
      [Buffer.from('1 2026 5 x 1 1 1 -1 abc'), 1],
      [Buffer.from('2 2026 5 6 1 1 1 -1 abc1 2026 5 6 1 1 1 -1 abc'), 2],
    ] as const) {
      let err: unknown
      try {
        unpackRecords(bytes, n)
      } catch (e) {
        err = e
      }
      expect(isAdxError(err) && err.code).toBe('ADX_ERR_STORE')
    }
  })
})
