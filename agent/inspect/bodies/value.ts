/**
 * Handling of one typed Value (VSS sample, actuator target, freeze frame) according to its
 * VSS classification: pseudonymise identifiers, coarsen coordinates, scrub the rest.
 */
import type { VssClass } from '../../../shared/rulepack/vss-overlay.ts'
import type { Value } from '../../../shared/wire/types.ts'
import { coarsen } from '../scrub.ts'
import type { BodyContext } from './context.ts'

/** Scrub a value with no VSS meaning (free text, bytes). Mutates abroad. */
export function scrubValue(ctx: BodyContext, value: Value | null | undefined, path: string): void {
  if (!value) return
  if (typeof value.text === 'string' && value.text !== '') {
    const t = ctx.scrub.text(ctx.f, value.text, `${path}.text`)
    if (ctx.f.abroad) value.text = t
  } else if (value.raw && value.raw.length > 0) {
    const r = ctx.scrub.bytes(ctx.f, value.raw, `${path}.raw`)
    if (ctx.f.abroad) value.raw = r
  } else if (value.texts?.values) {
    const list = value.texts.values
    for (let i = 0; i < list.length; i++) {
      const t = ctx.scrub.text(ctx.f, list[i]!, `${path}.texts[${i}]`)
      if (ctx.f.abroad) list[i] = t
    }
  }
}

/** Handle a value whose VSS class is known. Returns a coordinate if it was one (for zone checks). */
export function classifiedValue(ctx: BodyContext, cls: VssClass, value: Value | null | undefined, path: string): void {
  if (!value) return
  if (cls.handling === 'pseudonymise') {
    const kind = cls.identifier ?? 'person-id'
    if (typeof value.text === 'string') {
      value.text = ctx.scrub.identifier(ctx.f, kind, value.text, `${path}.text`)
    } else if (typeof value.number === 'number') {
      const p = ctx.scrub.identifier(ctx.f, kind, String(value.number), `${path}.number`)
      if (ctx.f.abroad) {
        delete value.number
        value.text = p
      }
    } else if (value.texts?.values) {
      const list = value.texts.values
      for (let i = 0; i < list.length; i++) list[i] = ctx.scrub.identifier(ctx.f, kind, list[i]!, `${path}.texts[${i}]`)
    } else if (value.raw && value.raw.length > 0) {
      // An identifier sent as bytes: never send the bytes abroad, send the pseudonym as text.
      const p = ctx.scrub.identifier(ctx.f, kind, Buffer.from(value.raw).toString('latin1'), `${path}.raw`)
      if (ctx.f.abroad) {
        delete value.raw
        value.text = p
      }
    }
    return
  }
  if (cls.handling === 'coarsen-location') {
    if (typeof value.number === 'number') {
      if (ctx.f.abroad) {
        value.number = coarsen(value.number, ctx.locationDecimals)
        ctx.f.coarsened.push({ path: `${path}.number`, decimals: ctx.locationDecimals })
      }
    } else if (value.numbers?.values) {
      const list = value.numbers.values
      if (ctx.f.abroad) {
        for (let i = 0; i < list.length; i++) list[i] = coarsen(list[i]!, ctx.locationDecimals)
        ctx.f.coarsened.push({ path: `${path}.numbers`, decimals: ctx.locationDecimals })
      }
    } else scrubValue(ctx, value, path)
    return
  }
  scrubValue(ctx, value, path)
}
