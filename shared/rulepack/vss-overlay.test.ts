import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isAdxError } from '../errors.ts'
import { loadVssCatalogue } from '../vss/catalogue.ts'
import { loadRulePack } from './load.ts'
import {
  compileVssOverlay,
  globToRegExp,
  loadVssOverlay,
  parseVssOverlay,
  type VssClass,
  type VssOverlay,
  vssGlobProblems,
} from './vss-overlay.ts'

const pack = loadRulePack()
const categories: ReadonlySet<string> = new Set(pack.categories.map((c) => c.id))
const overlay = loadVssOverlay(undefined, categories)
const classifier = compileVssOverlay(overlay)
const leaves = loadVssCatalogue()

/**
 * Instance declarations of the .vspec sources (COVESA VSS ce67f92, spec/ beside vss-tree.json),
 * which vss-tree.json does not expand. Telemetry paths carry them after the branch name.
 */
const instanceBranches: { branch: string; instances: string[][]; source: string }[] = [
  { branch: 'Vehicle.Cabin.Seat', instances: [['Row1', 'Row2'], ['DriverSide', 'Middle', 'PassengerSide']], source: 'Cabin/Cabin.vspec:147' },
  { branch: 'Vehicle.Cabin.Door', instances: [['Row1', 'Row2'], ['DriverSide', 'PassengerSide']], source: 'Cabin/Cabin.vspec:113' },
  { branch: 'Vehicle.Cabin.HVAC.Station', instances: [['Row1', 'Row2', 'Row3', 'Row4'], ['Driver', 'Passenger']], source: 'Cabin/HVAC.vspec:15' },
  { branch: 'Vehicle.Cabin.Light.Spotlight', instances: [['Row1', 'Row2', 'Row3', 'Row4'], ['DriverSide', 'PassengerSide']], source: 'Cabin/InteriorLights.vspec:40' },
  { branch: 'Vehicle.Cabin.Light.AmbientLight', instances: [['Row1', 'Row2'], ['DriverSide', 'PassengerSide']], source: 'Cabin/InteriorLights.vspec:49' },
  { branch: 'Vehicle.Body.Trunk', instances: [['Front', 'Rear']], source: 'Body/Body.vspec:35' },
  { branch: 'Vehicle.Body.Windshield', instances: [['Front', 'Rear']], source: 'Body/Body.vspec:83' },
  { branch: 'Vehicle.Body.Lights.Beam', instances: [['Low', 'High']], source: 'Body/Body.vspec:184' },
  { branch: 'Vehicle.Body.Lights.Fog', instances: [['Rear', 'Front']], source: 'Body/Body.vspec:205' },
  { branch: 'Vehicle.Body.Lights.DirectionIndicator', instances: [['Left', 'Right']], source: 'Body/Body.vspec:226' },
  { branch: 'Vehicle.Body.Mirrors', instances: [['DriverSide', 'PassengerSide']], source: 'Body/Body.vspec:235' },
  { branch: 'Vehicle.Chassis.Axle', instances: [['Row1', 'Row2']], source: 'Chassis/Chassis.vspec:25' },
  { branch: 'Vehicle.Chassis.Axle.Wheel', instances: [['Left', 'Right']], source: 'Chassis/Chassis.vspec:128' },
  { branch: 'Vehicle.Powertrain.ElectricMotor', instances: [['Front', 'Rear', 'FrontLeft', 'FrontRight', 'RearLeft', 'RearRight']], source: 'VehicleSignalSpecification.vspec:68' },
  { branch: 'Vehicle.Powertrain.TractionBattery.Charging.ChargingPort', instances: [['FrontLeft', 'FrontMiddle', 'FrontRight', 'RearLeft', 'RearMiddle', 'RearRight', 'AnyPosition']], source: 'Powertrain/TractionBattery.vspec:241' },
  { branch: 'Vehicle.Occupant', instances: [['Row1', 'Row2'], ['DriverSide', 'Middle', 'PassengerSide']], source: 'VehicleSignalSpecification.vspec:184' },
  { branch: 'Vehicle.ADAS.ObstacleDetection', instances: [['Front', 'Rear'], ['Left', 'Center', 'Right']], source: 'ADAS/ADAS.vspec:133' },
  { branch: 'Vehicle.MotionManagement.ElectricAxle', instances: [['Row1', 'Row2']], source: 'Vehicle/MotionManagement.vspec:21' },
  { branch: 'Vehicle.MotionManagement.Brake.Axle', instances: [['Row1', 'Row2']], source: 'Vehicle/MotionManagement/Brake.vspec:57' },
  { branch: 'Vehicle.MotionManagement.Brake.Axle.Wheel', instances: [['Left', 'Right']], source: 'Vehicle/MotionManagement/Brake/Axle.vspec:46' },
]

