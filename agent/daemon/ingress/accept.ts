/**
 * The one way a payload enters the agent (HTTP, MQTT and the library API all call it): read the
 * envelope's id and destination, and make the raw payload durable in INGRESS_QUEUE. Resolves
 * only after the fsync'd commit; that is the moment the caller may be told "accepted".
 */
import { AdxError } from '../../../shared/errors.ts'
import { wire } from '../../../shared/wire/index.ts'
import type { Outbox } from '../../outbox/index.ts'
import type { EventBus } from '../event-bus.ts'
import { INGRESS_QUEUE, ingressId, type IngressMeta, PRIORITY } from '../queues.ts'

/** Result of an accepted submission. */
export interface Accepted {
  id: string
  destination: string
  /** queued = newly accepted; duplicate = the same (destination, id) was already accepted. */
  status: 'queued' | 'duplicate'
}

/** Options of a submission. */
export interface SubmitOptions {
  /** On a gateway: which of its vehicles the payload belongs to (the backend's vehicle id). */
  vehicle?: string
}

/** What a submission may be: protobuf bytes, proto3 JSON text, or a proto3 JSON object. */
export type Submission = Uint8Array | string | Record<string, unknown>

const ID = /^[\x21-\x7e]{1,200}$/

/** Read id and destination from the envelope without inspecting the body. */
export function readEnvelope(body: Uint8Array, ct: 'pb' | 'json'): { id: string; destination: string } {
  let obj: { id?: unknown; destination?: unknown }
  try {
    obj = ct === 'json' ? (JSON.parse(Buffer.from(body).toString('utf8')) as typeof obj) : (wire.OutboundPayload.decode(body) as unknown as typeof obj)
  } catch (e) {
    throw new AdxError('ADX_ERR_AGENT_PAYLOAD_INVALID', `not a decodable OutboundPayload (${ct === 'json' ? 'proto3 JSON' : 'protobuf'}): ${(e as Error).message}`)
  }
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new AdxError('ADX_ERR_AGENT_PAYLOAD_INVALID', 'proto3 JSON payload must be an object')
  const id = typeof obj.id === 'string' ? obj.id : ''
  if (!ID.test(id)) throw new AdxError('ADX_ERR_AGENT_PAYLOAD_INVALID', 'field "id" must be 1–200 printable ASCII characters (it is the delivery id receivers deduplicate on)')
  const destination = typeof obj.destination === 'string' ? obj.destination : ''
  return { id, destination: destination.slice(0, 64) }
}

/** Accepts submissions into the outbox. */
export class IngressAcceptor {
  /**
   * @param vehicles on a gateway, the vehicles it serves: every submission must name one of them.
   */
  constructor(
    private readonly outbox: Outbox,
    private readonly bus: EventBus,
    private readonly now: () => number = Date.now,
    private readonly vehicles?: ReadonlySet<string>,
  ) {}

  /**
   * Make a payload durable. Rejects with AdxError ADX_ERR_AGENT_PAYLOAD_INVALID (no envelope id;
   * on a gateway, no vehicle or one it does not serve) or OutboxError ADX_ERR_OUTBOX_FULL /
   * ADX_ERR_OUTBOX_ITEM_TOO_LARGE / ADX_ERR_OUTBOX_CLOSED.
   * @example const { id } = await acceptor.accept(bytes, 'pb')
   */
  async accept(body: Uint8Array, ct: 'pb' | 'json', vehicle?: string): Promise<Accepted> {
    const { id, destination } = readEnvelope(body, ct)
    if (this.vehicles && (vehicle === undefined || !this.vehicles.has(vehicle)))
      throw new AdxError('ADX_ERR_AGENT_PAYLOAD_INVALID', `vehicle: this agent is a gateway; name one of the ${this.vehicles.size} vehicles it serves (got ${vehicle === undefined ? 'none' : JSON.stringify(vehicle.slice(0, 64))})`)
    if (!this.vehicles && vehicle !== undefined) throw new AdxError('ADX_ERR_AGENT_PAYLOAD_INVALID', 'vehicle: only a gateway takes payloads for other vehicles')
    const meta: IngressMeta = { ct, dest: destination, pid: id, rx: this.now(), ...(vehicle !== undefined ? { veh: vehicle } : {}) }
    const r = await this.outbox.enqueue({ id: ingressId(destination, id, vehicle), destination: INGRESS_QUEUE, priority: PRIORITY.payload, body, meta: JSON.stringify(meta) })
    if (r.status === 'queued') this.bus.emit('accepted', { id, destination })
    return { id, destination, status: r.status === 'queued' ? 'queued' : 'duplicate' }
  }

  /**
   * Accept many payloads at once (the batch ingress): each is accepted on its own, as by
   * accept(), and all are submitted in the same turn so they share group commits. Resolves,
   * in order, with each one's result or the error that refused it (never rejects).
   * @example const results = await acceptor.acceptMany(splitDelimited(body), 'pb')
   */
  acceptMany(bodies: readonly Uint8Array[], ct: 'pb' | 'json', vehicle?: string): Promise<(Accepted | { error: unknown })[]> {
    return Promise.all(bodies.map((b) => this.accept(b, ct, vehicle).catch((error: unknown) => ({ error }))))
  }

  /**
   * The in-process library API: `agent.submit(payload)`.
   * @example await agent.submit({ id: 'p1', destination: 'oem-eu', vehicleId: VIN, telemetry: { samples: [] } })
   */
  submit(payload: Submission, opts: SubmitOptions = {}): Promise<Accepted> {
    if (payload instanceof Uint8Array) return this.accept(payload, 'pb', opts.vehicle)
    const text = typeof payload === 'string' ? payload : JSON.stringify(payload)
    return this.accept(new Uint8Array(Buffer.from(text, 'utf8')), 'json', opts.vehicle)
  }
}
