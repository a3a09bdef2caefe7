/**
 * The rule pack's schema (zod). The pack is data (cn-2026.yaml); this file is what makes a
 * broken pack fail at load with an error that names the bad entry.
 */
import { z } from 'zod'

export const confidence = z.enum(['confirmed', 'draft', 'baseline'])
const id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'must be an id of letters, digits, ".", "_" or "-"')
export const comparison = z.enum(['gte', 'gt'])
export const measureId = z.enum(['exempt', 'standard-contract', 'security-assessment'])
/** What an export needs once a rule fires: a measure, a filing kind, or never (ADX strips it). */
export const requirement = z.enum(['standard-contract', 'security-assessment', 'mnr-approval', 'never'])
export const personal = z.enum(['none', 'pi', 'sensitive'])

const measure = z.strictObject({
  id: measureId,
  title: z.string().min(1),
  rank: z.number().int().min(0),
  satisfiedBy: z.array(z.enum(['standard-contract', 'certification', 'security-assessment'])).optional(),
  confidence,
})

const threshold = z.strictObject({
  id,
  title: z.string().min(1),
  counter: id,
  value: z.number().int().positive(),
  comparison,
  measure: measureId,
  confidence,
})

const counter = z.strictObject({ id, title: z.string().min(1), perCategory: z.boolean().optional() })

const exemption = z.strictObject({
  id: z.enum(['E1', 'E2', 'E3', 'E4', 'E5', 'E6', 'E7', 'E8', 'E9']),
  title: z.string().min(1),
  needsReference: z.boolean(),
  referenceKind: z.string().optional(),
  excludedFromTotals: z.boolean(),
  coversRules: z.array(id),
  confidence,
})

const category = z.strictObject({
  id,
  title: z.string().min(1),
  personal,
  geographic: z.boolean().optional(),
})

const scenario = z.strictObject({
  id,
  title: z.string().min(1),
  dataTypes: z.array(z.strictObject({ id, title: z.string().min(1) })).min(1),
})

const fleetCondition = z.strictObject({ counter: id, value: z.number().positive(), comparison })

export const trigger = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('tag'), tags: z.array(z.string().min(1)).min(1) }),
  z.strictObject({ kind: z.literal('category'), categories: z.array(id).min(1) }),
  z.strictObject({ kind: z.literal('sensitive-zone') }),
  z.strictObject({ kind: z.literal('media-face'), minShorterSidePx: z.number().int().positive() }),
  z.strictObject({ kind: z.literal('media-plate'), minShorterSidePx: z.number().int().positive() }),
  z.strictObject({ kind: z.literal('fleet-count'), any: z.array(fleetCondition).min(1) }),
])

const rule = z.strictObject({
  id,
  title: z.string().min(1),
  scenario: id,
  dataType: id,
  element: z.enum([
    'result',
    'geographic-information',
    'public-security-law-enforcement',
    'export-control',
    'system-function',
    'cumulative-duration',
    'scale-accuracy',
    'vehicle-quantity',
    'personal-information',
  ]),
  scope: z.enum(['payload', 'fleet']),
  trigger,
  /** Categories a fleet rule applies to (which exports it holds). */
  categories: z.array(id).optional(),
  requires: requirement,
  confidence,
  source: z.string().min(1),
})

const zone = z.strictObject({
  id,
  title: z.string().optional(),
  latitude: z.number().min(-90).max(90),
  longitude: z.number().min(-180).max(180),
  radiusMeters: z.number().positive(),
})

const grade = z.strictObject({ id, title: z.string().min(1), reportWithinMinutes: z.number().int().positive().optional() })

export const rulePackSchema = z.strictObject({
  id,
  version: z.string().regex(/^\d+\.\d+\.\d+$/, 'must be a version like 2026.1.0'),
  title: z.string().min(1),
  source: z.string().min(1),
  counting: z.strictObject({ utcOffsetMinutes: z.number().int().min(-720).max(840), confidence }),
  measures: z.array(measure).min(1),
  thresholds: z.array(threshold).min(1),
  ciio: z.strictObject({ anyPersonalInformation: measureId, confidence }),
  alertLevels: z.array(z.number().gt(0).lt(1)).min(1),
  counters: z.array(counter).min(1),
  exemptions: z.array(exemption).length(9),
  categories: z.array(category).min(1),
  scenarios: z.array(scenario).min(1),
  rules: z.array(rule).min(1),
  agent: z.strictObject({
    locationDecimals: z.number().int().min(0).max(6),
    sensitiveZones: z.array(zone),
    limits: z.strictObject({
      maxPayloadBytes: z.number().int().positive(),
      maxStringBytes: z.number().int().positive(),
      maxDepth: z.number().int().positive().max(256),
      maxNestedDecodeDepth: z.number().int().min(0).max(8),
      maxItems: z.number().int().positive(),
    }),
  }),
  logs: z.strictObject({ retentionDays: z.number().int().positive(), confidence }),
  incidents: z.strictObject({ grades: z.array(grade).min(1), confidence }),
})

/** A validated rule pack. */
export type RulePack = z.infer<typeof rulePackSchema>
export type ImportantDataRule = RulePack['rules'][number]
export type Trigger = z.infer<typeof trigger>
export type Threshold = RulePack['thresholds'][number]
export type ExemptionRule = RulePack['exemptions'][number]
export type Category = RulePack['categories'][number]
export type SensitiveZone = RulePack['agent']['sensitiveZones'][number]
export type Requirement = z.infer<typeof requirement>
export type MeasureId = z.infer<typeof measureId>