/** Every instance-expanded form of a catalogue path (empty when it has no instance branch). */
function expandInstances(path: string): string[] {
  const segments = path.split('.')
  // Insertion points, deepest first so earlier indexes stay valid.
  const points = instanceBranches
    .map((b) => ({ at: b.branch.split('.').length, b }))
    .filter(({ b }) => path.startsWith(`${b.branch}.`))
    .sort((x, y) => y.at - x.at)
  if (points.length === 0) return []
  let forms: string[][] = [segments]
  for (const { at, b } of points) {
    let choices: string[][] = [[]]
    for (const dim of b.instances) choices = choices.flatMap((c) => dim.map((d) => [...c, d]))
    forms = forms.flatMap((f) => choices.map((c) => [...f.slice(0, at), ...c, ...f.slice(at)]))
  }
  return forms.map((f) => f.join('.'))
}

const expandedForms = leaves.flatMap((l) => expandInstances(l.path).map((expanded) => ({ base: l.path, expanded })))
const allPaths = [...leaves.map((l) => l.path), ...expandedForms.map((e) => e.expanded)]

// Protection a class gives, derived from the rule pack (not hard-coded).
const personalRank = { none: 0, pi: 1, sensitive: 2 } as const
const categoryInfo = new Map(pack.categories.map((c) => [c.id, c]))
const payloadRuleCategories = new Set(
  pack.rules.flatMap((r) => (r.scope === 'payload' && r.trigger.kind === 'category' ? r.trigger.categories : [])),
)
function protection(c: VssClass) {
  const info = categoryInfo.get(c.category)!
  return {
    personal: personalRank[info.personal],
    geographic: info.geographic === true,
    important: payloadRuleCategories.has(c.category),
    charging: c.charging,
    handling: c.handling,
    identifier: c.identifier,
  }
}
function isProtective(c: VssClass): boolean {
  const p = protection(c)
  return p.personal > 0 || p.geographic || p.important || p.charging || p.handling !== 'pass'
}
/** Why class `a` protects less than class `b`, or undefined when it does not. */
function weakerThan(a: VssClass, b: VssClass): string | undefined {
  const pa = protection(a)
  const pb = protection(b)
  if (pa.personal < pb.personal) return `personal ${pa.personal} < ${pb.personal}`
  if (pb.geographic && !pa.geographic) return 'loses geographic'
  if (pb.important && !pa.important) return 'loses important-data category'
  if (pb.charging && !pa.charging) return 'loses charging'
  if (pb.handling !== 'pass' && (pa.handling !== pb.handling || pa.identifier !== pb.identifier))
    return `handling ${pa.handling}/${pa.identifier} instead of ${pb.handling}/${pb.identifier}`
  return undefined
}

function withoutEntry(o: VssOverlay, index: number): VssOverlay {
  return { ...o, entries: o.entries.filter((_, i) => i !== index) }
}

function problemsOf(fn: () => unknown): readonly string[] {
  try {
    fn()
  } catch (e) {
    if (isAdxError(e, 'ADX_ERR_RULEPACK_INVALID')) return e.details
    throw e
  }
  throw new Error('expected ADX_ERR_RULEPACK_INVALID')
}

