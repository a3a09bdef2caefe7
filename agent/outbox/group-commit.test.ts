import { describe, expect, it } from 'vitest'
import { GroupCommit } from './group-commit.ts'

const turn = () => new Promise((r) => setImmediate(r))

describe('GroupCommit', () => {
  it('hands everything pushed in one turn to one batch, in order', async () => {
    const batches: number[][] = []
    const gc = new GroupCommit<number>((jobs) => batches.push(jobs), { maxBatch: 100, maxBatchBytes: 1e9, maxDelayMs: 0 })
    for (let i = 0; i < 5; i++) gc.push(i, 1)
    expect(batches).toEqual([])
    expect(gc.size).toBe(5)
    await turn()
    expect(batches).toEqual([[0, 1, 2, 3, 4]])
    expect(gc.size).toBe(0)
  })

  it('splits by maxBatch and by maxBatchBytes (a single oversized job still goes alone)', async () => {
    const batches: string[][] = []
    const gc = new GroupCommit<string>((jobs) => batches.push(jobs), { maxBatch: 3, maxBatchBytes: 100, maxDelayMs: 0 })
    for (const [id, bytes] of [['a', 10], ['b', 10], ['c', 10], ['d', 10], ['e', 95], ['f', 500], ['g', 1]] as const) gc.push(id, bytes)
    for (let k = 0; k < 6; k++) await turn()
    expect(batches).toEqual([['a', 'b', 'c'], ['d'], ['e'], ['f'], ['g']])
  })

  it('waits up to maxDelayMs for companions, but goes at once when the batch is full', async () => {
    const batches: number[][] = []
    const gc = new GroupCommit<number>((jobs) => batches.push(jobs), { maxBatch: 3, maxBatchBytes: 1e9, maxDelayMs: 60_000 })
    gc.push(1, 1)
    await turn()
    expect(batches).toEqual([]) // waiting for the timer
    gc.push(2, 1)
    gc.push(3, 1) // full: flush on the next turn, not after 60 s
    await turn()
    expect(batches).toEqual([[1, 2, 3]])
  })

  it('flushNow runs everything synchronously, including jobs pushed while a batch runs', () => {
    const batches: number[][] = []
    let gc: GroupCommit<number> | undefined
    gc = new GroupCommit<number>(
      (jobs) => {
        batches.push(jobs)
        if (jobs.includes(1)) gc!.push(99, 1)
      },
      { maxBatch: 2, maxBatchBytes: 1e9, maxDelayMs: 60_000 },
    )
    gc.push(1, 1)
    gc.push(2, 1)
    gc.push(3, 1)
    gc.flushNow()
    expect(batches).toEqual([[1, 2], [3, 99]])
    expect(gc.size).toBe(0)
  })
})
