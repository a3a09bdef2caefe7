/**
 * The COVESA VSS catalogue (vss-tree.json, MPL-2.0 data; see README.md) as a flat list of leaves.
 * `flattenVssTree` is pure (tree in, leaves out); `loadVssCatalogue` reads the file.
 * Paths are catalogue paths: instances such as `Row1.DriverSide` are not expanded.
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { AdxError } from '../errors.ts'

/** Path of the catalogue copy shipped with ADX. */
export const defaultVssCataloguePath = fileURLToPath(new URL('./vss-tree.json', import.meta.url))

export type VssLeafType = 'sensor' | 'actuator' | 'attribute'

/** One signal or attribute of the catalogue. */
export interface VssLeaf {
  /** Dotted catalogue path, e.g. `Vehicle.Cabin.Seat.Heating` (instances not expanded). */
  path: string
  type: VssLeafType
  datatype: string
  description: string
  /** Unit, when VSS gives one (e.g. `km/h`). */
  unit?: string
  /** Deprecation note, when VSS deprecates the leaf. */
  deprecation?: string
}

const leafTypes: ReadonlySet<string> = new Set<VssLeafType>(['sensor', 'actuator', 'attribute'])
const namePattern = /^[A-Za-z0-9_]+$/

/**
 * Flatten a VSS JSON tree (`{name, children}` branches, `{name, type, datatype, description}`
 * leaves) into its leaves, depth first in document order.
 * @throws AdxError ADX_ERR_RULEPACK_INVALID listing every malformed node.
 * @example flattenVssTree({ name: 'Vehicle', children: [{ name: 'Speed', type: 'sensor', datatype: 'float', description: 'Speed' }] })
 *          // → [{ path: 'Vehicle.Speed', type: 'sensor', datatype: 'float', description: 'Speed' }]
 */
export function flattenVssTree(tree: unknown): VssLeaf[] {
  const leaves: VssLeaf[] = []
  const problems: string[] = []
  const walk = (node: unknown, parent: string, depth: number): void => {
    if (!node || typeof node !== 'object' || Array.isArray(node)) {
      problems.push(`${parent || '(root)'}: child is not an object`)
      return
    }
    const n = node as Record<string, unknown>
    const name = n.name
    if (typeof name !== 'string' || !namePattern.test(name)) {
      problems.push(`${parent || '(root)'}: node name ${JSON.stringify(name)} is not a VSS name`)
      return
    }
    const path = parent ? `${parent}.${name}` : name
    if (depth > 64) {
      problems.push(`${path}: tree deeper than 64 levels`)
      return
    }
    if (n.children !== undefined) {
      if (!Array.isArray(n.children) || n.children.length === 0) {
        problems.push(`${path}: children must be a non-empty array`)
        return
      }
      for (const child of n.children) walk(child, path, depth + 1)
      return
    }
    const { type, datatype, description, unit, deprecation } = n
    if (typeof type !== 'string' || !leafTypes.has(type)) {
      problems.push(`${path}: leaf type ${JSON.stringify(type)} is not sensor, actuator or attribute`)
      return
    }
    if (typeof datatype !== 'string' || datatype === '') {
      problems.push(`${path}: leaf has no datatype`)
      return
    }
    const leaf: VssLeaf = {
      path,
      type: type as VssLeafType,
      datatype,
      description: typeof description === 'string' ? description : '',
    }
    if (typeof unit === 'string') leaf.unit = unit
    if (typeof deprecation === 'string') leaf.deprecation = deprecation
    leaves.push(leaf)
  }
  walk(tree, '', 0)
  const seen = new Set<string>()
  for (const leaf of leaves) {
    if (seen.has(leaf.path)) problems.push(`${leaf.path}: duplicate leaf path`)
    seen.add(leaf.path)
  }
  if (problems.length) throw new AdxError('ADX_ERR_RULEPACK_INVALID', `VSS catalogue: ${problems.join('; ')}`, problems)
  return leaves
}

/**
 * Read and flatten a VSS catalogue file (default: the copy shipped with ADX).
 * @throws AdxError ADX_ERR_RULEPACK_READ when the file cannot be read or is not JSON,
 *         ADX_ERR_RULEPACK_INVALID when the tree is malformed.
 */
export function loadVssCatalogue(path: string = defaultVssCataloguePath): VssLeaf[] {
  let tree: unknown
  try {
    tree = JSON.parse(readFileSync(path, 'utf8'))
  } catch (e) {
    throw new AdxError('ADX_ERR_RULEPACK_READ', `${path}: ${(e as Error).message}`, [], { cause: e })
  }
  return flattenVssTree(tree)
}
