/**
 * Loopback HTTP ingress: `POST /v1/payloads` with an OutboundPayload as protobuf
 * (`application/x-protobuf`) or proto3 JSON (`application/json`). 202 only after the payload is
 * durable in the outbox. Errors are JSON `{ error: { code, message } }`:
 * 400 ADX_ERR_AGENT_PAYLOAD_INVALID, 404 ADX_ERR_AGENT_NOT_FOUND, 413 ADX_ERR_AGENT_PAYLOAD_TOO_LARGE,
 * 415 ADX_ERR_AGENT_MEDIA_TYPE, 503 ADX_ERR_AGENT_STOPPING, 507 ADX_ERR_OUTBOX_FULL.
 * On a gateway, the `x-adx-vehicle` header names which of its vehicles the payload belongs to.
 *
 * `POST /v1/payloads/batch` takes up to BATCH_MAX_ITEMS payloads in one request (batch.ts:
 * length-delimited protobuf, or a JSON array) and answers once every one of them is durable or
 * refused: `{ results: [...] }` in request order, each `{ id, destination, status }` (acknowledged:
 * durable) or `{ error: { code, message } }` (not accepted); 202 when all were accepted, 207 when
 * some were not. A framing error refuses the whole request (400) and accepts nothing.
 *
 * Plain node:http, one route: a web framework's Request/Response adapter cost about 50 µs per
 * payload here (bench:agent), a quarter of the durable enqueue itself.
 */
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Logger } from 'pino'
import { isAdxError } from '../../../shared/errors.ts'
import { isOutboxError } from '../../outbox/index.ts'
import type { IngressAcceptor } from './accept.ts'
import { splitDelimited, splitJsonArray } from './batch.ts'

/** HTTP ingress options. */
export interface HttpIngressOptions {
  host: string
  port: number
  maxBodyBytes: number
}

type Status = 400 | 404 | 413 | 415 | 500 | 503 | 507

const PAYLOADS = '/v1/payloads'
const BATCH = '/v1/payloads/batch'

function errorBody(code: string, message: string) {
  return { error: { code, message } }
}

/** Map an error to status + body. */
export function ingressError(e: unknown): { status: Status; body: ReturnType<typeof errorBody> } {
  if (isOutboxError(e, 'ADX_ERR_OUTBOX_FULL')) return { status: 507, body: errorBody(e.code, e.message) }
  if (isOutboxError(e, 'ADX_ERR_OUTBOX_ITEM_TOO_LARGE')) return { status: 413, body: errorBody('ADX_ERR_AGENT_PAYLOAD_TOO_LARGE', e.message) }
  if (isOutboxError(e, 'ADX_ERR_OUTBOX_CLOSED')) return { status: 503, body: errorBody('ADX_ERR_AGENT_STOPPING', e.message) }
  if (isAdxError(e, 'ADX_ERR_AGENT_PAYLOAD_INVALID')) return { status: 400, body: errorBody(e.code, e.message) }
  return { status: 500, body: errorBody('ADX_ERR_INTERNAL', (e as Error)?.message ?? String(e)) }
}

function send(res: ServerResponse, status: number, body: unknown, close = false): void {
  if (res.headersSent || res.destroyed) return
  const text = JSON.stringify(body)
  const headers: Record<string, string | number> = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }
  if (close) headers.connection = 'close'
  res.writeHead(status, headers).end(text)
}

function contentType(req: IncomingMessage): { ct: 'pb' | 'json' | undefined; type: string } {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()
  if (type === 'application/x-protobuf' || type === 'application/protobuf' || type === 'application/octet-stream') return { ct: 'pb', type }
  return { ct: type === 'application/json' ? 'json' : undefined, type }
}

