/** Opaque bytes with a declared content type: scrubbed as text or as binary. */
import type { Opaque } from '../../../shared/wire/types.ts'
import type { BodyContext } from './context.ts'

export function opaque(ctx: BodyContext, body: Opaque): void {
  const { f } = ctx
  f.category('opaque', 'opaque')
  if (body.name) {
    const n = ctx.scrub.text(f, body.name, 'opaque.name')
    if (f.abroad) body.name = n
  }
  if (body.data && body.data.length > 0) {
    const d = ctx.scrub.bytes(f, body.data, 'opaque.data')
    if (f.abroad) body.data = d
  }
}
