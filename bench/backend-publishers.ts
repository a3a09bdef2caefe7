/**
 * Child process of bench/backend.bench.ts: the vehicles. Runs apart from the broker/backend
 * process (as real vehicles would), so the clients' CPU is not charged to the measured process.
 *
 * Receives one job over IPC, builds every message before the clock starts, connects the
 * publishers (and, in `subscriber` mode, one no-op subscriber), then publishes ExportRecordBatch
 * messages at QoS 1 keeping at most `window` messages per vehicle outstanding, where
 * outstanding means:
 *   ack         not yet acknowledged by the backend (adx/v1/vehicles/<id>/ack): stored + counted
 *   puback      not yet PUBACKed by the broker (aedes hands in-process subscribers the message first)
 *   subscriber  not yet received by the no-op subscriber
 * The clock runs from the first publish to the last record acknowledged/received. Bounded: gives
 * up after `timeoutMs` and reports what it got.
 */
import { pathToFileURL } from 'node:url'
import { connectAsync, type MqttClient } from 'mqtt'
import { type ExportRecord, wire } from '../shared/wire/index.ts'

export interface PublisherJob {
  url: string
  vehicles: Array<{ id: string; password?: string }>
  /** Records in all, split evenly over vehicles and messages. */
  records: number
  perMessage: number
  window: number
  mode: 'ack' | 'puback' | 'subscriber'
  /** Credentials of the subscriber (subscriber mode). */
  subscriber?: { username?: string; password?: string }
  timeoutMs: number
  seed: number
}

export interface PublisherResult {
  messages: number
  records: number
  bytes: number
  /** Records acknowledged / received when the clock stopped. */
  completedRecords: number
  seconds: number
  timedOut: boolean
}

/** Deterministic PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const hex = (r: () => number, n: number) => {
  let s = ''
  for (let i = 0; i < n; i++) s += Math.floor(r() * 16).toString(16)
  return s
}

/**
 * 20 hex digits (the shape of a real `psn:` HMAC) for person k: the first 8 are a bijection of
 * k (odd multiplier mod 2^32), so distinct k give distinct pseudonyms in scrambled order.
 */
export function pseudonymHex(k: number): string {
  const a = Math.imul(k >>> 0, 0x9e3779b1) >>> 0
  const b = Math.imul((k ^ 0x5bd1e995) >>> 0, 0x85ebca6b) >>> 0
  const c = Math.imul((a ^ b) >>> 0, 0xc2b2ae35) >>> 0
  return a.toString(16).padStart(8, '0') + b.toString(16).padStart(8, '0') + c.toString(16).padStart(8, '0').slice(0, 4)
}

const CATEGORIES = ['vehicle-operating', 'diagnostic', 'location', 'charging', 'personal', 'driving-automation', 'software-upgrade']
const RULES = ['IDR-GEO-SURVEYING', 'IDR-SYSTEM-FUNCTION', 'DT-VIN', 'DT-PHONE', 'DT-GNSS', 'DT-DTC', 'DT-SOC']
const KINDS = ['phone', 'driver-id', 'vin', 'name', 'email']

/**
 * Realistic export records for one vehicle: 1–3 subjects with `psn:` pseudonyms drawn from a
 * fleet-wide pool of persons (so some persons repeat), 1–3 categories, 1–3 rule ids.
 */
export function vehicleRecords(vehicleId: string, count: number, seed: number, personPool: number): ExportRecord[] {
  const r = rng(seed)
  const now = Date.now()
  const out: ExportRecord[] = []
  for (let i = 0; i < count; i++) {
    const subjects = Array.from({ length: 1 + Math.floor(r() * 3) }, () => {
      const kind = KINDS[Math.floor(r() * KINDS.length)]!
      const person = Math.floor(r() * personPool)
      return { pseudonym: `psn:${kind}:${pseudonymHex(person)}`, kind, sensitive: r() < 0.1, charging: r() < 0.05 }
    })
    const categories = [...new Set(Array.from({ length: 1 + Math.floor(r() * 3) }, () => CATEGORIES[Math.floor(r() * CATEGORIES.length)]!))]
    out.push({
      recordId: `rec-${vehicleId}-${i}-${hex(r, 8)}`,
      payloadId: `pl-${hex(r, 16)}`,
      vehiclePseudonym: vehicleId,
      exportedMs: now - Math.floor(r() * 60_000),
      destination: 'oem-eu-cloud',
      recipient: 'CN=oem-eu.example',
      purpose: 'remote-diagnostics',
      kind: 1 + Math.floor(r() * 3),
      categories,
      ruleIds: [...new Set(Array.from({ length: 1 + Math.floor(r() * 3) }, () => RULES[Math.floor(r() * RULES.length)]!))],
      subjects,
      originalBytes: 800 + Math.floor(r() * 1200),
      exportedBytes: 400 + Math.floor(r() * 600),
      exemption: null,
      strippedItems: Math.floor(r() * 4),
      cameraKm: 0,
      cameraHours: 0,
      rulePackVersion: '2026.1.0',
      policyVersion: 1,
      leaseId: '',
    })
  }
  return out
}

