/**
 * Telemetry: VSS samples are classified by the overlay (unclassified → hold); actuator
 * writes and remote commands are control instructions and never go abroad.
 */
import type { Telemetry } from '../../../shared/wire/types.ts'
import type { BodyContext } from './context.ts'
import { classifiedValue } from './value.ts'

const LAT = 'Latitude'
const LON = 'Longitude'

function lastSegment(path: string): string {
  return path.slice(path.lastIndexOf('.') + 1)
}

export function telemetry(ctx: BodyContext, body: Telemetry): void {
  const { f } = ctx
  const samples = body.samples ?? []
  // Precise coordinates keyed by "<parent path>@<timestamp>" to pair latitude with longitude.
  let pending: Map<string, { lat?: number; lon?: number; path: string }> | undefined
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i]!
    const path = `telemetry.samples[${i}]`
    const vssPath = s.path ?? ''
    const cls = ctx.vss.classify(vssPath)
    if (cls === undefined) {
      f.hold('ADX_HOLD_UNCLASSIFIED', { path, message: `VSS path "${vssPath.slice(0, 200)}" is not classified by the overlay` })
      continue
    }
    f.category(cls.category, path)
    if (cls.charging) f.category('charging', path)
    if (cls.handling === 'coarsen-location' && typeof s.value?.number === 'number') {
      const leaf = lastSegment(vssPath)
      if (leaf === LAT || leaf === LON) {
        pending ??= new Map()
        const key = `${vssPath.slice(0, vssPath.length - leaf.length)}@${s.timestampMs ?? 0}`
        let p = pending.get(key)
        if (p === undefined) pending.set(key, (p = { path }))
        if (leaf === LAT) p.lat = s.value.number
        else p.lon = s.value.number
      }
    }
    classifiedValue(ctx, cls, s.value, `${path}.value`)
  }
  if (pending)
    for (const p of pending.values())
      if (p.lat !== undefined && p.lon !== undefined) f.points.push({ latitude: p.lat, longitude: p.lon, path: p.path })

  const writes = body.actuatorWrites ?? []
  for (let i = 0; i < writes.length; i++)
    f.strip({ path: `telemetry.actuatorWrites[${i}]`, kind: 'actuator-write', reason: 'control-instruction' })
  const commands = body.remoteCommands ?? []
  for (let i = 0; i < commands.length; i++)
    f.strip({ path: `telemetry.remoteCommands[${i}]`, kind: 'remote-command', reason: 'control-instruction' })
  if (f.abroad) {
    body.actuatorWrites = []
    body.remoteCommands = []
  }
}
