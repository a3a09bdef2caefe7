/**
 * Invariant 2, property-based: whatever bytes or JSON arrive — random, truncated, bit-flipped
 * valid payloads — inspect never throws; what it cannot inspect is held with a reason; what it
 * lets go abroad decodes as a payload.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { holdReasons } from '../../agent/inspect/reasons.ts'
import { wire } from '../../shared/wire/index.ts'
import { examplePayloads, mixedCorpus } from '../../simulator/corpus.ts'
import { everythingOnFile } from '../../simulator/policies.ts'
import { abroad, testInspector } from '../helpers/inspector.ts'

const RUNS = Math.max(1000, Math.floor(Number(process.env.ADX_PROPERTY_RUNS ?? 10_000) / 2))
const inspector = testInspector()
const valid = [...mixedCorpus(60), ...examplePayloads().map((e) => e.payload)].map((p) => wire.OutboundPayload.encode(wire.OutboundPayload.fromObject(p)).finish())
const codes = new Set(Object.keys(holdReasons))

function check(input: Uint8Array | string | Record<string, unknown>): void {
  const v = inspector.inspect(input, abroad, everythingOnFile)
  if (v.decision === 'hold') {
    expect(v.output).toBeUndefined()
    expect(v.reasons.length).toBeGreaterThan(0)
    for (const r of v.reasons) expect(codes.has(r.code)).toBe(true)
  } else {
    expect(v.decision).toBe('send')
    expect(() => wire.OutboundPayload.decode(v.output!)).not.toThrow()
  }
}

describe('fail closed', () => {
  it(`never throws on random bytes (${RUNS} runs)`, () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2048 }), (b) => check(b)), { numRuns: RUNS })
  })
  it(`never throws on mutated valid payloads: bit flips, truncation, splices (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(fc.nat(), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), { maxLength: 8 }), fc.nat(), (pick, flips, cut) => {
        const b = new Uint8Array(valid[pick % valid.length]!)
        for (const [at, bit] of flips) b[at % b.length]! ^= 1 << bit
        check(b.subarray(0, b.length - (cut % Math.max(1, Math.floor(b.length / 4)))))
      }),
      { numRuns: RUNS },
    )
  })
  it(`never throws on arbitrary JSON (${RUNS} runs)`, () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 6 }), (j) => check(JSON.stringify(j))), { numRuns: RUNS })
    fc.assert(fc.property(fc.object({ maxDepth: 4 }), (o) => check(o as Record<string, unknown>)), { numRuns: Math.floor(RUNS / 5) })
  })
})
