/**
 * Optional loopback MQTT ingress: an embedded aedes broker bound to a loopback address. Apps
 * publish OutboundPayloads (protobuf, or proto3 JSON starting with "{") to
 * `adx/v1/local/payloads` at QoS 1. The durable enqueue happens inside aedes'
 * `authorizePublish` hook, which aedes runs before it writes the PUBACK: a PUBACK therefore
 * means "durable". A refused payload (invalid, outbox full) gets no PUBACK: MQTT 3.1.1 has no
 * negative PUBACK, so aedes closes the connection and the client retries after reconnecting.
 * Subscriptions are refused with SUBACK 0x80 (this is an inbox, not a bus).
 */
import { createServer, type Server } from 'node:net'
import type { Aedes } from 'aedes'
import type { Logger } from 'pino'
import type { IngressAcceptor } from './accept.ts'

/** The local ingress topic. */
export const LOCAL_PAYLOAD_TOPIC = 'adx/v1/local/payloads'

/** The MQTT ingress extension. */
export class MqttIngress {
  readonly name = 'ingress-mqtt'
  private aedes: Aedes | undefined
  private server: Server | undefined
  /** Bound port (after start). */
  port = 0

  constructor(
    private readonly acceptor: IngressAcceptor,
    private readonly opts: { host: string; port: number },
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    const acceptor = this.acceptor
    const log = this.log
    // Loaded only when MQTT ingress is configured: aedes and its dependencies cost start-up time
    // and heap that an HTTP-only agent does not need.
    const { Aedes: Broker } = await import('aedes')
    const aedes = await Broker.createBroker({
      authorizePublish(_client, packet, callback) {
        if (packet.topic !== LOCAL_PAYLOAD_TOPIC) return callback(new Error(`publish only to ${LOCAL_PAYLOAD_TOPIC}`))
        const body = new Uint8Array(packet.payload as Buffer)
        const first = body.find((b) => b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09)
        acceptor.accept(body, first === 0x7b ? 'json' : 'pb').then(
          () => callback(null),
          (e: Error & { code?: string }) => {
            log.warn({ code: e.code, err: e.message }, 'MQTT ingress refused a payload (no PUBACK)')
            callback(e)
          },
        )
      },
      authorizeSubscribe(_client, _sub, callback) {
        callback(null, null) // SUBACK 0x80: subscriptions are not offered
      },
    })
    this.aedes = aedes
    const server = createServer((socket) => aedes.handle(socket))
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.opts.port, this.opts.host, () => resolve())
    })
    this.server = server
    this.port = (server.address() as { port: number }).port
    log.info({ host: this.opts.host, port: this.port }, 'MQTT ingress listening')
  }

  async stop(): Promise<void> {
    const a = this.aedes
    const s = this.server
    this.aedes = undefined
    this.server = undefined
    if (a) await new Promise<void>((resolve) => a.close(() => resolve()))
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()))
  }
}
