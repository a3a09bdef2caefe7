/**
 * MQTT delivery (mqtt.js, QoS 1): each payload is one PUBLISH of the protobuf payload, whose
 * `id` field is the delivery id the receiver deduplicates on; with `mqttVersion: 5` the id is
 * also sent as the user property `adx-payload-id`. (MQTT 3.1.1 is the default: aedes 1.2, for
 * one, refuses MQTT 5.)
 * TLS peers are pinned before CONNECT is written (tls-pin.ts).
 */
import mqtt, { type MqttClient } from 'mqtt'
import type { OutboxItem } from '../../outbox/index.ts'
import type { DestinationConfig } from '../config.ts'
import { pinnedStream, tlsOptions } from '../tls-pin.ts'
import type { SendResult, Transport } from './transport.ts'

/** Build an mqtt.js client; TLS URLs go through the pinned stream. */
export function connectMqtt(url: string, pin: { pinSha256?: string; caFile?: string; certFile?: string; keyFile?: string }, opts: mqtt.IClientOptions): MqttClient {
  const u = new URL(url)
  const secure = ['mqtts:', 'tls:', 'ssl:'].includes(u.protocol)
  // writeCache: false — mqtt-packet's default pre-builds 65,536 two-byte Buffers (~6.6 MiB of
  // heap, kept for the life of the process) to save an allocation per packet header.
  const base: mqtt.IClientOptions = { protocolVersion: 4, reconnectPeriod: 1000, connectTimeout: 10_000, writeCache: false, ...opts }
  if (!secure) return mqtt.connect(url, base)
  const tlsOpts = tlsOptions(pin)
  const host = u.hostname
  const port = Number(u.port || 8883)
  return new mqtt.MqttClient(() => pinnedStream({ ...tlsOpts, host, port, servername: /^[\d.:]+$/.test(host) ? undefined : host } as never, pin.pinSha256) as never, { ...base, host, port, protocol: 'mqtts' } as never)
}

/** MQTT transport to one destination. */
export class MqttTransport implements Transport {
  private readonly client: MqttClient
  private readonly topic: string
  private readonly v5: boolean

  constructor(dest: DestinationConfig, vehicleId: string) {
    this.topic = dest.topic ?? `adx/v1/inbound/${vehicleId}`
    this.v5 = dest.mqttVersion === 5
    this.client = connectMqtt(dest.url, dest, { clientId: `adx-${vehicleId}-${dest.name}`.slice(0, 64), clean: true, protocolVersion: dest.mqttVersion })
    this.client.on('error', () => undefined) // surfaced as failed publishes
  }

  send(item: OutboxItem): Promise<SendResult> {
    if (!this.client.connected) return Promise.resolve({ ok: false, retry: true, error: 'not connected' })
    return this.client
      .publishAsync(this.topic, Buffer.from(item.body), this.v5 ? { qos: 1, properties: { userProperties: { 'adx-payload-id': item.id }, contentType: 'application/x-protobuf' } } : { qos: 1 })
      .then((): SendResult => ({ ok: true }))
      .catch((e: Error): SendResult => ({ ok: false, retry: true, error: e.message }))
  }

  async close(): Promise<void> {
    await this.client.endAsync(true)
  }
}
