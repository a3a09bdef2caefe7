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
    // location goes once its MNR approval is on record; what still waits is important data
    // that needs a security assessment (faces of 32 px or more in ADAS media), nothing else
    const stillHeld = [...out.matchAll(/still held\s+(\d+) × (\S+)/g)].map((m) => [Number(m[1]), m[2]] as const)
    for (const [, code] of stillHeld) expect(code).toBe('ADX_HOLD_NEEDS_FILING')
    expect(crossed[1]! + stillHeld.reduce((n, [k]) => n + k, 0)).toBe(submitted)
    expect(crossed[1]).toBeGreaterThan(crossed[0]!)
    expect(out).toMatch(/held fleet-wide\s+location/)
    expect(out).toMatch(/backend measure\s+standard-contract/)
  })
})
