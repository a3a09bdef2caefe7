/**
 * Child process for crash.test.ts
 * (`node --import tsx crash-child.ts <db> <start> <total> <workers> [ratePerSec] [burst]`).
 * Enqueues payloads `p-<i>` for i in [start, total) with `workers` concurrent producers, paced
 * at `ratePerSec` in bursts of `burst` ids released together (0 = unpaced), and
 * prints `Q <i>` (newly queued) or `D <i>` (already there) to stdout only AFTER enqueue
 * resolved, i.e. after the commit was fsync'd. Prints `DONE` after close(). The parent kills
 * it with SIGKILL at random moments.
 */
import { pathToFileURL } from 'node:url'
import { openOutbox } from './outbox.ts'

/** Destination of payload i (two destinations, to check per-destination order). */
export function destinationOf(i: number): string {
  return i % 3 === 0 ? 'eu-oem' : 'cn-backend'
}

/** Deterministic 1 KB body of payload i: i as 4 bytes little endian, then (i + k) & 0xff. */
export function bodyOf(i: number): Uint8Array {
  const b = new Uint8Array(1024)
  new DataView(b.buffer).setUint32(0, i, true)
  for (let k = 4; k < b.length; k++) b[k] = (i + k) & 0xff
  return b
}

async function main(): Promise<void> {
  const [path, startArg, totalArg, workersArg, rateArg, burstArg] = process.argv.slice(2)
  if (!path) throw new Error('usage: crash-child.ts <db> <start> <total> <workers> [ratePerSec] [burst]')
  const start = Number(startArg)
  const total = Number(totalArg)
  const workers = Math.max(1, Number(workersArg))
  const rate = Number(rateArg ?? 0)
  const burst = Math.max(1, Number(burstArg ?? 1))
  let next = start
  const outbox = await openOutbox({ path, maxItems: 1_000_000, maxBytes: 1 << 30 })
  process.stdout.write(`OPEN ${outbox.openInfo.tookOverStaleOwner ? 'takeover' : 'clean'}\n`)
  const t0 = performance.now()
  const producer = async (): Promise<void> => {
    while (next < total) {
      const i = next++
      if (rate > 0) {
        const due = t0 + (Math.floor((i - start) / burst) * burst * 1000) / rate
        const wait = due - performance.now()
        if (wait > 0) await new Promise((r) => setTimeout(r, wait))
      }
      const r = await outbox.enqueue({ id: `p-${i}`, destination: destinationOf(i), priority: i % 5, body: bodyOf(i), meta: JSON.stringify({ i }) })
      process.stdout.write(`${r.status === 'queued' ? 'Q' : 'D'} ${i}\n`)
    }
  }
  await Promise.all(Array.from({ length: workers }, producer))
  await outbox.close()
  process.stdout.write('DONE\n')
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e) => {
    process.stderr.write(`crash-child failed: ${(e as Error)?.stack ?? String(e)}\n`)
    process.exit(1)
  })
}
