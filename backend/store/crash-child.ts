/**
 * Child process for crash.test.ts
 * (`node --import tsx crash-child.ts <db> <firstBatch> <lastBatch> <worker|direct> <staleLockMs>`).
 *
 * Opens the store the way the backend does (openSqliteStore for the main connection and, in
 * `worker` mode, an IngestWorker thread with its own connection, as backend/server.ts does) and
 * ingests batches firstBatch..lastBatch, one transaction each (batchOf(b): hundreds to a few
 * thousand records of 0.5–3 KB, so a transaction spans thousands of pages and spills the page
 * cache before COMMIT). It prints `ACK <b>` only after the ingest of batch b resolved, i.e. after
 * its COMMIT returned. Meanwhile the main connection adds small incidents (`INC <id>` once
 * resolved), so the two connections contend for the file lock. Prints `OPEN` once open and
 * `DONE` after closing. The parent SIGKILLs it at random moments.
 */
import { pathToFileURL } from 'node:url'
import { IngestWorker } from './ingest-writer.ts'
import { openSqliteStore } from './sqlite.ts'
import type { IngestRecord } from './types.ts'

/** Small deterministic hash (for sizes and bodies). */
function mix(n: number): number {
  let t = (n + 0x6d2b79f5) >>> 0
  t = Math.imul(t ^ (t >>> 15), t | 1)
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
  return (t ^ (t >>> 14)) >>> 0
}

/** Number of records in batch b (deterministic, 200–2,600). */
export function batchSize(b: number): number {
  return 200 + (mix(b) % 2400)
}

/** The records of batch b: ids `b<b>-<i>`, each a distinct person and one unit of `crash.n`. */
export function batchOf(b: number): IngestRecord[] {
  const out: IngestRecord[] = []
  const n = batchSize(b)
  for (let i = 0; i < n; i++) {
    const body = new Uint8Array(512 + (mix(b * 7919 + i) % 2560))
    new DataView(body.buffer).setUint32(0, b, true)
    body.fill((b + i) & 0xff, 4)
    out.push({
      vehicleId: `veh-${mix(b * 31 + i) % 500}`,
      recordId: `b${b}-${i}`,
      year: 2026,
      exportedMs: 1_767_225_600_000 + b * 10_000 + i,
      recipient: 'crash-sink',
      leaseId: '',
      body,
      members: [
        ['crash.persons', '', `psn:${b}:${i}`],
        ['crash.vehicles', 'location', `veh-${mix(b * 31 + i) % 500}`],
      ],
      sums: [['crash.n', '', 1]],
    })
  }
  return out
}

async function main(): Promise<void> {
  const [path, firstArg, lastArg, mode, staleArg] = process.argv.slice(2)
  if (!path || !firstArg || !lastArg) throw new Error('usage: crash-child.ts <db> <firstBatch> <lastBatch> <worker|direct> <staleLockMs>')
  const first = Number(firstArg)
  const last = Number(lastArg)
  const opts = { busyTimeoutMs: 60_000, staleLockMs: Number(staleArg ?? 1_000) }
  const store = await openSqliteStore(path, opts)
  const writer = mode === 'worker' ? await IngestWorker.start(path, opts) : store
  process.stdout.write('OPEN\n')
  let ingesting = true
  // The main connection writes small transactions while the batches go in (the API does).
  const incidents = (async () => {
    for (let k = 0; ingesting; k++) {
      const id = `inc-${process.pid}-${k}`
      await store.addIncident({
        vehicleId: 'veh-1',
        incidentId: id,
        type: 'crash-test',
        detectedMs: Date.now(),
        receivedMs: Date.now(),
        payloadId: '',
        reasonCode: 'ADX_TEST',
        detail: '',
        categories: [],
        count: 1,
      })
      process.stdout.write(`INC ${id}\n`)
      await new Promise((r) => setTimeout(r, 15))
    }
  })()
  for (let b = first; b <= last; b++) {
    await writer.ingest(batchOf(b), Date.now())
    process.stdout.write(`ACK ${b}\n`)
  }
  ingesting = false
  await incidents
  if (writer !== store) await writer.close()
  await store.close()
  process.stdout.write('DONE\n')
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    process.stderr.write(`crash-child failed: ${(e as Error)?.stack ?? String(e)}\n`)
    process.exit(1)
  })
}
