/**
 * End-to-end throughput of the agent in one process on 127.0.0.1:
 * `npx tsx agent/daemon/bench-agent.ts [payloads] [concurrency]`. Payloads go through the HTTP
 * ingress (keep-alive client), inspection, the outbox and pinned HTTPS delivery to a local sink;
 * export records go to a local aedes backend. Prints accepted/s and delivered/s.
 */
import http from 'node:http'
import { pino } from 'pino'
import { vehicleTopic } from '../../shared/topics.ts'
import { startAgent } from './daemon.ts'
import { RECORDS_QUEUE } from './queues.ts'
import { startTestBackend } from './test-backend.ts'
import { dirtyPayload, signedPolicy, tempDir, testConfig, testSigner } from './test-fixtures.ts'
import { startTestSink } from './test-sink.ts'

const N = Number(process.argv[2] ?? 5000)
const C = Number(process.argv[3] ?? 16)
const dir = tempDir('adx-bench-')
const signer = testSigner()
const sink = await startTestSink(dir)
const backend = await startTestBackend()
await backend.publish(vehicleTopic('veh-1', 'policy'), signedPolicy(signer, { version: 1, vehiclePseudonym: 'veh-1', lease: { leaseId: 'L', newPersons: 1e6, newSensitivePersons: 1e6, newVehicleAllowed: true, expiresMs: Date.now() + 3_600_000 } }))
const config = testConfig(dir, signer, {
  backend: { url: `mqtt://127.0.0.1:${backend.port}`, password: 'pw', policyPublicKey: signer.publicKeyPem },
  destinations: [{ name: 'oem-eu', region: 'abroad', recipient: 'CN=sink.test', transport: 'https', url: sink.url, pinSha256: sink.fingerprint }],
})
const agent = await startAgent(config, { log: pino({ level: 'silent' }) })
while (agent.core.keeper.version < 1) await new Promise((r) => setTimeout(r, 20))
const bodies = Array.from({ length: N }, (_, i) => JSON.stringify(dirtyPayload(`b${i}`, 'oem-eu')))
const ka = new http.Agent({ keepAlive: true, maxSockets: C })
const post = (body: string) =>
  new Promise<number>((resolve) => {
    const req = http.request({ host: '127.0.0.1', port: agent.httpPort, path: '/v1/payloads', method: 'POST', agent: ka, headers: { 'content-type': 'application/json' } }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
    })
    req.on('error', () => resolve(0))
    req.end(body)
  })
const t0 = performance.now()
let next = 0
await Promise.all(Array.from({ length: C }, async () => {
  while (next < N) if ((await post(bodies[next++]!)) !== 202) throw new Error('not accepted')
}))
const t1 = performance.now()
while (sink.received.length < N || agent.core.outbox.stats().destinations[RECORDS_QUEUE]) await new Promise((r) => setTimeout(r, 20))
const t2 = performance.now()
console.log(`${N} payloads (~${bodies[0]!.length} B JSON), ${C} concurrent posters: accepted ${Math.round(N / ((t1 - t0) / 1000))}/s (202 = durable); delivered to the pinned HTTPS sink and records acked by the backend ${Math.round(N / ((t2 - t0) / 1000))}/s end to end`)
await agent.stop()
await backend.close()
await sink.close()
ka.destroy()
