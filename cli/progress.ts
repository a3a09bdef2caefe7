/**
 * Progress of a long run: a bar redrawn in place on a terminal, a plain line every few seconds
 * elsewhere (CI logs), both on stderr so stdout stays the result.
 */
import type { SimProgress } from '../simulator/sim.ts'

/** A progress sink for runSimulation's onProgress. */
export function progressReporter(stream: NodeJS.WriteStream = process.stderr, everyMs = 5_000): { update(p: SimProgress): void; done(): void } {
  const tty = stream.isTTY === true
  const t0 = Date.now()
  let last = 0
  let lastPhase = ''
  const line = (p: SimProgress) => {
    const pct = p.total ? Math.min(100, Math.floor((p.submitted / p.total) * 100)) : 0
    const s = ((Date.now() - t0) / 1000).toFixed(0)
    return { pct, text: `${p.phase.padEnd(9)} ${p.submitted}/${p.total} payloads submitted, ${p.delivered} crossed the border, ${s} s` }
  }
  return {
    update(p) {
      const now = Date.now()
      const { pct, text } = line(p)
      if (tty) {
        if (now - last < 100 && p.phase === lastPhase) return
        const width = 30
        const fill = Math.round((pct / 100) * width)
        stream.write(`\r[${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${String(pct).padStart(3)}% ${text}\x1b[K`)
      } else {
        if (now - last < everyMs && p.phase === lastPhase) return
        stream.write(`sim: ${text}\n`)
      }
      last = now
      lastPhase = p.phase
    },
    done() {
      if (tty) stream.write('\n')
    },
  }
}