/** The request listener (exported for tests): one route, everything else is 404. */
export function ingressHandler(acceptor: IngressAcceptor, opts: { maxBodyBytes: number; log: Logger }): RequestListener {
  return function postPayload(req, res) {
    const url = req.url ?? '/'
    const q = url.indexOf('?')
    const path = q < 0 ? url : url.slice(0, q)
    if (req.method !== 'POST' || (path !== PAYLOADS && path !== BATCH)) {
      req.resume()
      return send(res, 404, errorBody('ADX_ERR_AGENT_NOT_FOUND', `${req.method} ${path}`))
    }
    const { ct, type } = contentType(req)
    if (!ct) {
      req.resume()
      return send(res, 415, errorBody('ADX_ERR_AGENT_MEDIA_TYPE', `content type "${type}" is not application/x-protobuf or application/json`))
    }
    const declared = Number(req.headers['content-length'] ?? 0)
    if (declared > opts.maxBodyBytes) {
      req.resume()
      return send(res, 413, errorBody('ADX_ERR_AGENT_PAYLOAD_TOO_LARGE', `${declared} bytes > ${opts.maxBodyBytes}`), true)
    }
    // Reads the whole body: the payload is committed as one item, so it must be complete anyway.
    const chunks: Buffer[] = []
    let size = 0
    let tooLarge = false
    req.on('data', (chunk: Buffer) => {
      if (tooLarge) return
      size += chunk.length
      if (size > opts.maxBodyBytes) {
        tooLarge = true
        chunks.length = 0
        send(res, 413, errorBody('ADX_ERR_AGENT_PAYLOAD_TOO_LARGE', `${size} bytes > ${opts.maxBodyBytes}`), true)
        return
      }
      chunks.push(chunk)
    })
    req.on('end', () => {
      if (tooLarge) return
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)
      const header = req.headers['x-adx-vehicle']
      const vehicle = typeof header === 'string' ? header : undefined
      if (path === BATCH) return acceptBatch(acceptor, body, ct, vehicle, res, opts.log)
      acceptor.accept(body, ct, vehicle).then(
        (r) => send(res, 202, r),
        (e: unknown) => {
          const { status, body: b } = ingressError(e)
          if (status >= 500) opts.log.warn({ code: b.error.code }, 'ingress refused a payload')
          send(res, status, b)
        },
      )
    })
    req.on('error', () => undefined) // client went away; nothing was acknowledged
  }
}

/** The batch route: split, accept every payload (shared group commits), answer per payload. */
function acceptBatch(acceptor: IngressAcceptor, body: Uint8Array, ct: 'pb' | 'json', vehicle: string | undefined, res: ServerResponse, log: Logger): void {
  let bodies: Uint8Array[]
  try {
    bodies = ct === 'pb' ? splitDelimited(body) : splitJsonArray(body)
  } catch (e) {
    const { status, body: b } = ingressError(e)
    return send(res, status, b)
  }
  acceptor.acceptMany(bodies, ct, vehicle).then(
    (results) => {
      let refused = 0
      const out = results.map((r) => {
        if (!('error' in r)) return r
        refused++
        const { status, body: b } = ingressError(r.error)
        if (status >= 500) log.warn({ code: b.error.code }, 'ingress refused a payload')
        return b
      })
      send(res, refused ? 207 : 202, { results: out })
    },
    (e: unknown) => {
      const { status, body: b } = ingressError(e)
      send(res, status, b)
    },
  )
}

/** The HTTP ingress extension. */
export class HttpIngress {
  readonly name = 'ingress-http'
  private server: Server | undefined
  /** The bound port (after start). */
  port = 0

  constructor(
    private readonly acceptor: IngressAcceptor,
    private readonly opts: HttpIngressOptions,
    private readonly log: Logger,
  ) {}

  /** Listen on the loopback address. */
  async start(): Promise<void> {
    const server = createServer(ingressHandler(this.acceptor, { maxBodyBytes: this.opts.maxBodyBytes, log: this.log }))
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.opts.port, this.opts.host, () => {
        server.off('error', reject)
        resolve()
      })
    })
    this.server = server
    this.port = (server.address() as AddressInfo).port
    this.log.info({ host: this.opts.host, port: this.port }, 'HTTP ingress listening')
  }

  /** Stop accepting; in-flight requests finish. */
  async stop(): Promise<void> {
    const s = this.server
    this.server = undefined
    if (!s) return
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => s.closeAllConnections(), 5000)
      force.unref()
      s.close(() => {
        clearTimeout(force)
        resolve()
      })
      s.closeIdleConnections()
    })
  }
}
