/**
 * HTTPS delivery (node:https, keep-alive) with certificate pinning checked before the request
 * is written. Each payload is one POST of the protobuf body with `Idempotency-Key` and
 * `X-ADX-Payload-Id` set to the payload id, so the receiver deduplicates redeliveries.
 */
import http from 'node:http'
import https from 'node:https'
import type tls from 'node:tls'
import type { OutboxItem } from '../../outbox/index.ts'
import type { DestinationConfig } from '../config.ts'
import { pinnedConnect, tlsOptions } from '../tls-pin.ts'
import type { SendResult, Transport } from './transport.ts'

/** HTTPS (or, for domestic test set-ups, plain HTTP) transport. */
export class HttpsTransport implements Transport {
  private readonly agent: http.Agent
  private readonly url: URL

  constructor(private readonly dest: DestinationConfig) {
    this.url = new URL(dest.url)
    if (this.url.protocol === 'https:') {
      const tlsOpts = tlsOptions(dest)
      const agent = new https.Agent({ keepAlive: true, maxSockets: dest.maxInFlight })
      ;(agent as unknown as { createConnection: unknown }).createConnection = (o: tls.ConnectionOptions, cb: (e: Error | null, s?: tls.TLSSocket) => void) =>
        pinnedConnect({ ...o, ...tlsOpts, servername: o.servername ?? this.url.hostname }, dest.pinSha256, cb)
      this.agent = agent
    } else this.agent = new http.Agent({ keepAlive: true, maxSockets: dest.maxInFlight })
  }

  send(item: OutboxItem): Promise<SendResult> {
    const mod = this.url.protocol === 'https:' ? https : http
    return new Promise<SendResult>((resolve) => {
      const req = mod.request(
        this.url,
        {
          method: 'POST',
          agent: this.agent,
          timeout: this.dest.timeoutMs,
          headers: {
            'content-type': 'application/x-protobuf',
            'content-length': item.body.byteLength,
            'idempotency-key': item.id,
            'x-adx-payload-id': item.id,
          },
        },
        (res) => {
          res.resume()
          res.on('end', () => {
            const s = res.statusCode ?? 0
            if (s >= 200 && s < 300) return resolve({ ok: true })
            const ra = Number(res.headers['retry-after'])
            const error = `HTTP ${s}`
            if (s >= 400 && s < 500 && s !== 408 && s !== 429) return resolve({ ok: false, retry: false, error })
            resolve(Number.isFinite(ra) && ra > 0 ? { ok: false, retry: true, error, retryAfterMs: ra * 1000 } : { ok: false, retry: true, error })
          })
          res.on('error', (e) => resolve({ ok: false, retry: true, error: e.message }))
        },
      )
      req.on('timeout', () => req.destroy(new Error(`timeout after ${this.dest.timeoutMs} ms`)))
      req.on('error', (e) => resolve({ ok: false, retry: true, error: `${(e as NodeJS.ErrnoException).code ?? ''} ${e.message}`.trim() }))
      req.end(item.body)
    })
  }

  async close(): Promise<void> {
    this.agent.destroy()
  }
}
