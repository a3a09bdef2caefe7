/**
 * The agent's internal outbox queues (names that configured destinations cannot take, since
 * destination names never start with "@"), and the ingress item's meta.
 */

/** Raw payloads durably accepted at ingress, waiting for (or held after) inspection. */
export const INGRESS_QUEUE = '@ingress'
/** Encoded ExportRecords waiting for the backend's Ack. */
export const RECORDS_QUEUE = '@records'
/** Encoded Incidents waiting for the backend's Ack. */
export const INCIDENTS_QUEUE = '@incidents'

/** Priorities: metadata for the backend outranks payloads, so eviction never takes it first. */
export const PRIORITY = { payload: 1, uplink: 100 } as const

/** Hold code (agent's own) for a payload that names no configured destination. */
export const HOLD_UNKNOWN_DESTINATION = 'ADX_HOLD_UNKNOWN_DESTINATION'

/** Hold code (agent's own) for a gateway payload of a vehicle the gateway no longer serves. */
export const HOLD_UNKNOWN_VEHICLE = 'ADX_HOLD_UNKNOWN_VEHICLE'

/** Meta of an ingress item. */
export interface IngressMeta {
  /** Body encoding: protobuf or proto3 JSON. */
  ct: 'pb' | 'json'
  /** Destination named by the payload envelope ('' when it named none or was undecodable). */
  dest: string
  /** The payload's id (the ingress item id is `<dest>|<id>`). */
  pid: string
  /** Accepted at (epoch ms). */
  rx: number
  /** The vehicle the payload belongs to, when the agent is a gateway for several. */
  veh?: string
}

/**
 * The ingress item id for a payload (unique per destination, like delivery ids; on a gateway
 * also per vehicle, since two vehicles may use the same payload id).
 */
export function ingressId(destination: string, payloadId: string, vehicle?: string): string {
  return vehicle === undefined ? `${destination}|${payloadId}` : `${vehicle}|${destination}|${payloadId}`
}
