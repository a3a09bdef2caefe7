import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { isAdxError } from '../errors.ts'
import { flattenVssTree, loadVssCatalogue } from './catalogue.ts'

function problemsOf(fn: () => unknown): readonly string[] {
  try {
    fn()
  } catch (e) {
    if (isAdxError(e, 'ADX_ERR_RULEPACK_INVALID')) return e.details
    throw e
  }
  throw new Error('expected ADX_ERR_RULEPACK_INVALID')
}

describe('the shipped VSS catalogue copy', () => {
  const leaves = loadVssCatalogue()

  it('has 651 leaves: 218 actuators, 328 sensors, 105 attributes', () => {
    expect(leaves).toHaveLength(651)
    const counts: Record<string, number> = {}
    for (const l of leaves) counts[l.type] = (counts[l.type] ?? 0) + 1
    expect(counts).toEqual({ actuator: 218, sensor: 328, attribute: 105 })
  })

  it('has unique, well-formed paths under Vehicle', () => {
    expect(new Set(leaves.map((l) => l.path)).size).toBe(leaves.length)
    for (const l of leaves) {
      expect(l.path).toMatch(/^Vehicle(\.[A-Za-z0-9_]+)+$/)
      expect(l.datatype).not.toBe('')
    }
  })

  it.each([
    ['Vehicle.VehicleIdentification.VIN', 'attribute', 'string'],
    ['Vehicle.Speed', 'sensor', 'float'],
    ['Vehicle.CurrentLocation.Latitude', 'sensor', 'double'],
    ['Vehicle.Cabin.Seat.Position', 'actuator', 'uint16'],
    ['Vehicle.OBD.DTCList', 'sensor', 'string[]'],
  ])('has %s (%s, %s)', (path, type, datatype) => {
    expect(leaves.find((l) => l.path === path)).toMatchObject({ type, datatype })
  })

  it('keeps units and deprecation notes', () => {
    expect(leaves.find((l) => l.path === 'Vehicle.Speed')?.unit).toBe('km/h')
    expect(leaves.find((l) => l.path === 'Vehicle.Cabin.Seat.Occupant.Identifier.Subject')?.deprecation).toMatch(/^v5\.0/)
    expect(leaves.filter((l) => l.description === '')).toEqual([])
  })
})

describe('flattenVssTree', () => {
  it('flattens depth first in document order', () => {
    const tree = {
      name: 'Vehicle',
      children: [
        { name: 'Cabin', children: [{ name: 'DoorCount', type: 'attribute', datatype: 'uint8', description: 'Doors' }] },
        { name: 'Speed', type: 'sensor', datatype: 'float', description: 'Speed', unit: 'km/h' },
      ],
    }
    expect(flattenVssTree(tree)).toEqual([
      { path: 'Vehicle.Cabin.DoorCount', type: 'attribute', datatype: 'uint8', description: 'Doors' },
      { path: 'Vehicle.Speed', type: 'sensor', datatype: 'float', description: 'Speed', unit: 'km/h' },
    ])
  })

  it('reports every malformed node at once', () => {
    const problems = problemsOf(() =>
      flattenVssTree({
        name: 'Vehicle',
        children: [
          { name: 'A', type: 'branch', datatype: 'x' },
          { name: 'B', type: 'sensor' },
          { name: 'C', children: [] },
          { name: 'D.E', type: 'sensor', datatype: 'float' },
          42,
          { name: 'F', type: 'sensor', datatype: 'float' },
          { name: 'F', type: 'sensor', datatype: 'float' },
        ],
      }),
    )
    expect(problems).toEqual([
      'Vehicle.A: leaf type "branch" is not sensor, actuator or attribute',
      'Vehicle.B: leaf has no datatype',
      'Vehicle.C: children must be a non-empty array',
      'Vehicle: node name "D.E" is not a VSS name',
      'Vehicle: child is not an object',
      'Vehicle.F: duplicate leaf path',
    ])
  })

  it('rejects a tree that is not an object', () => {
    expect(problemsOf(() => flattenVssTree(null))).toEqual(['(root): child is not an object'])
  })
})

describe('loadVssCatalogue', () => {
  it('fails with ADX_ERR_RULEPACK_READ for a missing or non-JSON file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'adx-vss-cat-'))
    const bad = join(dir, 'bad.json')
    writeFileSync(bad, '{ not json')
    for (const path of [join(dir, 'missing.json'), bad]) {
      try {
        loadVssCatalogue(path)
        expect.unreachable()
      } catch (e) {
        expect(isAdxError(e, 'ADX_ERR_RULEPACK_READ')).toBe(true)
      }
    }
  })

  it('reads another catalogue file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'adx-vss-cat-'))
    const file = join(dir, 'tree.json')
    writeFileSync(file, JSON.stringify({ name: 'Vehicle', children: [{ name: 'Speed', type: 'sensor', datatype: 'float', description: 's' }] }))
    expect(loadVssCatalogue(file).map((l) => l.path)).toEqual(['Vehicle.Speed'])
  })
})
