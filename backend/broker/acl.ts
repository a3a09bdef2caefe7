/**
 * PURE topic ACL for vehicles. A vehicle publishes only its own uplinks
 * (`adx/v1/vehicles/<its id>/records|incidents|heartbeats`) and subscribes only to its own
 * policy and ack topics and to the fleet policy. No wildcards, no `$SYS`, nothing else.
 * Usable by any broker integration (aedes hooks here; an HTTP auth plugin elsewhere).
 */
import { FLEET_POLICY_TOPIC, vehicleTopic, vehicleUplinks } from '../../shared/topics.ts'

/** Why a topic was refused, or null when allowed. */
export type AclVerdict = { allowed: true } | { allowed: false; reason: string }

const allow: AclVerdict = { allowed: true }

/**
 * May this vehicle publish on this topic?
 * @example mayPublish('veh-1', 'adx/v1/vehicles/veh-1/records') // { allowed: true }
 */
export function mayPublish(vehicleId: string, topic: string): AclVerdict {
  if (vehicleUplinks.some((leaf) => topic === vehicleTopic(vehicleId, leaf))) return allow
  return { allowed: false, reason: `publish to "${topic}" is not one of the vehicle's own uplinks` }
}

/**
 * May this vehicle subscribe to this topic filter?
 * @example maySubscribe('veh-1', 'adx/v1/vehicles/veh-2/policy') // { allowed: false, … }
 */
export function maySubscribe(vehicleId: string, filter: string): AclVerdict {
  if (filter === vehicleTopic(vehicleId, 'policy') || filter === vehicleTopic(vehicleId, 'ack') || filter === FLEET_POLICY_TOPIC) return allow
  return { allowed: false, reason: `subscription to "${filter}" is not the vehicle's own policy/ack or the fleet policy` }
}
