/**
 * The I/O edge of `inspect`: reads the rule pack and VSS overlay files and builds the pure
 * inspector. The daemon and the CLI use this; tests may build inspectors from objects.
 *
 * Precompiled YAML: scripts/build-agent.ts writes `<file>.yaml.json` beside each shipped YAML
 * file, holding the parsed document and the SHA-256 of the YAML text it came from. When that
 * hash matches the YAML read at run time, the document is taken from the JSON (parsing the two
 * files with the YAML library cost ~85 ms of the bundle's ~450 ms start-up); otherwise, or when
 * there is no JSON, the YAML is parsed as before. Either way the document is validated by the
 * same schema, so an edited YAML is never shadowed and a precompiled one is never trusted blindly.
 */
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { AdxError } from '../shared/errors.ts'
import { defaultRulePackPath, parseRulePack, validateRulePack } from '../shared/rulepack/load.ts'
import type { RulePack, SensitiveZone } from '../shared/rulepack/schema.ts'
import { compileVssOverlay, defaultVssOverlayPath, parseVssOverlay, validateVssOverlay, type VssOverlay } from '../shared/rulepack/vss-overlay.ts'
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

/** A YAML file parsed ahead of time: the document and the SHA-256 (hex) of the text it was parsed from. */
export interface PrecompiledYaml {
  sha256: string
  doc: unknown
}

/** Where the precompiled document of `yamlPath` lives. */
export function precompiledPath(yamlPath: string): string {
  return `${yamlPath}.json`
}

/** SHA-256 (hex) of a YAML text, as recorded in its precompiled JSON. */
export function yamlTextSha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex')
}

/** The precompiled document for exactly `text`, or undefined (no JSON, unreadable, or made from other text). */
function precompiledDoc(yamlPath: string, text: string): { doc: unknown } | undefined {
  let pre: PrecompiledYaml
  try {
    pre = JSON.parse(readFileSync(precompiledPath(yamlPath), 'utf8')) as PrecompiledYaml
  } catch {
    return undefined
  }
  if (!pre || typeof pre !== 'object' || pre.sha256 !== yamlTextSha256(text) || !('doc' in pre)) return undefined
  return { doc: pre.doc }
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch (e) {
    throw new AdxError('ADX_ERR_RULEPACK_READ', `${path}: ${(e as Error).message}`, [], { cause: e })
  }
}

/** Read and validate a rule pack (precompiled document when it matches the file). */
export function readRulePack(path: string = defaultRulePackPath): RulePack {
  const text = readText(path)
  const pre = precompiledDoc(path, text)
  return pre ? validateRulePack(pre.doc) : parseRulePack(text)
}

/** Read and validate a VSS overlay (precompiled document when it matches the file). */
export function readVssOverlay(path: string = defaultVssOverlayPath, knownCategories: ReadonlySet<string>): VssOverlay {
  const text = readText(path)
  const pre = precompiledDoc(path, text)
  return pre ? validateVssOverlay(pre.doc, knownCategories) : parseVssOverlay(text, knownCategories)
}

/**
 * Load the pack and overlay and compile an inspector.
 * @throws AdxError ADX_ERR_RULEPACK_INVALID / ADX_ERR_RULEPACK_READ naming the bad entry or file.
 */
export function loadInspector(opts: LoadInspectorOptions): Inspector {
  const pack = readRulePack(opts.packPath)
  const overlay = readVssOverlay(opts.overlayPath, new Set(pack.categories.map((c) => c.id)))
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
