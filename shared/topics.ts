/**
 * The MQTT topic contract between agents and the backend. Vehicle ids are the vehicle
 * pseudonyms the vehicles authenticate with; they never contain MQTT's special characters.
 *
 *   adx/v1/vehicles/<id>/records     vehicle → backend  ExportRecordBatch (QoS 1)
 *   adx/v1/vehicles/<id>/incidents   vehicle → backend  Incident (QoS 1)
 *   adx/v1/vehicles/<id>/heartbeats  vehicle → backend  Heartbeat
 *   adx/v1/vehicles/<id>/ack         backend → vehicle  Ack of durably ingested ids (QoS 1)
 *   adx/v1/vehicles/<id>/policy      backend → vehicle  SignedPolicy with the vehicle's lease (retained)
 *   adx/v1/fleet/policy              backend → all      SignedPolicy, fleet-wide (retained)
 *
 * A gateway (one connection for an enrolled set of vehicles) publishes on each vehicle's uplink
 * topics, its own incidents under its own id, and subscribes to `adx/v1/vehicles/+/policy` and
 * `+/ack`; the broker forwards it only its vehicles' messages.
 */

export const TOPIC_PREFIX = 'adx/v1'
export const FLEET_POLICY_TOPIC = `${TOPIC_PREFIX}/fleet/policy`

/** What a vehicle publishes. */
export const vehicleUplinks = ['records', 'incidents', 'heartbeats'] as const
export type VehicleUplink = (typeof vehicleUplinks)[number]

/** Vehicle ids: 1–128 of letters, digits and `:._-` (no `/`, `+`, `#`, no NUL). */
export const VEHICLE_ID_PATTERN = /^[A-Za-z0-9:._-]{1,128}$/

/** True when the string is usable as a vehicle id. */
export function isVehicleId(id: string): boolean {
  return VEHICLE_ID_PATTERN.test(id)
}

/** `adx/v1/vehicles/<id>/<leaf>` */
export function vehicleTopic(vehicleId: string, leaf: VehicleUplink | 'ack' | 'policy'): string {
  return `${TOPIC_PREFIX}/vehicles/${vehicleId}/${leaf}`
}

/** Wildcard subscription for one uplink of every vehicle. */
export function uplinkFilter(leaf: VehicleUplink): string {
  return vehiclesFilter(leaf)
}

/** `adx/v1/vehicles/+/<leaf>`: the backend's uplink subscriptions, a gateway's policy/ack ones. */
export function vehiclesFilter(leaf: VehicleUplink | 'ack' | 'policy'): string {
  return `${TOPIC_PREFIX}/vehicles/+/${leaf}`
}

/** Parses `adx/v1/vehicles/<id>/<leaf>`; undefined for anything else. */
export function parseVehicleTopic(topic: string): { vehicleId: string; leaf: string } | undefined {
  const parts = topic.split('/')
  if (parts.length !== 5 || parts[0] !== 'adx' || parts[1] !== 'v1' || parts[2] !== 'vehicles') return undefined
  const vehicleId = parts[3]!
  if (!isVehicleId(vehicleId)) return undefined
  return { vehicleId, leaf: parts[4]! }
}
