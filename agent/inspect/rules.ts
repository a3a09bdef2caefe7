/**
 * Payload-scope important-data rules of the pack, evaluated on what the handlers found.
 * Fleet-scope rules (counts across the fleet) are the backend's; they reach the agent as
 * held categories in the policy.
 */
import type { ImportantDataRule, RulePack, SensitiveZone } from '../../shared/rulepack/schema.ts'
import type { OutboundPayload } from '../../shared/wire/types.ts'
import type { Findings } from './findings.ts'

export interface FiredRule {
  rule: ImportantDataRule
  evidence: string[]
}

const EARTH_RADIUS_M = 6_371_008.8

/** Great-circle distance in metres (haversine). */
export function distanceMeters(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const rad = Math.PI / 180
  const dLat = (lat2 - lat1) * rad
  const dLon = (lon2 - lon1) * rad
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(a)))
}

function zoneEvidence(f: Findings, zones: readonly SensitiveZone[]): string[] {
  const hits: string[] = []
  for (const p of f.points)
    for (const z of zones)
      if (distanceMeters(p.latitude, p.longitude, z.latitude, z.longitude) <= z.radiusMeters) {
        hits.push(`${p.path} (zone ${z.id})`)
        break
      }
  return hits
}

/** Payload-scope rules of `pack` that fire on these findings, with their evidence. */
export function evaluateRules(
  pack: RulePack,
  payload: OutboundPayload,
  f: Findings,
  zones: readonly SensitiveZone[],
): FiredRule[] {
  const fired: FiredRule[] = []
  const tags = payload.tags ?? []
  for (const rule of pack.rules) {
    const t = rule.trigger
    let evidence: string[] | undefined
    switch (t.kind) {
      case 'tag': {
        const hit = tags.filter((x) => t.tags.includes(x))
        if (hit.length) evidence = hit.map((x) => `tags:${x}`)
        break
      }
      case 'category': {
        const hit = t.categories.flatMap((c) => f.categories.get(c) ?? [])
        if (hit.length) evidence = hit.slice(0, 16)
        break
      }
      case 'sensitive-zone': {
        const hit = zones.length ? zoneEvidence(f, zones) : []
        if (hit.length) evidence = hit
        break
      }
      case 'media-face':
        if (f.maxFacePx >= t.minShorterSidePx) evidence = [`${f.faceEvidence} (${f.maxFacePx} px)`]
        break
      case 'media-plate':
        if (f.maxPlatePx >= t.minShorterSidePx) evidence = [`${f.plateEvidence} (${f.maxPlatePx} px)`]
        break
      case 'fleet-count':
        break
    }
    if (evidence) fired.push({ rule, evidence })
  }
  return fired
}
