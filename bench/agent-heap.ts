/**
 * Where the in-process agent's memory goes, wave by wave (helper of bench/agent.bench.ts; needs
 * --expose-gc): `node --expose-gc --import tsx bench/agent-heap.ts [waves] [perWave]`.
 * Starts the agent in this process with a stand-in aedes backend and a pinned HTTPS sink, posts
 * `perWave` ~1 KB payloads per wave over the HTTP ingress, waits until all are delivered and
 * their records acked, forces a full GC, and prints process.memoryUsage(). A heap that keeps
 * growing after GC wave after wave is retained state; one that stays flat is not.
 */
import { pino } from 'pino'
import { vehicleTopic } from '../shared/topics.ts'
import { startAgent } from '../agent/daemon/daemon.ts'
import { RECORDS_QUEUE } from '../agent/daemon/queues.ts'
import { startTestBackend } from '../agent/daemon/test-backend.ts'
import { signedPolicy, tempDir, testConfig, testSigner } from '../agent/daemon/test-fixtures.ts'
import { startTestSink } from '../agent/daemon/test-sink.ts'
import { payloads, postAll, sleep } from './agent-helpers.ts'

const gc = (globalThis as { gc?: () => void }).gc
if (!gc) throw new Error('run with node --expose-gc --import tsx bench/agent-heap.ts')
const waves = Number(process.argv[2] ?? 5)
const perWave = Number(process.argv[3] ?? 3000)
const MiB = (n: number) => (n / 2 ** 20).toFixed(1)
const show = (label: string) => {
  gc()
  gc()
  const m = process.memoryUsage()
  console.log(`${label.padEnd(28)} rss ${MiB(m.rss)}  heapTotal ${MiB(m.heapTotal)}  heapUsed ${MiB(m.heapUsed)}  external ${MiB(m.external)}  arrayBuffers ${MiB(m.arrayBuffers)} MiB`)
}

show('process start (tsx loaded)')
const dir = tempDir('adx-bench-heap-')
const signer = testSigner()
const sink = await startTestSink(dir)
const backend = await startTestBackend()
await backend.publish(vehicleTopic('veh-1', 'policy'), signedPolicy(signer, { version: 1, vehiclePseudonym: 'veh-1', lease: { leaseId: 'L', newPersons: 1e6, newSensitivePersons: 1e6, newVehicleAllowed: true, expiresMs: Date.now() + 3_600_000 } }))
const config = testConfig(dir, signer, {
  backend: { url: `mqtt://127.0.0.1:${backend.port}`, password: 'pw', policyPublicKey: signer.publicKeyPem },
  destinations: [{ name: 'oem-eu', region: 'abroad', recipient: 'CN=sink.test', transport: 'https', url: sink.url, pinSha256: sink.fingerprint }],
})
show('backend + sink up')
const agent = await startAgent(config, { log: pino({ level: 'silent' }) })
while (agent.core.keeper.version < 1) await sleep(20)
show('agent started, policy in')
let delivered = 0
for (let w = 0; w < waves; w++) {
  const r = await postAll(agent.httpPort, payloads(`w${w}-`, perWave, 'oem-eu'), 8)
  for (;;) {
    delivered += sink.received.length
    sink.received.length = 0
    const st = agent.core.outbox.stats() as unknown as { destinations: Record<string, unknown> }
    if (delivered >= (w + 1) * perWave && !st.destinations[RECORDS_QUEUE] && !st.destinations['oem-eu'] && !st.destinations['@ingress']) break
    await sleep(100)
  }
  backend.records.length = 0
  show(`wave ${w + 1}: ${r.accepted} accepted, ${delivered} delivered`)
}
await agent.stop()
await backend.close()
await sink.close()
show('agent stopped')
process.exit(0)
