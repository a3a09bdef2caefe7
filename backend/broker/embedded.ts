/**
 * The embedded broker: aedes in the backend process on a TCP port (loopback by default).
 * Vehicles authenticate with their provisioned secret; the ACL keeps each vehicle on its own
 * topics; every refusal is a security event. The backend itself talks to aedes in-process
 * (no socket, no credentials).
 */
import { createServer, type Server, type Socket } from 'node:net'
import { pipeline, Duplex } from 'node:stream'
import { Aedes, type AuthenticateError, type Client } from 'aedes'
import { parseVehicleTopic } from '../../shared/topics.ts'
import type { Logger } from '../log.ts'
import { mayPublish, mayReceive, maySubscribe, type Principal } from './acl.ts'
import type { VehicleAuthenticator } from './auth.ts'
import { frameGuard } from './frame-guard.ts'
import type { Bus, MessageHandler, SecurityEvent } from './types.ts'

/** Settings of the embedded broker. */
export interface EmbeddedBrokerOptions {
  host: string
  /** 0 picks a free port. */
  port: number
  /** Largest MQTT packet accepted (remaining length), bytes. */
  maxPacketBytes: number
  auth: VehicleAuthenticator
  log: Logger
  onSecurityEvent: (e: SecurityEvent) => void
  /** A vehicle (or a gateway, with its enrolled vehicles) finished connecting. */
  onVehicleReady?: (vehicleId: string, principal: Principal) => void
}

/** A running embedded broker. */
export interface EmbeddedBroker {
  bus: Bus
  host: string
  port: number
  /** Ids of the vehicles connected now. */
  connectedVehicles(): string[]
  /** Who is connected now: vehicles, and gateways with their enrolled vehicles. */
  connectedPrincipals(): Principal[]
  /** Disconnects a vehicle (e.g. after revocation). */
  disconnect(vehicleId: string): void
  close(): Promise<void>
}

const returnCode = (code: 2 | 4 | 5, message: string): AuthenticateError => Object.assign(new Error(message), { returnCode: code }) as AuthenticateError

/**
 * Starts aedes on host:port.
 * @example const broker = await startEmbeddedBroker({ host: '127.0.0.1', port: 1883, … })
 */
