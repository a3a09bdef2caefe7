/**
 * The daemon's typed event bus. Extensions talk through it; every listener is wrapped so that
 * an exception (or a rejected promise) is logged with the listener's owner and never reaches
 * the emitter, let alone kills the daemon.
 */
import type { Logger } from 'pino'

/** Every event the daemon emits, with its payload. */
export interface AgentEvents {
  /** A payload was durably accepted at ingress. */
  accepted: { id: string; destination: string }
  /** The effective policy changed (new signed policy or lease): of one vehicle when `vehicleId` is set, else fleet-wide. */
  policyChanged: { version: number; leaseId: string; vehicleId?: string }
  /** New items were enqueued for a destination (wake its delivery loop). */
  enqueued: { destination: string }
  /** The backend acknowledged export records / incidents. */
  backendAcked: { ids: string[] }
  /** An incident was raised (already queued durably for the backend). */
  incident: { type: string; reasonCode: string; payloadId: string }
}

type Listener<K extends keyof AgentEvents> = (payload: AgentEvents[K]) => void | Promise<void>

/** Typed publish/subscribe with isolated listeners. */
export class EventBus {
  private readonly listeners = new Map<keyof AgentEvents, { owner: string; fn: Listener<never> }[]>()

  constructor(private readonly log: Logger) {}

  /**
   * Subscribe; `owner` names the extension in error logs. Returns an unsubscribe function.
   * @example const off = bus.on('enqueued', 'delivery', ({ destination }) => wake(destination))
   */
  on<K extends keyof AgentEvents>(event: K, owner: string, fn: Listener<K>): () => void {
    const list = this.listeners.get(event) ?? []
    const entry = { owner, fn: fn as Listener<never> }
    list.push(entry)
    this.listeners.set(event, list)
    return () => {
      const l = this.listeners.get(event)
      if (l) this.listeners.set(event, l.filter((e) => e !== entry))
    }
  }

  /** Remove every listener registered by `owner` (an extension's stop()). */
  removeOwner(owner: string): void {
    for (const [k, l] of this.listeners) this.listeners.set(k, l.filter((e) => e.owner !== owner))
  }

  /** Deliver to every listener; failures are logged, never thrown. */
  emit<K extends keyof AgentEvents>(event: K, payload: AgentEvents[K]): void {
    for (const { owner, fn } of this.listeners.get(event) ?? []) {
      try {
        const r = (fn as Listener<K>)(payload)
        if (r && typeof (r as Promise<void>).catch === 'function')
          (r as Promise<void>).catch((e: unknown) => this.log.error({ err: e, event, extension: owner }, 'event listener failed'))
      } catch (e) {
        this.log.error({ err: e, event, extension: owner }, 'event listener failed')
      }
    }
  }
}
