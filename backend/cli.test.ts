import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Command } from 'commander'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { parseTime, registerBackendCommands } from './cli.ts'

let dir: string
let config: string
let out: string
let err: string

function program(untilSignal?: () => Promise<string>) {
  const p = new Command('adx').exitOverride()
  registerBackendCommands(p, { out: (t) => (out += t), err: (t) => (err += t), untilSignal })
  return p
}
const run = async (...args: string[]) => {
  out = ''
  err = ''
  process.exitCode = undefined
  await program().parseAsync(['node', 'adx', ...args])
  const code = process.exitCode
  process.exitCode = undefined
  return { out, err, code }
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'adx-cli-'))
  config = join(dir, 'backend.yaml')
  writeFileSync(config, 'dataDir: data\nhttp:\n  port: 0\nbroker:\n  mode: embedded\n  port: 0\nlog:\n  level: silent\n')
})
afterEach(() => {
  process.exitCode = undefined
})

describe('parseTime', () => {
  it('reads epoch ms, ISO times, and bare dates as 00:00 CST', () => {
    expect(parseTime('1767196800000', 'x')).toBe(1767196800000)
    expect(parseTime('2026-01-01', 'x')).toBe(Date.UTC(2025, 11, 31, 16))
    expect(parseTime('2026-01-01T00:00:00Z', 'x')).toBe(Date.UTC(2026, 0, 1))
    expect(() => parseTime('soon', '--valid-from')).toThrow(/--valid-from/)
  })
})

describe('adx vehicles', () => {
  it('adds (secret shown once), lists (no secret) and revokes', async () => {
    const added = await run('vehicles', 'add', 'veh-1', '--label', 'test', '-c', config)
    const { secret } = JSON.parse(added.out)
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/)
    const listed = await run('vehicles', '-c', config, 'list')
    expect(JSON.parse(listed.out)).toEqual([expect.objectContaining({ vehicleId: 'veh-1', label: 'test', status: 'active' })])
    expect(listed.out).not.toContain('scrypt')
    expect(JSON.parse((await run('vehicles', 'revoke', 'veh-1', '-c', config)).out).status).toBe('revoked')
  })

  it('reports errors with their code and exit status 1', async () => {
    await run('vehicles', 'add', 'veh-1', '-c', config)
    expect(await run('vehicles', 'add', 'veh-1', '-c', config)).toMatchObject({ code: 1, err: expect.stringMatching(/^ADX_ERR_VEHICLE_EXISTS: /) })
    expect(await run('vehicles', 'add', 'bad/id', '-c', config)).toMatchObject({ code: 1, err: expect.stringMatching(/^ADX_ERR_INPUT: input is invalid: vehicleId/) })
    expect(await run('vehicles', 'revoke', 'ghost', '-c', config)).toMatchObject({ code: 1, err: expect.stringMatching(/^ADX_ERR_VEHICLE_UNKNOWN/) })
  })
})

describe('adx filings', () => {
  const add = (...extra: string[]) =>
    run('filings', 'add', '-c', config, '--kind', 'standard-contract', '--reference', 'SC-1', '--categories', '*', '--recipients', 'oem-eu', '--purposes', '*', '--valid-from', '2026-01-01', '--valid-until', '2029-01-01', ...extra)

  it('adds, lists and expires filings', async () => {
    const f = JSON.parse((await add('--id', 'sc-1')).out)
    expect(f).toMatchObject({ filingId: 'sc-1', kind: 'standard-contract', validFromMs: Date.UTC(2025, 11, 31, 16), recipients: ['oem-eu'] })
    expect(JSON.parse((await run('filings', 'list', '-c', config)).out)).toHaveLength(1)
    expect(JSON.parse((await run('filings', 'expire', 'sc-1', '-c', config)).out).inForce).toBe(false)
  })

  it('names the bad field', async () => {
    expect((await add('--exemption', 'E7')).err).toMatch(/^ADX_ERR_INPUT: input is invalid: exemption: only for an exemption reference/)
    const bad = await run('filings', 'add', '-c', config, '--kind', 'standard-contract', '--reference', 'SC-1', '--categories', 'nope', '--recipients', '*', '--purposes', '*', '--valid-from', '2026-01-01', '--valid-until', '2027-01-01')
    expect(bad.err).toMatch(/categories\.0: "nope" is not a category/)
  })
})

describe('adx backend', () => {
  it('starts from a config file and stops on a signal', async () => {
    out = ''
    err = ''
    await program(async () => 'SIGTERM').parseAsync(['node', 'adx', 'backend', '-c', config])
    const started = JSON.parse(out.split('\n')[0]!)
    expect(started.http.port).toBeGreaterThan(0)
    expect(started.broker.port).toBeGreaterThan(0)
    expect(started.keyId).toMatch(/^[0-9a-f]{16}$/)
    expect(err).toContain('SIGTERM: stopping')
  })
})
