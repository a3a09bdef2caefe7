import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parse, stringify } from 'yaml'
import { isAdxError } from '../errors.ts'
import { defaultRulePackPath, loadRulePack, parseRulePack, validateRulePack } from './load.ts'

const text = readFileSync(defaultRulePackPath, 'utf8')
const doc = () => parse(text) as Record<string, any>

function problems(mutate: (d: Record<string, any>) => void): string[] {
  const d = doc()
  mutate(d)
  try {
    validateRulePack(d)
  } catch (e) {
    if (isAdxError(e, 'ADX_ERR_RULEPACK_INVALID')) return [...e.details]
    throw e
  }
  return []
}

describe('the shipped rule pack', () => {
  const pack = loadRulePack()
  it('loads and is versioned', () => {
    expect(pack.version).toMatch(/^\d+\.\d+\.\d+$/)
    expect(pack.rules.length).toBeGreaterThanOrEqual(17)
  })
  it('carries the confirmed thresholds of the guidelines, inclusive (以上)', () => {
    const t = Object.fromEntries(pack.thresholds.map((x) => [x.id, x]))
    expect(t['T-PI-CONTRACT']).toMatchObject({ counter: 'persons.pi', value: 100_000, comparison: 'gte', measure: 'standard-contract', confidence: 'confirmed' })
    expect(t['T-PI-ASSESSMENT']).toMatchObject({ counter: 'persons.pi', value: 1_000_000, comparison: 'gte', measure: 'security-assessment' })
    expect(t['T-SPI-CONTRACT']).toMatchObject({ counter: 'persons.sensitive', value: 1, comparison: 'gte', measure: 'standard-contract' })
    expect(t['T-SPI-ASSESSMENT']).toMatchObject({ counter: 'persons.sensitive', value: 10_000, comparison: 'gte', measure: 'security-assessment' })
    expect(pack.counting.utcOffsetMinutes).toBe(480)
  })
  it('has the nine exemptions, E2–E4 excluded from totals, E6–E9 needing a reference', () => {
    expect(pack.exemptions.map((e) => e.id)).toEqual(['E1', 'E2', 'E3', 'E4', 'E5', 'E6', 'E7', 'E8', 'E9'])
    expect(pack.exemptions.filter((e) => e.excludedFromTotals).map((e) => e.id)).toEqual(['E2', 'E3', 'E4'])
    expect(pack.exemptions.filter((e) => e.needsReference).map((e) => e.id)).toEqual(['E6', 'E7', 'E8', 'E9'])
  })
  it('every rule names its element, confidence and source; keys and control are never exported', () => {
    for (const r of pack.rules) expect(r.source.length).toBeGreaterThan(0)
    expect(pack.rules.filter((r) => r.requires === 'never').map((r) => r.id).sort()).toEqual(['IDR-CONTROL', 'IDR-KEYS'])
  })
})

describe('a broken pack fails naming the bad entry', () => {
  it.each([
    ['wrong type', (d: any) => { d.rules[8].trigger.minShorterSidePx = 'big' }, /rules\[8\] \(IDR-MEDIA-FACE\)\.trigger\.minShorterSidePx/],
    ['unknown trigger kind', (d: any) => { d.rules[0].trigger = { kind: 'astrology' } }, /rules\[0\] \(IDR-RESULT-MAJOR-PROJECT\)\.trigger/],
    ['unknown key', (d: any) => { d.thresholds[1].vlaue = 3 }, /thresholds\[1\] \(T-PI-ASSESSMENT\)/],
    ['duplicate id', (d: any) => { d.rules[1].id = d.rules[0].id }, /duplicate id/],
    ['unknown category', (d: any) => { d.rules[2].trigger.categories = ['nowhere'] }, /unknown category "nowhere"/],
    ['data type outside its scenario', (d: any) => { d.rules[0].dataType = 'charging-operation' }, /is not a data type of scenario/],
    ['unknown counter', (d: any) => { d.thresholds[0].counter = 'people' }, /unknown counter "people"/],
    ['fleet rule without categories', (d: any) => { delete d.rules[11].categories }, /must name the categories it holds/],
    ['exemption covering an unknown rule', (d: any) => { d.exemptions[8].coversRules = ['IDR-NOPE'] }, /exemptions\[8\] \(E9\)\.coversRules: unknown rule/],
    ['eight exemptions', (d: any) => { d.exemptions.pop() }, /exemptions/],
    ['bad version', (d: any) => { d.version = 'latest' }, /version/],
    ['alert level of 1', (d: any) => { d.alertLevels = [0.8, 1] }, /alertLevels\[1\]/],
  ])('%s', (_name, mutate, pattern) => {
    const found = problems(mutate)
    expect(found.some((p) => pattern.test(p)), found.join('\n')).toBe(true)
  })
  it('reports every problem at once', () => {
    expect(problems((d) => { d.version = 'x'; d.rules[0].scope = 'planet'; d.thresholds[0].value = -1 }).length).toBeGreaterThanOrEqual(3)
  })
  it('rejects text that is not YAML', () => {
    expect(() => parseRulePack('rules: [unclosed')).toThrow(/ADX_ERR_RULEPACK_INVALID|not valid YAML/)
  })
  it('round-trips through YAML', () => {
    expect(parseRulePack(stringify(doc()))).toEqual(loadRulePack())
  })
  it('names an unreadable file', () => {
    expect(() => loadRulePack('/nonexistent/pack.yaml')).toThrow(/\/nonexistent\/pack\.yaml/)
  })
})
