/**
 * kill -9 at random moments: the agent runs as a child process (`node --import tsx`), apps
 * post a stream of payloads to its ingress, and the child is SIGKILLed ≥ 20 times and
 * restarted. Every payload that got a 202 must reach the pinned HTTPS sink (at least once;
 * after dedupe by id none is missing and none is unknown), and its export record must reach
 * the backend.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import http from 'node:http'
import { writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { vehicleTopic } from '../../shared/topics.ts'
import { verifyChain } from './audit-log.ts'
import { startTestBackend } from './test-backend.ts'
import { cleanPayload, haveOpenssl, PSEUDONYM_KEY_HEX, signedPolicy, tempDir, testSigner } from './test-fixtures.ts'
import { startTestSink } from './test-sink.ts'

const KILLS = 20
const PAYLOADS = 3000
const POSTERS = 8

async function freePort(): Promise<number> {
  const s = createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  const port = (s.address() as { port: number }).port
  await new Promise<void>((r) => s.close(() => r()))
  return port
}

function startChild(configFile: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'crash-child.ts'), configFile], { stdio: ['ignore', 'pipe', 'pipe'] })
  return new Promise((resolve, reject) => {
    let out = ''
    let err = ''
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString()
      if (out.includes('READY')) resolve(child)
    })
    child.stderr!.on('data', (c: Buffer) => void (err += c.toString()))
    child.once('exit', (code) => reject(new Error(`child exited ${code} before READY: ${err.slice(-2000)}`)))
  })
}

function kill9(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    child.once('exit', () => resolve())
    child.kill('SIGKILL')
  })
}

const agent = new http.Agent({ keepAlive: true, maxSockets: POSTERS })

function post(port: number, body: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/v1/payloads', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
      res.on('error', () => resolve(0))
    })
    req.on('error', () => resolve(0))
    req.end(body)
  })
}

let cleanup: (() => Promise<void>)[] = []
afterAll(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => undefined)
})

describe.skipIf(!haveOpenssl())('kill -9 during a stream of payloads', () => {
  it(`loses nothing acknowledged over ${KILLS} kills`, { timeout: 120_000 }, async () => {
    const dir = tempDir('adx-crash-')
    const signer = testSigner()
    const sink = await startTestSink(dir)
    cleanup.push(() => sink.close())
    const backend = await startTestBackend()
    cleanup.push(() => backend.close())
    await backend.publish(vehicleTopic('veh-1', 'policy'), signedPolicy(signer, { vehiclePseudonym: 'veh-1', version: 1, lease: { leaseId: 'L1', newPersons: 1000, newSensitivePersons: 1000, newVehicleAllowed: true, expiresMs: Date.now() + 3_600_000 } }))
    const port = await freePort()
    const configFile = join(dir, 'agent.yaml')
    writeFileSync(
      configFile,
      JSON.stringify({
        vehicle: { id: 'veh-1' },
        backend: { url: `mqtt://127.0.0.1:${backend.port}`, password: 'pw', policyPublicKey: signer.publicKeyPem },
        pseudonymKey: PSEUDONYM_KEY_HEX,
        dataDir: join(dir, 'data'),
        ingress: { http: { port } },
        destinations: [{ name: 'oem-eu', region: 'abroad', recipient: 'CN=sink.test', transport: 'https', url: sink.url, pinSha256: sink.fingerprint, timeoutMs: 5000 }],
        log: { level: 'warn' },
      }),
    )
    let child = await startChild(configFile)
    cleanup.push(() => kill9(child))

    let kills = 0
    const accepted = new Set<string>()
    let next = 0
    let refusedOrFailed = 0
    const posters = Array.from({ length: POSTERS }, async () => {
      // Keep the stream going until every kill has happened (each kill lands mid-stream).
      while (next < PAYLOADS || kills < KILLS) {
        const id = `k${next++}`
        const body = JSON.stringify(cleanPayload(id, 'oem-eu'))
        // Retry the same id until it is acknowledged (re-posting is idempotent).
        for (;;) {
          const status = await post(port, body)
          if (status === 202) {
            accepted.add(id)
            break
          }
          refusedOrFailed++
          await new Promise((r) => setTimeout(r, 20))
        }
      }
    })
    const killer = (async () => {
      while (kills < KILLS) {
        await new Promise((r) => setTimeout(r, 100 + Math.random() * 500))
        await kill9(child)
        kills++
        child = await startChild(configFile)
      }
    })()
    await Promise.all([killer, ...posters])
    expect(kills).toBeGreaterThanOrEqual(KILLS)
    expect(accepted.size).toBe(next)
    expect(accepted.size).toBeGreaterThanOrEqual(PAYLOADS)

    const deadline = Date.now() + 60_000
    const got = () => new Set(sink.received.map((r) => r.id))
    while (Date.now() < deadline && (got().size < accepted.size || new Set(backend.records.map((r) => r.payloadId)).size < accepted.size))
      await new Promise((r) => setTimeout(r, 100))
    const ids = got()
    const missing = [...accepted].filter((id) => !ids.has(id))
    expect(missing).toEqual([])
    expect([...ids].filter((id) => !accepted.has(id))).toEqual([])
    expect(new Set(backend.records.map((r) => r.payloadId)).size).toBe(accepted.size)
    // The audit log's hash chain survives the kills (torn tails at most).
    await kill9(child)
    const chain = verifyChain(join(dir, 'data', 'audit'))
    expect(chain.problem).toBeUndefined()
    expect(chain.ok).toBe(true)
    console.log(`audit chain: ${chain.entries} entries in ${chain.files} files, ${chain.tornTails} torn tails`)
    console.log(`crash test: ${kills} kills, ${accepted.size} payloads acknowledged, ${sink.received.length} deliveries (${sink.received.length - ids.size} redeliveries deduplicated by id), ${refusedOrFailed} posts retried during kills, ${backend.records.length} records received`)
  })
})
