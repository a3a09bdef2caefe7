/** One handler per body kind, as MQTT.js has one per packet type. */
import type { BodyKind, OutboundPayload } from '../../../shared/wire/types.ts'
import type { BodyContext } from './context.ts'
import { diagnostic } from './diagnostic.ts'
import { media } from './media.ts'
import { opaque } from './opaque.ts'
import { ota } from './ota.ts'
import { telemetry } from './telemetry.ts'

export type { BodyContext } from './context.ts'

/** Walk the payload's body with its handler. Returns false when the body kind is unknown. */
export function handleBody(ctx: BodyContext, payload: OutboundPayload): boolean {
  const kind: BodyKind | undefined = payload.body
  switch (kind) {
    case 'telemetry':
      telemetry(ctx, payload.telemetry!)
      return true
    case 'diagnostic':
      diagnostic(ctx, payload.diagnostic!)
      return true
    case 'ota':
      ota(ctx, payload.ota!)
      return true
    case 'media':
      media(ctx, payload.media!)
      return true
    case 'opaque':
      opaque(ctx, payload.opaque!)
      return true
    default:
      return false
  }
}

/** Number of items in the body, checked against the limit before walking. */
export function countItems(p: OutboundPayload): number {
  const t = p.telemetry
  if (t) return (t.samples?.length ?? 0) + (t.actuatorWrites?.length ?? 0) + (t.remoteCommands?.length ?? 0)
  const d = p.diagnostic
  if (d) return (d.dtcs?.length ?? 0) + (d.uds?.length ?? 0) + (d.logs?.length ?? 0)
  const o = p.ota
  if (o) return (o.packages?.length ?? 0) + (o.manifest?.targets?.length ?? 0) + (o.manifest?.certificates?.length ?? 0)
  return p.media?.items?.length ?? 0
}
