/**
 * Loading and validating the rule pack. `parseRulePack` is pure (text in, pack out);
 * `loadRulePack` reads a file. Both throw AdxError ADX_ERR_RULEPACK_INVALID listing every
 * problem at once, each naming its entry, e.g. `rules[3] (IDR-MEDIA-FACE).trigger.minShorterSidePx: …`.
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parse as parseYaml } from 'yaml'
import { AdxError } from '../errors.ts'
import { type RulePack, rulePackSchema } from './schema.ts'

/** Path of the rule pack shipped with ADX. */
export const defaultRulePackPath = fileURLToPath(new URL('./cn-2026.yaml', import.meta.url))

/**
 * Name a zod issue path the way an author reads it: `rules[3] (IDR-X).trigger.kind`. Array
 * entries are labelled with their `labelKey` member (the pack's `id`, the overlay's `match`).
 */
export function describePath(input: unknown, path: readonly PropertyKey[], labelKey = 'id'): string {
  let out = ''
  let node: unknown = input
  for (const key of path) {
    if (typeof key === 'number') {
      out += `[${key}]`
      node = Array.isArray(node) ? node[key] : undefined
      const label = node && typeof node === 'object' ? (node as Record<string, unknown>)[labelKey] : undefined
      if (typeof label === 'string') out += ` (${label})`
    } else {
      out += out ? `.${String(key)}` : String(key)
      node = node && typeof node === 'object' ? (node as Record<string, unknown>)[key as string] : undefined
    }
  }
  return out || '(root)'
}

/** Cross-references zod cannot express: unique ids, known categories/scenarios/counters. */
function crossCheck(pack: RulePack): string[] {
  const problems: string[] = []
  const unique = (list: { id: string }[], where: string) => {
    const seen = new Set<string>()
    list.forEach((e, i) => {
      if (seen.has(e.id)) problems.push(`${where}[${i}] (${e.id}).id: duplicate id`)
      seen.add(e.id)
    })
  }
  unique(pack.measures, 'measures')
  unique(pack.thresholds, 'thresholds')
  unique(pack.counters, 'counters')
  unique(pack.exemptions, 'exemptions')
  unique(pack.categories, 'categories')
  unique(pack.scenarios, 'scenarios')
  unique(pack.rules, 'rules')
  unique(pack.agent.sensitiveZones, 'agent.sensitiveZones')

  const categories = new Set(pack.categories.map((c) => c.id))
  const counters = new Set(pack.counters.map((c) => c.id))
  const measures = new Set(pack.measures.map((m) => m.id))
  for (const [i, t] of pack.thresholds.entries()) {
    if (!counters.has(t.counter)) problems.push(`thresholds[${i}] (${t.id}).counter: unknown counter "${t.counter}"`)
    if (!measures.has(t.measure)) problems.push(`thresholds[${i}] (${t.id}).measure: unknown measure "${t.measure}"`)
  }
  const ruleIds = new Set(pack.rules.map((r) => r.id))
  for (const [i, e] of pack.exemptions.entries())
    for (const r of e.coversRules)
      if (!ruleIds.has(r)) problems.push(`exemptions[${i}] (${e.id}).coversRules: unknown rule "${r}"`)
  for (const [i, r] of pack.rules.entries()) {
    const at = `rules[${i}] (${r.id})`
    const scenario = pack.scenarios.find((s) => s.id === r.scenario)
    if (!scenario) problems.push(`${at}.scenario: unknown scenario "${r.scenario}"`)
    else if (!scenario.dataTypes.some((d) => d.id === r.dataType))
      problems.push(`${at}.dataType: "${r.dataType}" is not a data type of scenario "${r.scenario}"`)
    const cats = [...(r.categories ?? []), ...(r.trigger.kind === 'category' ? r.trigger.categories : [])]
    for (const c of cats) if (!categories.has(c)) problems.push(`${at}: unknown category "${c}"`)
    if (r.trigger.kind === 'fleet-count') {
      if (r.scope !== 'fleet') problems.push(`${at}.scope: a fleet-count trigger needs scope "fleet"`)
      for (const c of r.trigger.any)
        if (!counters.has(c.counter)) problems.push(`${at}.trigger.any: unknown counter "${c.counter}"`)
      if (!r.categories?.length) problems.push(`${at}.categories: a fleet rule must name the categories it holds`)
    } else if (r.scope !== 'payload') problems.push(`${at}.scope: a ${r.trigger.kind} trigger needs scope "payload"`)
  }
  return problems
}

/**
 * Validate a parsed rule pack object.
 * @throws AdxError ADX_ERR_RULEPACK_INVALID naming every bad entry.
 */
export function validateRulePack(input: unknown): RulePack {
  const result = rulePackSchema.safeParse(input)
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${describePath(input, issue.path)}: ${issue.message}`)
    throw new AdxError('ADX_ERR_RULEPACK_INVALID', problems.join('; '), problems)
  }
  const problems = crossCheck(result.data)
  if (problems.length) throw new AdxError('ADX_ERR_RULEPACK_INVALID', problems.join('; '), problems)
  return result.data
}

/**
 * Parse and validate rule-pack YAML (or JSON) text.
 * @example const pack = parseRulePack(readFileSync('cn-2026.yaml', 'utf8'))
 */
export function parseRulePack(text: string): RulePack {
  let doc: unknown
  try {
    doc = parseYaml(text)
  } catch (e) {
    throw new AdxError('ADX_ERR_RULEPACK_INVALID', `not valid YAML: ${(e as Error).message}`, [], { cause: e })
  }
  return validateRulePack(doc)
}

/** Read, parse and validate a rule pack file (default: the shipped pack). */
export function loadRulePack(path: string = defaultRulePackPath): RulePack {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (e) {
    throw new AdxError('ADX_ERR_RULEPACK_READ', `${path}: ${(e as Error).message}`, [], { cause: e })
  }
  return parseRulePack(text)
}
