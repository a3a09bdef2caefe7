/** Test fixtures: an inspector on the shipped pack and overlay with a fixed key. */
import { loadRulePack } from '../../shared/rulepack/load.ts'
import type { SensitiveZone } from '../../shared/rulepack/schema.ts'
import { compileVssOverlay, loadVssOverlay } from '../../shared/rulepack/vss-overlay.ts'
import { createInspector, type Inspector } from '../../agent/inspect/inspector.ts'
import type { InspectLimits } from '../../agent/inspect/limits.ts'
import type { Destination } from '../../agent/inspect/verdict.ts'

export const testKey = new Uint8Array(Buffer.from('00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff', 'hex'))
export const pack = loadRulePack()
export const vss = compileVssOverlay(loadVssOverlay(undefined, new Set(pack.categories.map((c) => c.id))))

export function testInspector(opts: { zones?: SensitiveZone[]; limits?: Partial<InspectLimits> } = {}): Inspector {
  return createInspector({
    pack,
    vss,
    pseudonymKey: testKey,
    ...(opts.zones ? { sensitiveZones: opts.zones } : {}),
    ...(opts.limits ? { limits: opts.limits } : {}),
  })
}

export const abroad: Destination = { name: 'oem-eu', region: 'abroad', recipient: 'CN=oem-eu.example' }
export const domestic: Destination = { name: 'oem-cn', region: 'domestic', recipient: 'CN=oem-cn.example' }
