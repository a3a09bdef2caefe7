/**
 * `npm run bench:inspect`: payloads/s and p50/p99 latency of `inspect` (abroad, full pipeline
 * including re-encoding) on a mixed ~1 KB corpus, against a bare protobufjs decode + encode
 * of the same payloads in the same run. Rounds alternate baseline and inspect; medians of the
 * rounds are reported with min and max. Not a test: nothing fails on timing.
 */
import { randomBytes } from 'node:crypto'
import { loadInspector } from '../agent/load-inspector.ts'
import { wire } from '../shared/wire/index.ts'
import { mixedCorpus } from '../simulator/corpus.ts'
import { everythingOnFile } from '../simulator/policies.ts'
import { fmt, machine, percentile, summary } from './stats.ts'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)
const SECONDS = Number(process.env.BENCH_SECONDS ?? 2)

const allFiled = everythingOnFile

export interface InspectBenchResult {
  payloads: number
  meanBytes: number
  baseline: { rate: { median: number; min: number; max: number }; p50us: number; p99us: number }
  inspect: { rate: { median: number; min: number; max: number }; p50us: number; p99us: number }
  ratio: number
  sent: number
}

function run(corpus: Uint8Array[], fn: (b: Uint8Array) => unknown): { rate: number; latencies: number[] } {
  const latencies: number[] = []
  const end = performance.now() + SECONDS * 1000
  let n = 0
  const t0 = performance.now()
  while (performance.now() < end) {
    for (const b of corpus) {
      const s = process.hrtime.bigint()
      fn(b)
      latencies.push(Number(process.hrtime.bigint() - s) / 1000)
      n++
    }
  }
  return { rate: n / ((performance.now() - t0) / 1000), latencies }
}

/** Run the benchmark and return its figures. */
export function benchInspect(log: (s: string) => void = console.log): InspectBenchResult {
  const inspector = loadInspector({ pseudonymKey: randomBytes(32) })
  const corpus = mixedCorpus(1000).map((p) => wire.OutboundPayload.encode(wire.OutboundPayload.fromObject(p)).finish())
  const meanBytes = corpus.reduce((a, b) => a + b.length, 0) / corpus.length
  const destination = { name: 'oem-eu', region: 'abroad' as const, recipient: 'CN=oem-eu.example' }
  const sent = corpus.filter((b) => inspector.inspect(b, destination, allFiled).decision === 'send').length
  log(`machine: ${machine()}`)
  log(`corpus: ${corpus.length} payloads, mean ${fmt(meanBytes)} bytes, ${sent} sent abroad under full filings`)
  const baseRates: number[] = []
  const inspRates: number[] = []
  let baseLat: number[] = []
  let inspLat: number[] = []
  const bare = (b: Uint8Array) => wire.OutboundPayload.encode(wire.OutboundPayload.decode(b)).finish()
  const insp = (b: Uint8Array) => inspector.inspect(b, destination, allFiled)
  run(corpus.slice(0, 200), bare) // warm-up
  run(corpus.slice(0, 200), insp)
  for (let r = 0; r < ROUNDS; r++) {
    const a = run(corpus, bare)
    const b = run(corpus, insp)
    baseRates.push(a.rate)
    inspRates.push(b.rate)
    baseLat = baseLat.concat(a.latencies.slice(0, 50_000))
    inspLat = inspLat.concat(b.latencies.slice(0, 50_000))
    log(`round ${r + 1}: baseline ${fmt(a.rate)}/s, inspect ${fmt(b.rate)}/s`)
  }
  baseLat.sort((x, y) => x - y)
  inspLat.sort((x, y) => x - y)
  const result: InspectBenchResult = {
    payloads: corpus.length,
    meanBytes,
    baseline: { rate: summary(baseRates), p50us: percentile(baseLat, 50), p99us: percentile(baseLat, 99) },
    inspect: { rate: summary(inspRates), p50us: percentile(inspLat, 50), p99us: percentile(inspLat, 99) },
    ratio: summary(baseRates).median / summary(inspRates).median,
    sent,
  }
  log(`baseline (protobufjs decode+encode): ${fmt(result.baseline.rate.median)}/s [${fmt(result.baseline.rate.min)}–${fmt(result.baseline.rate.max)}], p50 ${fmt(result.baseline.p50us, 1)} µs, p99 ${fmt(result.baseline.p99us, 1)} µs`)
  log(`inspect (abroad, full pipeline):      ${fmt(result.inspect.rate.median)}/s [${fmt(result.inspect.rate.min)}–${fmt(result.inspect.rate.max)}], p50 ${fmt(result.inspect.p50us, 1)} µs, p99 ${fmt(result.inspect.p99us, 1)} µs`)
  log(`ratio: inspect is ${fmt(result.ratio, 2)}× the bare codec's time (goal ≤ 3×; ≥ 20,000/s)`)
  return result
}

if (import.meta.url === `file://${process.argv[1]}`) benchInspect()
