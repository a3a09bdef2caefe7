/**
 * Measures ingest throughput of the SQLite store on this machine: one transaction per record
 * (an fsync each) against group commit (one transaction per batch).
 *
 *   npx tsx backend/store/measure-ingest.ts [directory] [groupRecords]
 *
 * The directory defaults to the OS temp dir; use the disk the backend will run on. Each record
 * carries a ~300-byte body and 4 distinct-set members (2 vehicle categories, 2 persons) plus a
 * sum, i.e. 1 record row + 4 member rows + total updates.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openSqliteStore } from './sqlite.ts'
import type { IngestRecord } from './types.ts'

const ROWS_PER_RECORD = 5

function makeRecords(prefix: string, n: number): IngestRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    vehicleId: `veh-${i % 1000}`,
    recordId: `${prefix}-${i}`,
    year: 2026,
    exportedMs: 1_770_000_000_000 + i,
    recipient: 'oem-eu-cloud',
    leaseId: '',
    body: randomBytes(300),
    members: [
      ['vehicles', 'vehicle-operating', `veh-${i % 1000}`],
      ['vehicles', 'diagnostic', `veh-${i % 1000}`],
      ['persons.pi', '', `psn:phone:${prefix}-${i}`],
      ['persons.pi', '', `psn:driver:${prefix}-${i}`],
    ],
    sums: [['camera.km', '', 1_000_000]],
  }))
}

async function main(): Promise<void> {
  const base = process.argv[2] ?? tmpdir()
  const groupRecords = Number(process.argv[3] ?? 20_000)
  const dir = mkdtempSync(join(base, 'adx-measure-'))
  const store = await openSqliteStore(join(dir, 'measure.sqlite'))
  try {
    const single = makeRecords('single', 500)
    let t0 = performance.now()
    for (const r of single) await store.ingest([r], Date.now())
    let s = (performance.now() - t0) / 1000
    const singleRate = single.length / s
    console.log(`one transaction per record: ${single.length} records in ${s.toFixed(2)} s = ${Math.round(singleRate)} records/s (${Math.round(singleRate * ROWS_PER_RECORD)} rows/s)`)

    const group = makeRecords('group', groupRecords)
    t0 = performance.now()
    await store.ingest(group, Date.now())
    s = (performance.now() - t0) / 1000
    const groupRate = group.length / s
    console.log(`group commit: ${group.length} records in one transaction in ${s.toFixed(2)} s = ${Math.round(groupRate)} records/s (${Math.round(groupRate * ROWS_PER_RECORD)} rows/s)`)

    const batches = makeRecords('batched', 20_000)
    t0 = performance.now()
    for (let i = 0; i < batches.length; i += 500) await store.ingest(batches.slice(i, i + 500), Date.now())
    s = (performance.now() - t0) / 1000
    const batchedRate = batches.length / s
    console.log(`group commit of 500: ${batches.length} records in ${s.toFixed(2)} s = ${Math.round(batchedRate)} records/s (${Math.round(batchedRate * ROWS_PER_RECORD)} rows/s)`)
  } finally {
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

await main()
