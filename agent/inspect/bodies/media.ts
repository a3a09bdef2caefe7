/**
 * Media metadata: faces and plates sized by the perception stack decide important data
 * (IDR-MEDIA-FACE / IDR-MEDIA-PLATE); plate text is pseudonymised; original real-environment
 * footage is measured in km and hours for the fleet-wide cumulative rule.
 */
import type { BoundingBox, MediaMetadata } from '../../../shared/wire/types.ts'
import type { BodyContext } from './context.ts'

function shorterSide(b: BoundingBox): number {
  return Math.min(b.width ?? 0, b.height ?? 0)
}

export function media(ctx: BodyContext, body: MediaMetadata): void {
  const { f } = ctx
  const items = body.items ?? []
  for (let i = 0; i < items.length; i++) {
    const m = items[i]!
    const path = `media.items[${i}]`
    f.category('media', path)
    for (const k of ['mediaId', 'camera'] as const) {
      const v = m[k]
      if (v) {
        const t = ctx.scrub.text(f, v, `${path}.${k}`)
        if (f.abroad) m[k] = t
      }
    }
    if (m.original) {
      f.category('media-original', path)
      f.cameraKm += Math.max(0, m.distanceKm ?? 0)
      f.cameraHours += Math.max(0, m.durationS ?? 0) / 3600
    }
    if (m.cabin) f.category('sensitive-personal', `${path}.cabin`)
    const faces = m.faces ?? []
    if (faces.length > 0) f.category('sensitive-personal', `${path}.faces`)
    for (let j = 0; j < faces.length; j++) {
      const side = shorterSide(faces[j]!)
      if (side > f.maxFacePx) {
        f.maxFacePx = side
        f.faceEvidence = `${path}.faces[${j}]`
      }
    }
    const plates = m.plates ?? []
    if (plates.length > 0) f.category('vehicle-identifier', `${path}.plates`)
    for (let j = 0; j < plates.length; j++) {
      const b = plates[j]!
      const side = shorterSide(b)
      if (side > f.maxPlatePx) {
        f.maxPlatePx = side
        f.plateEvidence = `${path}.plates[${j}]`
      }
      if (b.text) b.text = ctx.scrub.identifier(f, 'plate', b.text, `${path}.plates[${j}].text`)
    }
  }
}