describe('shipped overlay against the real VSS catalogue', () => {
  it('loads against the rule pack categories', () => {
    expect(overlay.version).toBe(1)
    expect(overlay.entries.length).toBeGreaterThan(100)
  })

  it('classifies every one of the 651 catalogue leaves', () => {
    expect(leaves).toHaveLength(651)
    const unclassified = leaves.filter((l) => classifier.classify(l.path) === undefined).map((l) => l.path)
    expect(unclassified).toEqual([])
  })

  it('classifies the catalogue into these categories (change detector: update with the overlay)', () => {
    const counts: Record<string, number> = {}
    for (const l of leaves) {
      const c = classifier.classify(l.path)!
      counts[c.category] = (counts[c.category] ?? 0) + 1
    }
    expect(counts).toEqual({
      location: 14,
      'vehicle-identifier': 3,
      'person-identifier': 6,
      personal: 106,
      'sensitive-personal': 17,
      charging: 29,
      'driving-automation': 11,
      'vehicle-operating': 287,
      'vehicle-configuration': 91,
      diagnostic: 87,
    })
  })

  it('every entry decides at least one catalogue leaf (no dead entries)', () => {
    const used = new Set(leaves.map((l) => classifier.classify(l.path)!.entry))
    const dead = overlay.entries.map((e, i) => ({ i, match: e.match })).filter(({ i }) => !used.has(i))
    expect(dead).toEqual([])
  })

  it('dropping the VIN entry leaves the VIN unclassified', () => {
    const vin = overlay.entries.findIndex((e) => e.match === 'Vehicle.VehicleIdentification.VIN')
    expect(vin).toBeGreaterThanOrEqual(0)
    expect(classifier.classify('Vehicle.VehicleIdentification.VIN')?.entry).toBe(vin)
    const reduced = compileVssOverlay(withoutEntry(overlay, vin))
    expect(reduced.classify('Vehicle.VehicleIdentification.VIN')).toBeUndefined()
    const stillClassified = leaves.filter((l) => reduced.classify(l.path) !== undefined)
    expect(stillClassified).toHaveLength(650)
  })

  it('dropping any protective entry never downgrades a signal it decided (fail closed on edits)', () => {
    const downgrades: string[] = []
    let protective = 0
    overlay.entries.forEach((_, i) => {
      const decided = allPaths.filter((p) => classifier.classify(p)?.entry === i)
      const before = classifier.classify(decided[0]!)!
      if (!isProtective(before)) return
      protective++
      const reduced = compileVssOverlay(withoutEntry(overlay, i))
      for (const p of decided) {
        const after = reduced.classify(p)
        const why = after && weakerThan(after, classifier.classify(p)!)
        if (why) downgrades.push(`${p}: entries[${i}] dropped → ${after!.match} (${why})`)
      }
    })
    expect(protective).toBeGreaterThan(50)
    expect(downgrades).toEqual([])
  })

  it('a branch path is classified no weaker than any leaf beneath it', () => {
    const branches = new Set<string>()
    for (const p of allPaths) {
      const s = p.split('.')
      for (let n = 1; n < s.length; n++) branches.add(s.slice(0, n).join('.'))
    }
    const problems: string[] = []
    for (const b of branches) {
      const cls = classifier.classify(b)
      if (!cls) continue
      for (const p of allPaths) {
        if (!p.startsWith(`${b}.`)) continue
        const why = weakerThan(cls, classifier.classify(p)!)
        if (why) problems.push(`${b} (${cls.match}) vs ${p}: ${why}`)
      }
    }
    expect(problems).toEqual([])
  })

  it('coarsens only latitude/longitude leaves and pseudonymises only string leaves', () => {
    for (const l of leaves) {
      const c = classifier.classify(l.path)!
      if (c.handling === 'coarsen-location') {
        expect(l.path).toMatch(/\.(Latitude|Longitude)$/)
        expect(l.datatype).toBe('double')
      }
      if (c.handling === 'pseudonymise') expect(l.datatype, l.path).toBe('string')
    }
  })

  it.each([
    ['Vehicle.VehicleIdentification.VIN', { category: 'vehicle-identifier', handling: 'pseudonymise', identifier: 'vin', charging: false }],
    ['Vehicle.VehicleIdentification.LicensePlate', { category: 'vehicle-identifier', handling: 'pseudonymise', identifier: 'plate' }],
    ['Vehicle.VehicleIdentification.Brand', { category: 'vehicle-configuration', handling: 'pass' }],
    ['Vehicle.VehicleIdentification.PurchaseDate', { category: 'personal', handling: 'pass' }],
    ['Vehicle.CurrentLocation.Latitude', { category: 'location', handling: 'coarsen-location', charging: false }],
    ['Vehicle.CurrentLocation.Longitude', { category: 'location', handling: 'coarsen-location' }],
    ['Vehicle.CurrentLocation.Altitude', { category: 'location', handling: 'pass' }],
    ['Vehicle.CurrentLocation.GNSSReceiver.FixType', { category: 'location', handling: 'pass' }],
    ['Vehicle.Cabin.Infotainment.Navigation.DestinationSet.Latitude', { category: 'location', handling: 'coarsen-location' }],
    ['Vehicle.Driver.Identifier.Subject', { category: 'person-identifier', handling: 'pseudonymise', identifier: 'driver-id' }],
    ['Vehicle.Driver.Identifier.Issuer', { category: 'person-identifier', handling: 'pass' }],
    ['Vehicle.Occupant.Identifier.Subject', { category: 'person-identifier', handling: 'pseudonymise', identifier: 'occupant-id' }],
    ['Vehicle.Driver.HeartRate', { category: 'sensitive-personal', handling: 'pass' }],
    ['Vehicle.Driver.FatigueLevel', { category: 'sensitive-personal', handling: 'pass' }],
    ['Vehicle.Driver.IsEyesOnRoad', { category: 'sensitive-personal', handling: 'pass' }],
    ['Vehicle.Occupant.MidEyeGaze.Azimuth', { category: 'sensitive-personal', handling: 'pass' }],
    ['Vehicle.ADAS.DMS.IsWarning', { category: 'sensitive-personal', handling: 'pass' }],
    ['Vehicle.Powertrain.TractionBattery.Charging.ChargeRate', { category: 'charging', handling: 'pass', charging: true }],
    ['Vehicle.Powertrain.TractionBattery.Charging.ChargeCurrent.DC', { category: 'charging', charging: true }],
    ['Vehicle.Powertrain.TractionBattery.Charging.Timer.Time', { category: 'charging', charging: true }],
    ['Vehicle.Powertrain.TractionBattery.Charging.Location.Latitude', { category: 'location', handling: 'coarsen-location', charging: true }],
    ['Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.IsFlapOpen', { category: 'charging', charging: true }],
    ['Vehicle.Powertrain.TractionBattery.StateOfCharge.Current', { category: 'vehicle-operating', charging: false }],
    ['Vehicle.ADAS.ActiveAutonomyLevel', { category: 'driving-automation', handling: 'pass' }],
    ['Vehicle.ADAS.LaneDepartureDetection.IsWarning', { category: 'driving-automation' }],
    ['Vehicle.ADAS.CruiseControl.SpeedSet', { category: 'driving-automation' }],
    ['Vehicle.ADAS.ABS.IsEngaged', { category: 'vehicle-operating' }],
    ['Vehicle.ADAS.ESC.RoadFriction.MostProbable', { category: 'vehicle-operating' }],
    ['Vehicle.Speed', { category: 'vehicle-operating', handling: 'pass', charging: false }],
    ['Vehicle.OBD.EngineSpeed', { category: 'diagnostic', handling: 'pass' }],
    ['Vehicle.OBD.Speed', { category: 'diagnostic' }],
    ['Vehicle.Diagnostics.DTCList', { category: 'diagnostic' }],
    ['Vehicle.Cabin.Infotainment.Media.Played.Track', { category: 'personal' }],
    ['Vehicle.Cabin.HVAC.Station.Temperature', { category: 'personal' }],
    ['Vehicle.Cabin.HVAC.AmbientAirTemperature', { category: 'vehicle-operating' }],
    ['Vehicle.Body.Mirrors.Pan', { category: 'personal' }],
    ['Vehicle.Body.Mirrors.IsFolded', { category: 'vehicle-operating' }],
    ['Vehicle.Chassis.Axle.TireDiameter', { category: 'vehicle-configuration' }],
    ['Vehicle.Powertrain.CombustionEngine.Displacement', { category: 'vehicle-configuration' }],
    ['Vehicle.Powertrain.CombustionEngine.EngineOil.Capacity', { category: 'vehicle-configuration' }],
    ['Vehicle.Powertrain.CombustionEngine.EngineOil.Temperature', { category: 'vehicle-operating' }],
    ['Vehicle.TripDuration', { category: 'personal' }],
  ] as const)('%s', (path, expected) => {
    const cls = classifier.classify(path)
    expect(cls).toMatchObject(expected)
    expect(overlay.entries[cls!.entry]!.match).toBe(cls!.match)
  })
})

