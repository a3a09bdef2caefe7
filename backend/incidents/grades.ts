/**
 * PURE: the grade of each incident type and the reporting deadline of each grade. Defaults: the
 * catalogue's grade per type, the rule pack's `incidents.grades[].reportWithinMinutes` per grade
 * (60 minutes for relatively-major and above when the pack gives none); the backend
 * configuration's `incidents` section overrides either.
 */
import { z } from 'zod'
import type { RulePack } from '../../shared/rulepack/schema.ts'
import { type GradeId, incidentCatalogue, UNKNOWN_TYPE_GRADE } from './catalogue.ts'

/** Grades, most severe first. */
export const gradeIds: readonly GradeId[] = ['particularly-major', 'major', 'relatively-major', 'general']

const gradeId = z.enum(['particularly-major', 'major', 'relatively-major', 'general'])

/**
 * The `incidents` section of the backend configuration (all optional).
 * @example incidentSettingsSchema.parse({ grades: { ADX_INC_LIMIT_ALERT: 'relatively-major' }, reportWithinMinutes: { major: 30 } })
 */
export const incidentSettingsSchema = z.strictObject({
  /** Grade per incident type code, overriding the catalogue's default. */
  grades: z.record(z.string().regex(/^ADX_INC_[A-Z0-9_]+$/), gradeId).default({}),
  /** Minutes to report per grade (null = no reporting deadline), overriding the pack. */
  reportWithinMinutes: z.partialRecord(gradeId, z.number().int().positive().nullable()).default({}),
  /** An agent offline this long while holding data raises ADX_INC_AGENT_OFFLINE_HELD (default 24 h). */
  offlineHeldAfterMs: z.number().int().positive().default(24 * 3_600_000),
  /** Log retention in days; the pack's `logs.retentionDays` (3 years) when absent. */
  retentionDays: z.number().int().positive().optional(),
})

/** Settings as validated. */
export type IncidentSettings = z.infer<typeof incidentSettingsSchema>

/** The grade table in force. */
export interface GradeTable {
  gradeOf(type: string): GradeId
  /** Minutes to report an incident of this grade, or null when it need not be reported. */
  reportWithinMinutes(grade: string): number | null
  /** Title of a grade (from the pack). */
  title(grade: string): string
  isGrade(grade: string): grade is GradeId
}

const SEVERE: ReadonlySet<string> = new Set(['particularly-major', 'major', 'relatively-major'])

/**
 * Builds the grade table from the pack and the settings.
 * @example gradeTable(pack, incidentSettingsSchema.parse({})).gradeOf('ADX_INC_KEY_MATERIAL_AT_EGRESS') // 'major'
 */
export function gradeTable(pack: RulePack, settings: Partial<IncidentSettings> = {}): GradeTable {
  const packGrades = new Map(pack.incidents.grades.map((g) => [g.id, g]))
  return {
    gradeOf: (type) => settings.grades?.[type] ?? incidentCatalogue[type]?.grade ?? UNKNOWN_TYPE_GRADE,
    reportWithinMinutes(grade) {
      const override = settings.reportWithinMinutes?.[grade as GradeId]
      if (override !== undefined) return override
      const g = packGrades.get(grade)
      if (g) return g.reportWithinMinutes ?? null
      return SEVERE.has(grade) ? 60 : null
    },
    title: (grade) => packGrades.get(grade)?.title ?? grade,
    isGrade: (grade): grade is GradeId => (gradeIds as readonly string[]).includes(grade),
  }
}

/** Retention of the hash-chained logs in days (settings, else the pack's `logs.retentionDays`). */
export function retentionDays(pack: RulePack, settings: Partial<IncidentSettings> = {}): number {
  return settings.retentionDays ?? pack.logs.retentionDays
}
