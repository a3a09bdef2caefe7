/**
 * Loopback HTTP ingress: `POST /v1/payloads` with an OutboundPayload as protobuf
 * (`application/x-protobuf`) or proto3 JSON (`application/json`). 202 only after the payload is
 * durable in the outbox. Errors are JSON `{ error: { code, message } }`:
 * 400 ADX_ERR_AGENT_PAYLOAD_INVALID, 404 ADX_ERR_AGENT_NOT_FOUND, 413 ADX_ERR_AGENT_PAYLOAD_TOO_LARGE,
 * 415 ADX_ERR_AGENT_MEDIA_TYPE, 503 ADX_ERR_AGENT_STOPPING, 507 ADX_ERR_OUTBOX_FULL.
 */
import type { AddressInfo } from 'node:net'
import { serve, type ServerType } from '@hono/node-server'
import { Hono } from 'hono'
import type { Logger } from 'pino'
import { isAdxError } from '../../../shared/errors.ts'
import { isOutboxError } from '../../outbox/index.ts'
import type { IngressAcceptor } from './accept.ts'

/** HTTP ingress options. */
export interface HttpIngressOptions {
  host: string
  port: number
  maxBodyBytes: number
}

type Status = 400 | 404 | 413 | 415 | 500 | 503 | 507

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

/** Build the Hono app (exported for tests). */
export function ingressApp(acceptor: IngressAcceptor, opts: { maxBodyBytes: number; log: Logger }): Hono {
  const app = new Hono()
  app.post('/v1/payloads', async function postPayload(c) {
    const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase()
    const ct = type === 'application/x-protobuf' || type === 'application/protobuf' || type === 'application/octet-stream' ? 'pb' : type === 'application/json' ? 'json' : undefined
    if (!ct) return c.json(errorBody('ADX_ERR_AGENT_MEDIA_TYPE', `content type "${type}" is not application/x-protobuf or application/json`), 415)
    const declared = Number(c.req.header('content-length') ?? 0)
    if (declared > opts.maxBodyBytes) return c.json(errorBody('ADX_ERR_AGENT_PAYLOAD_TOO_LARGE', `${declared} bytes > ${opts.maxBodyBytes}`), 413)
    // Reads the whole body: the payload is committed as one item, so it must be complete anyway.
    const body = new Uint8Array(await c.req.arrayBuffer())
    if (body.length > opts.maxBodyBytes) return c.json(errorBody('ADX_ERR_AGENT_PAYLOAD_TOO_LARGE', `${body.length} bytes > ${opts.maxBodyBytes}`), 413)
    try {
      const r = await acceptor.accept(body, ct)
      return c.json(r, 202)
    } catch (e) {
      const { status, body: b } = ingressError(e)
      if (status >= 500) opts.log.warn({ code: b.error.code }, 'ingress refused a payload')
      return c.json(b, status)
    }
  })
  app.notFound((c) => c.json(errorBody('ADX_ERR_AGENT_NOT_FOUND', `${c.req.method} ${c.req.path}`), 404))
  app.onError((e, c) => {
    const { status, body } = ingressError(e)
    return c.json(body, status)
  })
  return app
}

/** The HTTP ingress extension. */
export class HttpIngress {
  readonly name = 'ingress-http'
  private server: ServerType | undefined
  /** The bound port (after start). */
  port = 0

  constructor(
    private readonly acceptor: IngressAcceptor,
    private readonly opts: HttpIngressOptions,
    private readonly log: Logger,
  ) {}

  /** Listen on the loopback address. */
  async start(): Promise<void> {
    const app = ingressApp(this.acceptor, { maxBodyBytes: this.opts.maxBodyBytes, log: this.log })
    await new Promise<void>((resolve, reject) => {
      const server = serve({ fetch: app.fetch, hostname: this.opts.host, port: this.opts.port }, (info: AddressInfo) => {
        this.port = info.port
        resolve()
      })
      server.once('error', reject)
      this.server = server
    })
    this.log.info({ host: this.opts.host, port: this.port }, 'HTTP ingress listening')
  }

  /** Stop accepting; in-flight requests finish. */
  async stop(): Promise<void> {
    const s = this.server
    this.server = undefined
    if (!s) return
    await new Promise<void>((resolve) => {
      const srv = s as unknown as { closeIdleConnections?: () => void; closeAllConnections?: () => void }
      const force = setTimeout(() => srv.closeAllConnections?.(), 5000)
      force.unref()
      s.close(() => {
        clearTimeout(force)
        resolve()
      })
      srv.closeIdleConnections?.()
    })
  }
}