describe('instance-expanded paths classify like their catalogue leaf', () => {
  // Real instance examples; see instanceBranches for the .vspec line declaring each.
  it.each([
    ['Vehicle.Cabin.Seat.Row1.DriverSide.HeatingCooling', 'Vehicle.Cabin.Seat.HeatingCooling'],
    ['Vehicle.Cabin.Seat.Row2.Middle.IsBelted', 'Vehicle.Cabin.Seat.IsBelted'],
    ['Vehicle.Cabin.Seat.Row1.PassengerSide.Backrest.Lumbar.Support', 'Vehicle.Cabin.Seat.Backrest.Lumbar.Support'],
    ['Vehicle.Cabin.Seat.Row1.DriverSide.Occupant.Identifier.Subject', 'Vehicle.Cabin.Seat.Occupant.Identifier.Subject'],
    ['Vehicle.Cabin.Door.Row1.PassengerSide.IsOpen', 'Vehicle.Cabin.Door.IsOpen'],
    ['Vehicle.Cabin.Door.Row2.DriverSide.Window.Position', 'Vehicle.Cabin.Door.Window.Position'],
    ['Vehicle.Chassis.Axle.Row1.Wheel.Left.Tire.Pressure', 'Vehicle.Chassis.Axle.Wheel.Tire.Pressure'],
    ['Vehicle.Chassis.Axle.Row2.Wheel.Right.Brake.PadWear', 'Vehicle.Chassis.Axle.Wheel.Brake.PadWear'],
    ['Vehicle.Chassis.Axle.Row2.TireDiameter', 'Vehicle.Chassis.Axle.TireDiameter'],
    ['Vehicle.Body.Lights.Beam.High.IsOn', 'Vehicle.Body.Lights.Beam.IsOn'],
    ['Vehicle.Body.Lights.DirectionIndicator.Left.IsSignaling', 'Vehicle.Body.Lights.DirectionIndicator.IsSignaling'],
    ['Vehicle.Body.Mirrors.DriverSide.Pan', 'Vehicle.Body.Mirrors.Pan'],
    ['Vehicle.Body.Mirrors.PassengerSide.IsFolded', 'Vehicle.Body.Mirrors.IsFolded'],
    ['Vehicle.Body.Trunk.Rear.IsOpen', 'Vehicle.Body.Trunk.IsOpen'],
    ['Vehicle.Body.Windshield.Front.Wiping.Mode', 'Vehicle.Body.Windshield.Wiping.Mode'],
    ['Vehicle.Cabin.HVAC.Station.Row1.Driver.Temperature', 'Vehicle.Cabin.HVAC.Station.Temperature'],
    ['Vehicle.Cabin.Light.Spotlight.Row3.PassengerSide.IsLightOn', 'Vehicle.Cabin.Light.Spotlight.IsLightOn'],
    ['Vehicle.Occupant.Row1.DriverSide.Identifier.Subject', 'Vehicle.Occupant.Identifier.Subject'],
    ['Vehicle.Occupant.Row2.PassengerSide.HeadPosition.Yaw', 'Vehicle.Occupant.HeadPosition.Yaw'],
    ['Vehicle.Powertrain.ElectricMotor.RearLeft.MaxPower', 'Vehicle.Powertrain.ElectricMotor.MaxPower'],
    ['Vehicle.Powertrain.ElectricMotor.Front.Speed', 'Vehicle.Powertrain.ElectricMotor.Speed'],
    ['Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.AnyPosition.SupportedInletTypes', 'Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.SupportedInletTypes'],
    ['Vehicle.ADAS.ObstacleDetection.Front.Left.IsWarning', 'Vehicle.ADAS.ObstacleDetection.IsWarning'],
    ['Vehicle.MotionManagement.Brake.Axle.Row1.Wheel.Left.Torque', 'Vehicle.MotionManagement.Brake.Axle.Wheel.Torque'],
  ])('%s', (expanded, base) => {
    expect(leaves.some((l) => l.path === base)).toBe(true)
    expect(expandInstances(base)).toContain(expanded)
    const want = classifier.classify(base)
    expect(want).toBeDefined()
    expect(classifier.classify(expanded)).toEqual(want)
  })

  it('every instance-expanded form of every catalogue leaf (all declared instances) classifies like its leaf', () => {
    expect(expandedForms.length).toBeGreaterThan(700)
    const differ = expandedForms
      .filter(({ base, expanded }) => classifier.classify(expanded)?.entry !== classifier.classify(base)!.entry)
      .map(({ base, expanded }) => `${expanded} → ${classifier.classify(expanded)?.match} (leaf: ${classifier.classify(base)!.match})`)
    expect(differ).toEqual([])
  })
})