/** The encoded messages of every vehicle (deterministic in job.seed, timestamps aside). */
export function buildMessages(job: Pick<PublisherJob, 'vehicles' | 'records' | 'perMessage' | 'seed'>): Buffer[][] {
  const perVehicle = Math.ceil(job.records / job.vehicles.length / job.perMessage) * job.perMessage
  return job.vehicles.map((v, vi) => {
    const recs = vehicleRecords(v.id, perVehicle, job.seed * 1000 + vi, Math.max(1000, job.records))
    const msgs: Buffer[] = []
    for (let i = 0; i < recs.length; i += job.perMessage)
      msgs.push(Buffer.from(wire.ExportRecordBatch.encode(wire.ExportRecordBatch.fromObject({ records: recs.slice(i, i + job.perMessage) })).finish()))
    return msgs
  })
}

async function run(job: PublisherJob): Promise<PublisherResult> {
  const messages = buildMessages(job)
  const totalMessages = messages.reduce((a, m) => a + m.length, 0)
  const totalRecords = totalMessages * job.perMessage
  const bytes = messages.flat().reduce((a, b) => a + b.length, 0)
  const clients: MqttClient[] = []
  let completedMessages = 0
  let t0 = 0
  let finish!: () => void
  const finished = new Promise<void>((r) => (finish = r))
  const pumps: Array<() => void> = []
  const outstanding = job.vehicles.map(() => 0)
  const complete = (vi: number, n = 1) => {
    outstanding[vi]! -= n
    completedMessages += n
    if (completedMessages >= totalMessages) finish()
    else pumps[vi]!()
  }
  try {
    const index = new Map(job.vehicles.map((v, i) => [v.id, i]))
    if (job.mode === 'subscriber') {
      const sub = await connectAsync(job.url, { clientId: `bench-sub-${process.pid}`, reconnectPeriod: 0, ...job.subscriber })
      clients.push(sub)
      sub.on('message', (topic) => {
        const vi = index.get(topic.split('/')[3]!)
        if (vi !== undefined) complete(vi)
      })
      await sub.subscribeAsync('adx/v1/vehicles/+/records', { qos: 1 })
    }
    for (const [vi, v] of job.vehicles.entries()) {
      const c = await connectAsync(job.url, { clientId: v.id, username: v.password ? v.id : undefined, password: v.password, reconnectPeriod: 0, connectTimeout: 10_000 })
      clients.push(c)
      const topic = `adx/v1/vehicles/${v.id}/records`
      if (job.mode === 'ack') {
        let ackedRecords = 0
        let ackedMessages = 0
        c.on('message', (_t, p) => {
          ackedRecords += (wire.Ack.decode(p) as unknown as { ids: string[] }).ids.length
          const m = Math.floor(ackedRecords / job.perMessage)
          if (m > ackedMessages) {
            const n = m - ackedMessages
            ackedMessages = m
            complete(vi, n)
          }
        })
        await c.subscribeAsync(`adx/v1/vehicles/${v.id}/ack`, { qos: 1 })
      }
      const list = messages[vi]!
      let next = 0
      pumps[vi] = () => {
        while (next < list.length && outstanding[vi]! < job.window) {
          const p = list[next++]!
          outstanding[vi]!++
          c.publish(topic, p, { qos: 1 }, (err) => {
            if (err && completedMessages < totalMessages) process.send?.({ type: 'log', line: `publish error ${v.id}: ${err.message}` })
            if (job.mode === 'puback') complete(vi)
          })
        }
      }
    }
    const timer = setTimeout(finish, job.timeoutMs)
    t0 = performance.now()
    for (const p of pumps) p()
    await finished
    const seconds = (performance.now() - t0) / 1000
    clearTimeout(timer)
    return {
      messages: totalMessages,
      records: totalRecords,
      bytes,
      completedRecords: completedMessages * job.perMessage,
      seconds,
      timedOut: completedMessages < totalMessages,
    }
  } finally {
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)))
  }
}

if (process.send && import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.once('message', (job: PublisherJob) => {
    run(job).then(
      (result) => process.send!({ type: 'result', result }, () => process.exit(0)),
      (err: unknown) => process.send!({ type: 'error', message: (err as Error).stack ?? String(err) }, () => process.exit(1)),
    )
  })
}
