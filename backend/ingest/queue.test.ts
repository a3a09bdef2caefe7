import { describe, expect, it } from 'vitest'
import { decodeIngestBatch } from '../store/ingest-codec.ts'
import type { IngestOutcome, IngestRecord } from '../store/types.ts'
import { GroupCommitQueue } from './queue.ts'

const rec = (id: string): IngestRecord => ({ vehicleId: 'v', recordId: id, year: 2026, exportedMs: 1, recipient: '', leaseId: '', body: null, members: [], sums: [] })

describe('GroupCommitQueue', () => {
  it('commits messages that arrive together in one transaction, outcomes per message', async () => {
    const commits: string[][] = []
    const q = new GroupCommitQueue(
      async (batch) => {
        const rs = [...decodeIngestBatch(batch)]
        commits.push(rs.map((r) => r.recordId))
        return rs.map((r): IngestOutcome => (r.recordId.endsWith('dup') ? 'duplicate' : 'inserted'))
      },
      { maxRecords: 100, maxDelayMs: 0, highWaterRecords: 1000 },
    )
    const [a, b, c] = await Promise.all([q.submit([rec('a1'), rec('a2')]), q.submit([rec('b-dup')]), q.submit([rec('c1')])])
    expect(commits).toEqual([['a1', 'a2', 'b-dup', 'c1']])
    expect([a, b, c]).toEqual([['inserted', 'inserted'], ['duplicate'], ['inserted']])
  })

  it('splits at maxRecords without splitting a message, and gathers while a commit runs', async () => {
    const commits: number[] = []
    const q = new GroupCommitQueue(
      async (batch) => {
        const rs = [...decodeIngestBatch(batch)]
        commits.push(rs.length)
        await new Promise((r) => setTimeout(r, 5))
        return rs.map((): IngestOutcome => 'inserted')
      },
      { maxRecords: 3, maxDelayMs: 0, highWaterRecords: 1000 },
    )
    await Promise.all([q.submit([rec('1'), rec('2')]), q.submit([rec('3'), rec('4')]), q.submit([rec('5')]), q.submit([rec('6'), rec('7'), rec('8'), rec('9')])])
    expect(commits.reduce((a, b) => a + b, 0)).toBe(9)
    expect(commits).toEqual([2, 3, 4])
  })

  it('rejects only the poisonous message of a failed batch', async () => {
    const q = new GroupCommitQueue(
      async (batch) => {
        const rs = [...decodeIngestBatch(batch)]
        if (rs.some((r) => r.recordId === 'poison')) throw new Error('boom')
        return rs.map((): IngestOutcome => 'inserted')
      },
      { maxRecords: 100, maxDelayMs: 0, highWaterRecords: 1000 },
    )
    const results = await Promise.allSettled([q.submit([rec('a')]), q.submit([rec('poison')]), q.submit([rec('c')])])
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
  })

  it('asks producers to wait above the high-water mark and lets them go once drained', async () => {
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    const q = new GroupCommitQueue(
      async (batch) => {
        const rs = [...decodeIngestBatch(batch)]
        await gate
        return rs.map((): IngestOutcome => 'inserted')
      },
      { maxRecords: 2, maxDelayMs: 0, highWaterRecords: 3 },
    )
    const all = [q.submit([rec('1'), rec('2')]), q.submit([rec('3'), rec('4')]), q.submit([rec('5')])]
    await new Promise((r) => setImmediate(r))
    const wait = q.waitForRoom()
    expect(wait).toBeInstanceOf(Promise)
    release()
    await wait
    await Promise.all(all)
    await q.drain()
    expect(q.depth).toBe(0)
  })
})

describe('GroupCommitQueue byte bound', () => {
  it('splits at maxBytes without splitting a message (a single larger message goes alone)', async () => {
    const commits: string[][] = []
    const big = (id: string): IngestRecord => ({ ...rec(id), body: new Uint8Array(1000) })
    const q = new GroupCommitQueue(
      async (batch) => {
        const rs = [...decodeIngestBatch(batch)]
        commits.push(rs.map((r) => r.recordId))
        return rs.map((): IngestOutcome => 'inserted')
      },
      { maxRecords: 1000, maxBytes: 2500, maxDelayMs: 0, highWaterRecords: 10_000 },
    )
    await Promise.all([q.submit([big('a'), big('b')]), q.submit([big('c')]), q.submit([big('d'), big('e'), big('f')]), q.submit([big('g')])])
    expect(commits).toEqual([['a', 'b'], ['c'], ['d', 'e', 'f'], ['g']])
  })

  it('reuses its batch buffers: records submitted after a commit do not see the last batch', async () => {
    const commits: string[][] = []
    const q = new GroupCommitQueue(
      async (batch) => {
        const rs = [...decodeIngestBatch(batch)]
        commits.push(rs.map((r) => r.recordId))
        return rs.map((): IngestOutcome => 'inserted')
      },
      { maxRecords: 1000, maxDelayMs: 0, highWaterRecords: 10_000 },
    )
    for (let i = 0; i < 5; i++) await q.submit([rec(`m${i}-a`), rec(`m${i}-b`)])
    expect(commits).toEqual([0, 1, 2, 3, 4].map((i) => [`m${i}-a`, `m${i}-b`]))
  })
})