describe('classifier', () => {
  it.each(['Vehicle.Nonexistent.Thing', 'Foo.Bar', '', 'Vehicle..Speed', 'Vehicle.Speed.', '.Vehicle.Speed', 'Vehicle', 'Vehicle.Speed ', 'Vehicle.Spéed', 'Vehicle.Cabin.Seat.Row1.DriverSide.Heating', 'vehicle.speed', 'Vehicle.Cabin.Seat.Row1..HeatingCooling', `Vehicle.Cabin.Door.${'X.'.repeat(300)}IsOpen`])(
    'leaves %j unclassified',
    (path) => {
      expect(classifier.classify(path)).toBeUndefined()
    },
  )

  it('returns the same frozen object for the same path', () => {
    const a = classifier.classify('Vehicle.Speed')
    expect(classifier.classify('Vehicle.Speed')).toBe(a)
    expect(Object.isFrozen(a)).toBe(true)
  })

  it('memoises in a bounded map and stays correct after eviction', () => {
    const small = compileVssOverlay(overlay, { cacheLimit: 50 })
    for (const l of leaves) small.classify(l.path)
    expect(small.cacheSize).toBe(50)
    for (const l of leaves) expect(small.classify(l.path)).toEqual(classifier.classify(l.path))
    expect(small.cacheSize).toBe(50)
    const none = compileVssOverlay(overlay, { cacheLimit: 0 })
    expect(none.classify('Vehicle.Speed')?.category).toBe('vehicle-operating')
    expect(none.cacheSize).toBe(0)
    expect(classifier.cacheSize).toBeLessThanOrEqual(10_000)
  })

  it('random paths never throw and classify deterministically', () => {
    const names = ['Vehicle', 'Cabin', 'Seat', 'Row1', 'DriverSide', 'Speed', 'VIN', 'OBD', 'Identifier', 'Subject', 'Charging', '', 'x y', '*', '**', 'É']
    const fresh = compileVssOverlay(overlay, { cacheLimit: 10 })
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.array(fc.constantFrom(...names), { maxLength: 10 }).map((s) => s.join('.'))),
        (path) => {
          const a = classifier.classify(path)
          expect(classifier.classify(path)).toEqual(a)
          expect(fresh.classify(path)).toEqual(a)
        },
      ),
      { numRuns: 2000 },
    )
  })

  it('classifies repeated and cold paths alike (speed is measured in benchmarks)', () => {
    const paths = leaves.slice(0, 20).map((l) => l.path)
    let n = 0
    for (let i = 0; i < 1_000; i++) for (const p of paths) if (classifier.classify(p)) n++
    expect(n).toBe(20_000)
    const cold = compileVssOverlay(overlay)
    for (const p of allPaths) expect(cold.classify(p)).toEqual(classifier.classify(p))
  })
})

