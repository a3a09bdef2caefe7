/** `adx inspect` as a user runs it: the real binary, files on disk, exit codes. */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { wire } from '../../shared/wire/index.ts'

const bin = fileURLToPath(new URL('../../bin/adx.js', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'adx-cli-'))
const KEY = '00112233445566778899aabbccddeeff'

function adx(args: string[], input?: string | Buffer) {
  const r = spawnSync(process.execPath, [bin, ...args], { input, env: { ...process.env, ADX_PSEUDONYM_KEY: KEY }, encoding: 'utf8' })
  return { code: r.status, out: r.stdout, err: r.stderr }
}
function file(name: string, content: unknown): string {
  const p = join(dir, name)
  writeFileSync(p, typeof content === 'string' || Buffer.isBuffer(content) ? content : JSON.stringify(content))
  return p
}

const VIN = 'LSVAU218XN2183294'
const speed = { id: 's', vehicleId: VIN, createdMs: '1780000000000', purpose: 'q', telemetry: { samples: [{ path: 'Vehicle.Speed', value: { number: 50 } }], remoteCommands: [{ command: 'door.unlock' }] } }
const face = { id: 'f', vehicleId: VIN, createdMs: '1780000000000', purpose: 'q', media: { items: [{ faces: [{ width: 50, height: 50 }] }] } }

describe('adx inspect', () => {
  it('exit 0 and the sanitised payload when it may go', () => {
    const r = adx(['inspect', '--to', 'abroad', file('speed.json', speed)])
    expect(r.code).toBe(0)
    const v = JSON.parse(r.out)
    expect(v.verdict).toBe(1)
    expect(v.decision).toBe('send')
    expect(v.payload.telemetry.remoteCommands).toBeUndefined()
    expect(v.payload.vehicleId).toMatch(/^psn:vin:/)
    expect(r.out).not.toContain(VIN)
  })
  it('reads protobuf from stdin', () => {
    const bytes = Buffer.from(wire.OutboundPayload.encode(wire.OutboundPayload.fromObject(speed)).finish())
    const r = adx(['inspect', '-'], bytes)
    expect(r.code).toBe(0)
  })
  it('exit 3 when held by policy, exit 0 with the filing in a policy file', () => {
    expect(adx(['inspect', file('face.json', face)]).code).toBe(3)
    const policy = file('policy.json', { filings: [{ id: 'SA', kind: 'security-assessment', categories: ['*'] }] })
    expect(adx(['inspect', '--policy', policy, file('face.json', face)]).code).toBe(0)
  })
  it('exit 4 when it cannot be inspected', () => {
    const r = adx(['inspect', file('bad.bin', Buffer.from([0xff, 0xff, 0xff, 0x0f]))])
    expect(r.code).toBe(4)
    expect(JSON.parse(r.out).reasons[0].code).toBe('ADX_HOLD_UNDECODABLE')
  })
  it('domestic: exit 0 and nothing stripped', () => {
    const v = JSON.parse(adx(['inspect', '--to', 'domestic', file('speed.json', speed)]).out)
    expect(v.stripped).toEqual([])
    expect(v.payload.vehicleId).toBe(VIN)
  })
  it('exit 1 naming the field of a bad policy', () => {
    const r = adx(['inspect', '--policy', file('badpolicy.json', { filings: [{ id: 'x', kind: 'blessing' }] }), file('speed.json', speed)])
    expect(r.code).toBe(1)
    expect(r.err).toContain('ADX_ERR_POLICY_INVALID')
    expect(r.err).toContain('filings.0.kind')
  })
  it('exit 2 on usage errors, and --help documents exit codes', () => {
    expect(adx(['inspect', '--to', 'mars', 'x']).code).toBe(2)
    const help = adx(['inspect', '--help'])
    expect(help.code).toBe(0)
    expect(help.out).toContain('Exit codes')
    expect(adx(['--help']).out).toContain('inspect')
  })
})
