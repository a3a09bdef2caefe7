/**
 * PURE topic ACL for the broker's principals.
 *
 * - A vehicle publishes only its own uplinks (`adx/v1/vehicles/<its id>/records|incidents|heartbeats`)
 *   and subscribes only to its own policy and ack topics and to the fleet policy.
 * - A gateway (one connection for many logical vehicles, as Eclipse Hono's gateways do) may do,
 *   for each vehicle enrolled to it, exactly what that vehicle may do, and publish its own
 *   incidents (`adx/v1/vehicles/<gateway id>/incidents`); it may also subscribe to the
 *   wildcards `adx/v1/vehicles/+/policy` and `+/ack`, and `mayReceive` then lets through only the
 *   messages of its enrolled vehicles (the broker checks it on every forwarded message, retained
 *   ones included).
 * No other wildcards, no `$SYS`, nothing else. Usable by any broker integration (aedes hooks here).
 */
import { FLEET_POLICY_TOPIC, parseVehicleTopic, TOPIC_PREFIX, vehicleTopic, vehicleUplinks } from '../../shared/topics.ts'

/** Why a topic was refused, or null when allowed. */
export type AclVerdict = { allowed: true } | { allowed: false; reason: string }

/** Who is connected: a vehicle, or a gateway with the vehicles enrolled to it. */
export type Principal = { kind: 'vehicle'; id: string } | { kind: 'gateway'; id: string; vehicles: ReadonlySet<string> }

const allow: AclVerdict = { allowed: true }

/** The wildcard subscriptions a gateway may hold (filtered per message by `mayReceive`). */
export const GATEWAY_FILTERS: readonly string[] = [`${TOPIC_PREFIX}/vehicles/+/policy`, `${TOPIC_PREFIX}/vehicles/+/ack`]

const asPrincipal = (p: Principal | string): Principal => (typeof p === 'string' ? { kind: 'vehicle', id: p } : p)

function ownUplink(vehicleId: string, topic: string): boolean {
  return vehicleUplinks.some((leaf) => topic === vehicleTopic(vehicleId, leaf))
}

/**
 * May this principal publish on this topic?
 * @example mayPublish('veh-1', 'adx/v1/vehicles/veh-1/records') // { allowed: true }
 */
export function mayPublish(who: Principal | string, topic: string): AclVerdict {
  const p = asPrincipal(who)
  if (p.kind === 'vehicle') {
    if (ownUplink(p.id, topic)) return allow
    return { allowed: false, reason: `publish to "${topic}" is not one of the vehicle's own uplinks` }
  }
  const t = parseVehicleTopic(topic)
  if (t && p.vehicles.has(t.vehicleId) && ownUplink(t.vehicleId, topic)) return allow
  // its own incidents (outbox pressure, a rejected fleet policy): never records or heartbeats
  if (topic === vehicleTopic(p.id, 'incidents')) return allow
  return { allowed: false, reason: `publish to "${topic}" is not an uplink of a vehicle enrolled to gateway ${p.id}` }
}

/**
 * May this principal subscribe to this topic filter?
 * @example maySubscribe('veh-1', 'adx/v1/vehicles/veh-2/policy') // { allowed: false, … }
 */
export function maySubscribe(who: Principal | string, filter: string): AclVerdict {
  const p = asPrincipal(who)
  if (filter === FLEET_POLICY_TOPIC) return allow
  if (p.kind === 'vehicle') {
    if (filter === vehicleTopic(p.id, 'policy') || filter === vehicleTopic(p.id, 'ack')) return allow
    return { allowed: false, reason: `subscription to "${filter}" is not the vehicle's own policy/ack or the fleet policy` }
  }
  if (GATEWAY_FILTERS.includes(filter)) return allow
  const t = parseVehicleTopic(filter)
  if (t && p.vehicles.has(t.vehicleId) && (t.leaf === 'policy' || t.leaf === 'ack')) return allow
  return { allowed: false, reason: `subscription to "${filter}" is not the policy/ack of a vehicle enrolled to gateway ${p.id} or the fleet policy` }
}

/**
 * May this message be forwarded to this principal? Vehicles hold exact subscriptions only, so
 * everything they subscribed to is theirs; a gateway receives the fleet policy and the topics of
 * its enrolled vehicles, nothing of any other vehicle.
 */
export function mayReceive(who: Principal, topic: string): boolean {
  if (who.kind === 'vehicle' || topic === FLEET_POLICY_TOPIC) return true
  const t = parseVehicleTopic(topic)
  if (t === undefined) return false
  // the acks of its own incidents; never a policy (a gateway has no lease of its own)
  if (t.vehicleId === who.id) return t.leaf === 'ack'
  return who.vehicles.has(t.vehicleId)
}
