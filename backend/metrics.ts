/**
 * Prometheus metrics of one backend instance (its own registry, so several instances in one
 * process, as in tests, do not collide). Names follow `adx_backend_<thing>_<unit>`.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

/** The backend's metrics. */
export interface Metrics {
  registry: Registry
  /** Messages received on vehicle uplinks, by kind and result (ok, malformed, oversized, invalid, unknown-vehicle). */
  messages: Counter<'kind' | 'result'>
  /** Records by result (inserted, duplicate, rejected). */
  records: Counter<'result'>
  /** Group commits: records per transaction and its duration. */
  commitRecords: Histogram
  commitSeconds: Histogram
  /** Broker security events by kind (auth, publish, subscribe, clientid). */
  securityEvents: Counter<'kind'>
  /** Yearly count vs limit, per limit. */
  limitFraction: Gauge<'limit'>
  counts: Gauge<'counter' | 'category'>
  /** Records created because an overseas API account read data. */
  overseasReads: Counter<'route'>
  /** HTTP requests by route and status. */
  http: Counter<'method' | 'route' | 'status'>
}

/**
 * Creates the metrics of one backend instance.
 * @example const m = createMetrics(); m.records.inc({ result: 'inserted' }, 3)
 */
export function createMetrics(opts: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry()
  if (opts.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'adx_backend_' })
  const registers = [registry]
  return {
    registry,
    messages: new Counter({ name: 'adx_backend_messages_total', help: 'Vehicle uplink messages by kind and result', labelNames: ['kind', 'result'], registers }),
    records: new Counter({ name: 'adx_backend_records_total', help: 'Export records by ingest result', labelNames: ['result'], registers }),
    commitRecords: new Histogram({
      name: 'adx_backend_commit_records',
      help: 'Records per group-commit transaction',
      buckets: [1, 10, 100, 1000, 5000, 20000],
      registers,
    }),
    commitSeconds: new Histogram({
      name: 'adx_backend_commit_seconds',
      help: 'Duration of a group-commit transaction',
      buckets: [0.001, 0.005, 0.02, 0.05, 0.1, 0.5, 1, 5],
      registers,
    }),
    securityEvents: new Counter({ name: 'adx_backend_security_events_total', help: 'Refused broker actions by kind', labelNames: ['kind'], registers }),
    limitFraction: new Gauge({ name: 'adx_backend_limit_fraction', help: 'Yearly count divided by the limit', labelNames: ['limit'], registers }),
    counts: new Gauge({ name: 'adx_backend_count', help: 'Yearly counts (current counting year)', labelNames: ['counter', 'category'], registers }),
    overseasReads: new Counter({ name: 'adx_backend_overseas_reads_total', help: 'API reads by overseas accounts (counted as exports)', labelNames: ['route'], registers }),
    http: new Counter({ name: 'adx_backend_http_requests_total', help: 'HTTP requests', labelNames: ['method', 'route', 'status'], registers }),
  }
}
