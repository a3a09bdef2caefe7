/**
 * The README's main command, end to end over real sockets: backend (embedded broker, SQLite),
 * abroad sink (HTTPS, pinned) and a fleet of real agents. Nothing planted crosses the border;
 * what waits for a filing goes once the officer records it.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const bin = fileURLToPath(new URL('../../bin/adx.js', import.meta.url))

describe('adx demo --once', () => {
  it('runs the fleet, leaks nothing, and releases held exports once filings are recorded', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'adx-demo-')), 'demo')
    const r = spawnSync(process.execPath, [bin, 'demo', '--once', '--port', '0', '--vehicles', '6', '--payloads', '8', '--dir', dir], { encoding: 'utf8', timeout: 120_000 })
    expect(r.status, r.stderr).toBe(0)
    const out = r.stdout
    const submitted = Number(/submitted\s+(\d+)/.exec(out)?.[1])
    expect(submitted).toBe(48)
    expect(out).toMatch(/planted secrets found there: 0/)
    const crossed = [...out.matchAll(/crossed the border\s+(\d+)/g)].map((m) => Number(m[1]))
    expect(crossed).toHaveLength(2)
    expect(crossed[0]).toBeLessThan(submitted) // location waits for an MNR approval
    expect(crossed[1]).toBe(submitted) // and goes once it is on record
    expect(out).toMatch(/held fleet-wide\s+location/)
    expect(out).toMatch(/backend measure\s+standard-contract/)
  })
})
