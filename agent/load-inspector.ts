/**
 * The I/O edge of `inspect`: reads the rule pack and VSS overlay files and builds the pure
 * inspector. The daemon and the CLI use this; tests may build inspectors from objects.
 */
import { loadRulePack } from '../shared/rulepack/load.ts'
import type { SensitiveZone } from '../shared/rulepack/schema.ts'
import { compileVssOverlay, loadVssOverlay } from '../shared/rulepack/vss-overlay.ts'
import { createInspector, type Inspector } from './inspect/inspector.ts'
import type { InspectLimits } from './inspect/limits.ts'

export interface LoadInspectorOptions {
  pseudonymKey: Uint8Array
  /** Rule pack file (default: the shipped shared/rulepack/cn-2026.yaml). */
  packPath?: string
  /** VSS overlay file (default: the shipped shared/rulepack/vss-overlay.yaml). */
  overlayPath?: string
  locationDecimals?: number
  sensitiveZones?: readonly SensitiveZone[]
  limits?: Partial<InspectLimits>
}

/**
 * Load the pack and overlay and compile an inspector.
 * @throws AdxError ADX_ERR_RULEPACK_INVALID / ADX_ERR_RULEPACK_READ naming the bad entry or file.
 */
export function loadInspector(opts: LoadInspectorOptions): Inspector {
  const pack = loadRulePack(opts.packPath)
  const overlay = loadVssOverlay(opts.overlayPath, new Set(pack.categories.map((c) => c.id)))
  const config: Parameters<typeof createInspector>[0] = {
    pack,
    vss: compileVssOverlay(overlay),
    pseudonymKey: opts.pseudonymKey,
  }
  if (opts.locationDecimals !== undefined) config.locationDecimals = opts.locationDecimals
  if (opts.sensitiveZones !== undefined) config.sensitiveZones = opts.sensitiveZones
  if (opts.limits !== undefined) config.limits = opts.limits
  return createInspector(config)
}