describe('glob semantics', () => {
  const one = (match: string, path: string) =>
    compileVssOverlay({ version: 1, entries: [{ match, category: 'personal', handling: 'pass' }] }).classify(path) !== undefined

  it.each([
    ['Vehicle.A.*', 'Vehicle.A.B', true],
    ['Vehicle.A.*', 'Vehicle.A', false],
    ['Vehicle.A.*', 'Vehicle.A.B.C', false],
    ['Vehicle.*.C', 'Vehicle.B.C', true],
    ['Vehicle.*.C', 'Vehicle.C', false],
    ['Vehicle.*.C', 'Vehicle.B.B.C', false],
    ['Vehicle.A.**', 'Vehicle.A', true],
    ['Vehicle.A.**', 'Vehicle.A.B', true],
    ['Vehicle.A.**', 'Vehicle.A.B.C.D', true],
    ['Vehicle.A.**', 'Vehicle.AB', false],
    ['Vehicle.A.**', 'Vehicle.B.A', false],
    ['Vehicle.A.**.Z', 'Vehicle.A.Z', true],
    ['Vehicle.A.**.Z', 'Vehicle.A.x.Z', true],
    ['Vehicle.A.**.Z', 'Vehicle.A.x.y.Z', true],
    ['Vehicle.A.**.Z', 'Vehicle.A.Zed', false],
    ['Vehicle.A.**.Z', 'Vehicle.A.xZ', false],
    ['Vehicle.A.**.Z', 'Vehicle.A.x.Z.w', false],
    ['**.Z', 'Z', true],
    ['**.Z', 'a.b.Z', true],
    ['**.Z', 'aZ', false],
    ['Vehicle.**.Z.*', 'Vehicle.Z.q', true],
    ['Vehicle.**.Z.*', 'Vehicle.Z', false],
    ['Vehicle.Speed', 'Vehicle.Speed', true],
    ['Vehicle.Speed', 'Vehicle.SpeedX', false],
    ['Vehicle.Speed', 'XVehicle.Speed', false],
    ['Vehicle.Speed', 'Vehicle.speed', false],
  ])('%s vs %s → %s', (match, path, expected) => {
    expect(vssGlobProblems(match).filter((p) => !p.includes('catch-all'))).toEqual([])
    expect(one(match, path)).toBe(expected)
  })

  it('the first matching entry wins', () => {
    const c = compileVssOverlay({
      version: 1,
      entries: [
        { match: 'Vehicle.A.B', category: 'location', handling: 'coarsen-location' },
        { match: 'Vehicle.A.**', category: 'personal', handling: 'pass' },
        { match: 'Vehicle.**.B', category: 'diagnostic', handling: 'pass' },
      ],
    })
    expect(c.classify('Vehicle.A.B')).toMatchObject({ entry: 0, category: 'location' })
    expect(c.classify('Vehicle.A.C.B')).toMatchObject({ entry: 1, category: 'personal' })
    expect(c.classify('Vehicle.X.B')).toMatchObject({ entry: 2, category: 'diagnostic' })
  })

  it('agrees with a reference segment matcher on random globs and paths', () => {
    const ref = (g: string[], p: string[]): boolean => {
      if (g.length === 0) return p.length === 0
      const [h, ...rest] = g
      if (h === '**') return ref(rest, p) || (p.length > 0 && ref(g, p.slice(1)))
      return p.length > 0 && (h === '*' || h === p[0]) && ref(rest, p.slice(1))
    }
    const glob = fc
      .array(fc.constantFrom('A', 'B', 'C', '*', '**'), { minLength: 1, maxLength: 6 })
      .filter((g) => vssGlobProblems(g.join('.')).filter((p) => !p.includes('catch-all')).length === 0)
    const path = fc.array(fc.constantFrom('A', 'B', 'C'), { minLength: 1, maxLength: 7 })
    fc.assert(
      fc.property(glob, path, (g, p) => {
        expect(globToRegExp(g.join('.')).test(p.join('.'))).toBe(ref(g, p))
      }),
      { numRuns: 5000 },
    )
  })

  it('does not backtrack catastrophically on long adversarial paths', () => {
    const re = globToRegExp('Vehicle.**.A.**.B')
    const path = `Vehicle.${'A.'.repeat(250)}C`
    expect(re.test(path)).toBe(false)
  })
})