export async function startEmbeddedBroker(opts: EmbeddedBrokerOptions): Promise<EmbeddedBroker> {
  const { auth, log } = opts
  const vehicles = new WeakMap<Client, string>()
  const principals = new WeakMap<Client, Principal>()
  const byVehicle = new Map<string, Client>()
  const remote = (c: Client) => String((c.conn as Partial<Socket>).remoteAddress ?? '')
  const refuse = (e: SecurityEvent) => {
    log.warn({ security: true, code: e.kind === 'auth' ? 'ADX_ERR_BROKER_AUTH' : 'ADX_ERR_BROKER_ACL', event: e }, `broker refused ${e.kind}: ${e.reason}`)
    opts.onSecurityEvent(e)
  }

  const aedes = await Aedes.createBroker({
    drainTimeout: 30_000,
    authenticate(client, username, password, done) {
      const vehicleId = username ?? ''
      auth.verify(vehicleId, password).then(
        (r) => {
          if (!r.ok) {
            refuse({ kind: 'auth', vehicleId, topic: '', reason: r.reason, remoteAddress: remote(client) })
            return done(returnCode(r.reason === 'revoked' ? 5 : 4, `authentication refused: ${r.reason}`), false)
          }
          // One session per vehicle, named after it: no vehicle can take over another's session.
          if (client.id !== vehicleId) {
            refuse({ kind: 'clientid', vehicleId, topic: '', reason: `client id "${client.id}" is not the vehicle id`, remoteAddress: remote(client) })
            return done(returnCode(2, 'client id must equal the vehicle id'), false)
          }
          vehicles.set(client, vehicleId)
          principals.set(client, r.principal)
          done(null, true)
        },
        (err: unknown) => {
          log.error({ err }, 'authentication failed with an error')
          done(returnCode(5, 'authentication unavailable'), false)
        },
      )
    },
    authorizePublish(client, packet, callback) {
      const vehicleId = client ? vehicles.get(client) : undefined
      if (!client || !vehicleId) return callback(new Error('not authenticated'))
      const principal = principals.get(client)!
      const target = principal.kind === 'gateway' ? parseVehicleTopic(packet.topic)?.vehicleId : vehicleId
      const v =
        auth.isRevoked(vehicleId) ? { allowed: false as const, reason: `${principal.kind} revoked` }
        : target !== undefined && auth.isRevoked(target) ? { allowed: false as const, reason: `vehicle ${target} revoked` }
        : mayPublish(principal, packet.topic)
      if (!v.allowed) {
        refuse({ kind: 'publish', vehicleId, topic: packet.topic, reason: v.reason, remoteAddress: remote(client) })
        return callback(new Error(v.reason))
      }
      callback(null)
    },
    authorizeSubscribe(client, sub, callback) {
      const vehicleId = vehicles.get(client)
      const principal = principals.get(client)
      const v = vehicleId && principal ? maySubscribe(principal, sub.topic) : { allowed: false as const, reason: 'not authenticated' }
      if (!v.allowed) {
        refuse({ kind: 'subscribe', vehicleId: vehicleId ?? '', topic: sub.topic, reason: v.reason, remoteAddress: remote(client) })
        return callback(null, null)
      }
      callback(null, sub)
    },
    // Gateways hold wildcard subscriptions: only their enrolled vehicles' messages reach them.
    authorizeForward(client, packet) {
      const principal = principals.get(client)
      if (!principal || principal.kind === 'vehicle') return packet
      return mayReceive(principal, packet.topic) ? packet : null
    },
  })

  aedes.on('clientReady', (client) => {
    const id = vehicles.get(client)
    if (!id) return
    byVehicle.set(id, client)
    opts.onVehicleReady?.(id, principals.get(client)!)
  })
  aedes.on('clientDisconnect', (client) => {
    const id = vehicles.get(client)
    if (id && byVehicle.get(id) === client) byVehicle.delete(id)
  })
  aedes.on('clientError', (client, err) => log.debug({ clientId: client.id, err: err.message }, 'mqtt client error'))
  aedes.on('connectionError', (client, err) => log.debug({ clientId: client.id, err: err.message }, 'mqtt connection error'))

  const server: Server = createServer((socket) => {
    const guard = frameGuard(opts.maxPacketBytes)
    // aedes reads through the guard and writes straight to the socket.
    const conn = Duplex.from({ readable: guard, writable: socket })
    Object.defineProperty(conn, 'remoteAddress', { value: socket.remoteAddress })
    pipeline(socket, guard, (err) => {
      if (err && (err as { code?: string }).code === 'ADX_ERR_BROKER_FRAME_TOO_LARGE') {
        refuse({ kind: 'frame', vehicleId: '', topic: '', reason: err.message, remoteAddress: socket.remoteAddress ?? '' })
      }
      socket.destroy()
      conn.destroy()
    })
    socket.on('error', () => undefined)
    conn.on('error', () => undefined)
    aedes.handle(conn)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : opts.port

  const handlers: Array<{ filter: string; deliver: (packet: { topic: string; payload: Buffer | string }, cb: () => void) => void }> = []
  const bus: Bus = {
    subscribe(filter: string, handler: MessageHandler) {
      const deliver = (packet: { topic: string; payload: Buffer | string }, cb: () => void) => {
        let pressure: void | Promise<void> = undefined
        try {
          pressure = handler(packet.topic, Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload))
        } catch (err) {
          log.error({ err, topic: packet.topic }, 'message handler threw')
        }
        if (pressure) pressure.then(cb, cb)
        else cb()
      }
      handlers.push({ filter, deliver })
      return new Promise<void>((resolve) => aedes.subscribe(filter, deliver, resolve))
    },
    publish(topic, payload, o) {
      return new Promise<void>((resolve, reject) =>
        aedes.publish({ cmd: 'publish', topic, payload: Buffer.from(payload), qos: o.qos, retain: o.retain, dup: false }, (err) => (err ? reject(err) : resolve())),
      )
    },
    isConnected: () => !aedes.closed && server.listening,
    async close() {
      await Promise.all(handlers.map((h) => new Promise<void>((resolve) => aedes.unsubscribe(h.filter, h.deliver, resolve))))
      handlers.length = 0
    },
  }

  return {
    bus,
    host: opts.host,
    port,
    connectedVehicles: () => [...byVehicle.keys()],
    connectedPrincipals: () => [...byVehicle.values()].map((c) => principals.get(c)).filter((p): p is Principal => p !== undefined),
    disconnect(vehicleId) {
      byVehicle.get(vehicleId)?.close()
    },
    async close() {
      await bus.close()
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      await new Promise<void>((resolve) => aedes.close(() => resolve()))
      await closed
    },
  }
}
