/**
 * An external broker (Mosquitto, EMQX, HiveMQ …) reached as an MQTT client. Vehicle
 * authentication and ACL are then the broker's job (see acl.ts for the rules to configure).
 * The ingest subscriptions use a persistent session (clean: false) so QoS 1 messages published
 * while the backend is down wait at the broker, and optionally a shared subscription group so
 * several backend instances split the load. The MQTT acknowledgement of a message is held while
 * the handler asks for backpressure.
 */
import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt'
import type { Logger } from '../log.ts'
import type { Bus, MessageHandler } from './types.ts'

/** Settings of the external broker connection. */
export interface ExternalBrokerOptions {
  /** mqtt://, mqtts://, ws:// or wss:// URL. */
  url: string
  username?: string
  password?: string
  clientId: string
  /** Shared-subscription group ($share/<group>/…) for running several backends. */
  sharedGroup?: string
  /** Extra mqtt.js options (TLS material, keepalive …). */
  clientOptions?: IClientOptions
  log: Logger
}

/** Topic filter matching (MQTT rules for + and #). */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/')
  const t = topic.split('/')
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true
    if (i >= t.length) return false
    if (f[i] !== '+' && f[i] !== t[i]) return false
  }
  return f.length === t.length
}

/**
 * Connects to an external broker.
 * @example const bus = await connectExternalBroker({ url: 'mqtts://mqtt.example.cn', clientId: 'adx-backend-1', … })
 */
export async function connectExternalBroker(opts: ExternalBrokerOptions): Promise<Bus> {
  const handlers: Array<{ filter: string; handler: MessageHandler }> = []
  const client: MqttClient = await connectAsync(opts.url, {
    clientId: opts.clientId,
    username: opts.username,
    password: opts.password,
    clean: false,
    reconnectPeriod: 2_000,
    ...opts.clientOptions,
  })
  client.on('error', (err) => opts.log.error({ err }, 'external broker error'))
  client.on('reconnect', () => opts.log.warn('reconnecting to the external broker'))
  // Held acknowledgement: mqtt.js sends PUBACK when this callback runs.
  client.handleMessage = (packet, callback) => {
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload)
    const pressures: Promise<void>[] = []
    for (const h of handlers) {
      if (!topicMatches(h.filter, packet.topic)) continue
      try {
        const p = h.handler(packet.topic, payload)
        if (p) pressures.push(p)
      } catch (err) {
        opts.log.error({ err, topic: packet.topic }, 'message handler threw')
      }
    }
    if (pressures.length === 0) return callback()
    Promise.allSettled(pressures).then(() => callback())
  }
  return {
    async subscribe(filter, handler) {
      handlers.push({ filter, handler })
      const wire = opts.sharedGroup ? `$share/${opts.sharedGroup}/${filter}` : filter
      await client.subscribeAsync(wire, { qos: 1 })
    },
    async publish(topic, payload, o) {
      await client.publishAsync(topic, Buffer.from(payload), { qos: o.qos, retain: o.retain })
    },
    isConnected: () => client.connected,
    async close() {
      handlers.length = 0
      await client.endAsync()
    },
  }
}