describe('parseVssOverlay validation', () => {
  const entry = (e: Record<string, unknown>) => ({ match: 'Vehicle.Foo.Bar', category: 'personal', handling: 'pass', ...e })
  const yaml = (entries: unknown[]) => JSON.stringify({ version: 1, entries })

  it('names the bad entry: entries[1] (Vehicle.Foo.*).category', () => {
    const problems = problemsOf(() => parseVssOverlay(yaml([entry({}), entry({ match: 'Vehicle.Foo.*', category: 'x' })]), categories))
    expect(problems).toEqual(['entries[1] (Vehicle.Foo.*).category: unknown category "x"'])
  })

  it('reports every problem at once, with code ADX_ERR_RULEPACK_INVALID', () => {
    const text = yaml([
      entry({ handling: 'delete' }),
      entry({ match: 'Vehicle.A', category: 'nope' }),
      entry({ match: 'Vehicle.B', handling: 'pseudonymise' }),
      entry({ match: 'Vehicle.Foo.Bar' }),
    ])
    try {
      parseVssOverlay(text, categories)
      expect.unreachable()
    } catch (e) {
      expect(isAdxError(e, 'ADX_ERR_RULEPACK_INVALID')).toBe(true)
      const details = (e as { details: string[] }).details
      expect(details).toHaveLength(4)
      expect(details.some((d) => d.startsWith('entries[0] (Vehicle.Foo.Bar).handling:'))).toBe(true)
      expect(details).toContain('entries[1] (Vehicle.A).category: unknown category "nope"')
      expect(details.some((d) => d.startsWith('entries[2] (Vehicle.B).identifier: handling "pseudonymise" needs an identifier'))).toBe(true)
      expect(details).toContain('entries[3] (Vehicle.Foo.Bar).match: duplicate match (first at entries[0])')
      expect((e as Error).message).toContain('rule pack is invalid: VSS overlay: entries[0]')
    }
  })

  it.each(['**', '*', 'Vehicle.**', 'Vehicle.*', 'Vehicle.*.**', '*.*', '**.*'])('rejects the catch-all %j', (match) => {
    const problems = problemsOf(() => parseVssOverlay(yaml([entry({ match })]), categories))
    expect(problems).toEqual([`entries[0] (${match}).match: is a catch-all: name at least one branch or signal besides "Vehicle"`])
  })

  it.each([
    ['', 'must not be empty'],
    ['Vehicle..Speed', 'segment 2 is empty'],
    ['Vehicle.Speed.', 'segment 3 is empty'],
    ['Vehicle.Spe*d', 'segment 2 "Spe*d" must be a name'],
    ['Vehicle.(Speed|VIN)', 'must be a name'],
    ['Vehicle.**.**.Speed', '"**.**" is redundant'],
    ['Vehicle.**.A.**.B.**.C', 'at most 2 "**"'],
  ])('rejects the glob %j', (match, message) => {
    const problems = problemsOf(() => parseVssOverlay(yaml([entry({ match })]), categories))
    expect(problems.some((p) => p.includes('.match: ') && p.includes(message)), problems.join('\n')).toBe(true)
  })

  it('requires an identifier with pseudonymise and rejects one without it', () => {
    expect(problemsOf(() => parseVssOverlay(yaml([entry({ handling: 'pseudonymise' })]), categories))).toEqual([
      'entries[0] (Vehicle.Foo.Bar).identifier: handling "pseudonymise" needs an identifier (vin | plate | driver-id | occupant-id | person-id)',
    ])
    expect(problemsOf(() => parseVssOverlay(yaml([entry({ identifier: 'vin' })]), categories))).toEqual([
      'entries[0] (Vehicle.Foo.Bar).identifier: only meaningful with handling "pseudonymise", not "pass"',
    ])
    const ok = parseVssOverlay(yaml([entry({ handling: 'pseudonymise', identifier: 'person-id' })]), categories)
    expect(ok.entries[0]).toMatchObject({ handling: 'pseudonymise', identifier: 'person-id' })
  })

  it('rejects unknown identifiers, unknown keys, a wrong version and no entries', () => {
    const problems = problemsOf(() =>
      parseVssOverlay(
        JSON.stringify({ version: 2, entries: [entry({ handling: 'pseudonymise', identifier: 'imei', colour: 'red' })] }),
        categories,
      ),
    )
    expect(problems.some((p) => p.startsWith('version:'))).toBe(true)
    expect(problems.some((p) => p.startsWith('entries[0] (Vehicle.Foo.Bar).identifier:'))).toBe(true)
    expect(problems.some((p) => p.startsWith('entries[0] (Vehicle.Foo.Bar)') && p.includes('colour'))).toBe(true)
    expect(problemsOf(() => parseVssOverlay('version: 1\nentries: []\n', categories))[0]).toMatch(/^entries:/)
    expect(problemsOf(() => parseVssOverlay('just text', categories))[0]).toMatch(/^\(root\)/)
  })

  it('rejects text that is not YAML', () => {
    expect(() => parseVssOverlay('entries: [', categories)).toThrow(/VSS overlay: not valid YAML/)
  })

  it('reads files: ADX_ERR_RULEPACK_READ for a missing one, the shipped one by default', () => {
    const dir = mkdtempSync(join(tmpdir(), 'adx-vss-'))
    try {
      loadVssOverlay(join(dir, 'missing.yaml'), categories)
      expect.unreachable()
    } catch (e) {
      expect(isAdxError(e, 'ADX_ERR_RULEPACK_READ')).toBe(true)
    }
    const file = join(dir, 'o.yaml')
    writeFileSync(file, 'version: 1\nentries:\n  - { match: Vehicle.Speed, category: vehicle-operating, handling: pass }\n')
    expect(loadVssOverlay(file, categories).entries).toHaveLength(1)
    expect(loadVssOverlay(undefined, categories)).toEqual(overlay)
  })

  it('rejects the shipped overlay against a rule pack lacking one of its categories', () => {
    const fewer = new Set([...categories].filter((c) => c !== 'charging'))
    const problems = problemsOf(() => loadVssOverlay(undefined, fewer))
    expect(problems.length).toBeGreaterThan(10)
    expect(problems.every((p) => p.endsWith('.category: unknown category "charging"'))).toBe(true)
  })
})
