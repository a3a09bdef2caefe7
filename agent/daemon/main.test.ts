/** The agent CLI: a bad config exits non-zero and names every bad field; --check validates. */
import { execFile } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { generateSigningKey } from '../../shared/signature.ts'
import { PSEUDONYM_KEY_HEX, tempDir } from './test-fixtures.ts'

const run = promisify(execFile)
const main = join(import.meta.dirname, 'main.ts')

async function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, ['--import', 'tsx', main, ...args], { env: { ...process.env, ...env } })
    return { code: 0, stdout: r.stdout, stderr: r.stderr }
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string }
    return { code: x.code, stdout: x.stdout, stderr: x.stderr }
  }
}

describe('adx agent --config', () => {
  it('a bad config exits 1 naming each bad field', async () => {
    const dir = tempDir()
    const file = join(dir, 'agent.yaml')
    writeFileSync(file, 'vehicle:\n  id: "no/slashes"\ningress:\n  http: { host: 0.0.0.0, port: 8470 }\noutbox:\n  whenFull: drop\n')
    const r = await cli(['agent', '--config', file])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('ADX_ERR_AGENT_CONFIG')
    for (const field of ['vehicle.id', 'ingress.http.host', 'outbox.whenFull', 'backend', 'dataDir', 'destinations']) expect(r.stderr).toContain(field)
  })

  it('a missing file and invalid YAML are named too', async () => {
    expect((await cli(['agent', '--config', '/nonexistent/agent.yaml'])).stderr).toMatch(/cannot read "\/nonexistent\/agent.yaml"/)
    const file = join(tempDir(), 'bad.yaml')
    writeFileSync(file, 'vehicle: [unclosed')
    const r = await cli(['agent', '--config', file])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/not valid YAML/)
  })

  it('--check validates a good config (secrets from the environment)', async () => {
    const dir = tempDir()
    const file = join(dir, 'agent.yaml')
    writeFileSync(
      file,
      JSON.stringify({
        vehicle: { id: 'veh-1' },
        backend: { url: 'mqtts://backend.example:8883', password: 'pw' },
        dataDir: dir,
        ingress: { http: { port: 8470 } },
        destinations: [{ name: 'eu', region: 'abroad', recipient: 'CN=eu', transport: 'https', url: 'https://eu.example/in', pinSha256: 'ab'.repeat(32) }],
      }),
    )
    const r = await cli(['agent', '--config', file, '--check'], { ADX_PSEUDONYM_KEY: PSEUDONYM_KEY_HEX, ADX_POLICY_PUBLIC_KEY: generateSigningKey().publicKeyPem })
    expect(r).toMatchObject({ code: 0 })
    expect(r.stdout).toContain('configuration ok')
  })
})
