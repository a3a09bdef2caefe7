/** The audit log: chained across rotation, tamper evident, pruned only after backend acks. */
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { AuditLog, verifyChain } from './audit-log.ts'

const dirOf = () => mkdtempSync(join(tmpdir(), 'adx-audit-'))

describe('audit log', () => {
  it('chains entries across rotated files and across reopen', () => {
    const dir = dirOf()
    let log = new AuditLog(dir, 600)
    for (let i = 0; i < 20; i++) log.append({ event: 'send', payloadId: `p${i}`, recordId: `r${i}`, codes: [] })
    log = new AuditLog(dir, 600)
    for (let i = 20; i < 25; i++) log.append({ event: 'hold', payloadId: `p${i}`, codes: ['ADX_HOLD_NEEDS_FILING'] })
    log.sync()
    expect(readdirSync(dir).length).toBeGreaterThan(2)
    expect(verifyChain(dir)).toMatchObject({ ok: true, entries: 25 })
  })

  it('detects an edited, removed or reordered line', () => {
    const dir = dirOf()
    const log = new AuditLog(dir, 1 << 20)
    for (let i = 0; i < 5; i++) log.append({ event: 'send', payloadId: `p${i}` })
    const f = join(dir, readdirSync(dir)[0]!)
    const lines = readFileSync(f, 'utf8').trim().split('\n')
    writeFileSync(f, `${lines.map((l, i) => (i === 2 ? l.replace('"p2"', '"px"') : l)).join('\n')}\n`)
    expect(verifyChain(dir)).toMatchObject({ ok: false, problem: expect.stringContaining('line 3: hash mismatch') })
    writeFileSync(f, `${lines.filter((_, i) => i !== 2).join('\n')}\n`)
    expect(verifyChain(dir).problem).toMatch(/line 3: prev does not match/)
  })

  it('continues after a torn last line in a new file; the torn line is reported', () => {
    const dir = dirOf()
    let log = new AuditLog(dir, 1 << 20)
    log.append({ event: 'send', payloadId: 'a' })
    appendFileSync(join(dir, readdirSync(dir)[0]!), '{"seq":2,"at":')
    log = new AuditLog(dir, 1 << 20)
    log.append({ event: 'send', payloadId: 'b' })
    expect(readdirSync(dir).length).toBe(2)
    expect(verifyChain(dir)).toMatchObject({ ok: true, entries: 2, tornTails: 1 })
    // A line that is not JSON anywhere else is damage.
    const first = join(dir, readdirSync(dir).sort()[0]!)
    writeFileSync(first, `garbage\n${readFileSync(first, 'utf8')}`)
    expect(verifyChain(dir).problem).toMatch(/line 1: not JSON/)
  })

  it('prunes rotated files only when none of their records is pending', () => {
    const dir = dirOf()
    const log = new AuditLog(dir, 300)
    for (let i = 0; i < 12; i++) log.append({ event: 'send', recordId: `r${i}` })
    const before = readdirSync(dir).length
    const pending = new Set(['r6'])
    const deleted = log.prune((id) => pending.has(id))
    expect(deleted.length).toBeGreaterThan(0)
    expect(readdirSync(dir).length).toBe(before - deleted.length)
    const remaining = readdirSync(dir).map((f) => readFileSync(join(dir, f), 'utf8')).join('')
    expect(remaining).toContain('"r6"')
    expect(verifyChain(dir).ok).toBe(true)
  })

  it('finds a pending record among many lines without one (files larger than one read)', () => {
    const dir = dirOf()
    const log = new AuditLog(dir, 400_000)
    for (let i = 0; i < 3000; i++) log.append(i % 50 === 49 ? { event: 'send', recordId: `r${i}` } : { event: 'hold', detail: `held ${i}` })
    log.append({ event: 'send', recordId: 'tail' })
    const files = readdirSync(dir).length
    expect(files).toBeGreaterThan(1)
    const first = readdirSync(dir).sort()[0]!
    const ids = [...readFileSync(join(dir, first), 'utf8').matchAll(/"recordId":"(r\d+)"/g)].map((m) => m[1]!)
    expect(ids.length).toBeGreaterThan(5)
    const last = ids[ids.length - 1]
    expect(log.prune((id) => id === last)).toEqual([]) // the last record of the oldest file is pending: nothing goes
    expect(log.prune(() => false).length).toBe(files - 1)
  })
})
