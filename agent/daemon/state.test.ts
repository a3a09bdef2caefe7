import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { AgentState } from './state.ts'

const NOW = Date.UTC(2026, 5, 1)

describe('AgentState buffered writes', () => {
  it('reads see recorded subjects and lease use at once; flush makes them durable', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'adx-state-')), 'state.db')
    const s = AgentState.open(path, () => NOW)
    s.recordExported([{ pseudonym: 'p1', sensitive: false }, { pseudonym: 'p2', sensitive: true }, { pseudonym: 'p1', sensitive: false }], 'L1')
    s.recordExported([{ pseudonym: 'p2', sensitive: true }, { pseudonym: 'p3', sensitive: false }], 'L1')
    expect(s.leaseUse('L1')).toEqual({ persons: 2, sensitive: 1 })
    expect([...s.knownSubjects()].sort()).toEqual(['p1', 'p2', 'p3'])
    s.flush()
    s.recordExported([{ pseudonym: 'p4', sensitive: false }], 'L1')
    expect(s.leaseUse('L1')).toEqual({ persons: 3, sensitive: 1 })
    s.close() // flushes
    const again = AgentState.open(path, () => NOW)
    expect(again.leaseUse('L1')).toEqual({ persons: 3, sensitive: 1 })
    expect([...again.knownSubjects()].sort()).toEqual(['p1', 'p2', 'p3', 'p4'])
    again.close()
  })

  it('a stored value is readable at once and committed within 20 ms without a flush', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'adx-state-')), 'state.db')
    const s = AgentState.open(path, () => NOW)
    s.set('policy:fleet', new Uint8Array([1, 2, 3]))
    expect(s.get('policy:fleet')).toEqual(new Uint8Array([1, 2, 3]))
    await new Promise((r) => setTimeout(r, 60))
    // committed: a second reader of the file (after close, which would flush anyway) is not needed
    // to tell; the buffer is empty, so get() now reads the row from the database
    expect((s as unknown as { pendingKv: Map<string, Uint8Array> }).pendingKv.size).toBe(0)
    expect(s.get('policy:fleet')).toEqual(new Uint8Array([1, 2, 3]))
    s.close()
  })
})
