/**
 * What the backend needs from an MQTT broker, whichever it is (embedded aedes, or an external
 * Mosquitto/EMQX/HiveMQ reached with an MQTT client).
 */

/**
 * Handles one message. Returning a promise asks for backpressure: the broker adapter takes no
 * further message for this subscription (and withholds the MQTT acknowledgement where it can)
 * until it settles. Returning nothing lets messages keep flowing.
 */
export type MessageHandler = (topic: string, payload: Buffer) => void | Promise<void>

/** Publish/subscribe as the backend uses it. */
export interface Bus {
  /** Subscribes (QoS 1) to a topic filter. */
  subscribe(filter: string, handler: MessageHandler): Promise<void>
  /** Publishes; resolves once the broker has taken the message. */
  publish(topic: string, payload: Uint8Array, opts: { qos: 0 | 1; retain: boolean }): Promise<void>
  /** True while the broker is reachable. */
  isConnected(): boolean
  /** Stops receiving and releases the connection. */
  close(): Promise<void>
}

/** A refused action at the broker, for logs, metrics and incidents. */
export interface SecurityEvent {
  kind: 'auth' | 'publish' | 'subscribe' | 'clientid' | 'frame'
  /** Vehicle id as authenticated, or the username offered. */
  vehicleId: string
  /** Topic or filter concerned, if any. */
  topic: string
  reason: string
  remoteAddress: string
}
