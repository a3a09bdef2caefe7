/**
 * Diagnostic: DTCs and their freeze frames, UDS exchanges (state-changing services and
 * security access never go abroad), free-text ECU logs.
 */
import type { Diagnostic, UdsExchange } from '../../../shared/wire/types.ts'
import { classifyUds, VIN_DIDS } from '../detect/uds.ts'
import type { BodyContext } from './context.ts'
import { classifiedValue, scrubValue } from './value.ts'

const encoder = new TextEncoder()

/** ReadDataByIdentifier positive response carrying the VIN: 0x62 F1 90 <17 ASCII>. */
function vinResponse(res: Uint8Array | undefined): boolean {
  return res !== undefined && res.length > 3 && res[0] === 0x62 && VIN_DIDS.has((res[1]! << 8) | res[2]!)
}

function uds(ctx: BodyContext, list: UdsExchange[]): UdsExchange[] {
  const { f } = ctx
  const kept: UdsExchange[] = []
  for (let i = 0; i < list.length; i++) {
    const x = list[i]!
    const path = `diagnostic.uds[${i}]`
    const cls = classifyUds(x.request, x.response)
    if (cls.kind === 'control') {
      f.strip({ path, kind: cls.service, reason: 'control-instruction', encoding: 'uds' })
      continue
    }
    if (cls.kind === 'key-material') {
      f.strip({ path, kind: cls.service, reason: 'key-material', encoding: 'uds' })
      continue
    }
    f.category('diagnostic', path)
    if (vinResponse(x.response)) {
      const res = x.response!
      const vin = Buffer.from(res.subarray(3)).toString('latin1')
      f.category('vehicle-identifier', `${path}.response`)
      const p = ctx.scrub.identifier(f, 'vin', vin, `${path}.response`)
      if (f.abroad) {
        const out = new Uint8Array(3 + p.length)
        out.set(res.subarray(0, 3))
        out.set(encoder.encode(p), 3)
        x.response = out
      }
    } else if (x.response && x.response.length > 0) {
      const r = ctx.scrub.bytes(f, x.response, `${path}.response`)
      if (f.abroad) x.response = r
    }
    if (x.request && x.request.length > 0) {
      const r = ctx.scrub.bytes(f, x.request, `${path}.request`)
      if (f.abroad) x.request = r
    }
    kept.push(x)
  }
  return kept
}

export function diagnostic(ctx: BodyContext, body: Diagnostic): void {
  const { f } = ctx
  const dtcs = body.dtcs ?? []
  for (let i = 0; i < dtcs.length; i++) {
    const d = dtcs[i]!
    const path = `diagnostic.dtcs[${i}]`
    f.category('diagnostic', path)
    if (d.ecu) {
      const e = ctx.scrub.text(f, d.ecu, `${path}.ecu`)
      if (f.abroad) d.ecu = e
    }
    const frames = d.freezeFrame ?? []
    for (let j = 0; j < frames.length; j++) {
      const ff = frames[j]!
      const at = `${path}.freezeFrame[${j}]`
      const name = ff.name ?? ''
      const cls = name.startsWith('Vehicle.') ? ctx.vss.classify(name) : undefined
      if (cls) {
        f.category(cls.category, at)
        if (cls.charging) f.category('charging', at)
        classifiedValue(ctx, cls, ff.value, `${at}.value`)
      } else if (name.startsWith('Vehicle.')) {
        f.hold('ADX_HOLD_UNCLASSIFIED', { path: at, message: `VSS path "${name.slice(0, 200)}" is not classified by the overlay` })
      } else {
        scrubValue(ctx, ff.value, `${at}.value`)
      }
    }
  }
  if (body.uds && body.uds.length > 0) {
    const kept = uds(ctx, body.uds)
    if (f.abroad) body.uds = kept
  }
  const logs = body.logs ?? []
  for (let i = 0; i < logs.length; i++) {
    const l = logs[i]!
    const path = `diagnostic.logs[${i}]`
    f.category('diagnostic', path)
    if (l.text) {
      const t = ctx.scrub.text(f, l.text, `${path}.text`)
      if (f.abroad) l.text = t
    }
  }
}
