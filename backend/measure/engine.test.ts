import { describe, expect, it } from 'vitest'
import { loadRulePack } from '../../shared/rulepack/load.ts'
import { FilingKind } from '../../shared/wire/index.ts'
import type { Counts } from '../counting/counts.ts'
import { requiredMeasure } from './engine.ts'
import type { FilingScope } from './filings.ts'
import { limitsOf } from './limits.ts'

const pack = loadRulePack()
const NOW = Date.UTC(2026, 5, 1)

function counts(values: Record<string, number>): Counts {
  const out: Record<string, Record<string, number>> = {}
  for (const [key, v] of Object.entries(values)) {
    const [counter, category = ''] = key.split('/') as [string, string?]
    ;(out[counter] ??= {})[category] = v
  }
  return out
}

function filing(p: Partial<FilingScope> & { kind: number }): FilingScope {
  return { filingId: 'f1', categories: ['*'], recipients: ['*'], purposes: ['*'], validFromMs: NOW - 1000, validUntilMs: NOW + 1000, ...p }
}

const measureAt = (values: Record<string, number>, opts: { ciio?: boolean; filings?: FilingScope[] } = {}) =>
  requiredMeasure({ counts: counts(values), ciio: opts.ciio ?? false, filings: opts.filings ?? [], pack, nowMs: NOW })

const key = (l: { counter: string; category: string }) => (l.category ? `${l.counter}/${l.category}` : l.counter)

describe('every limit of the pack at its boundary (generated from the pack)', () => {
  const limits = limitsOf(pack, { ciio: true })
  it('covers every threshold and every fleet-rule condition', () => {
    for (const t of pack.thresholds) expect(limits.some((l) => l.id === t.id)).toBe(true)
    for (const r of pack.rules.filter((x) => x.scope === 'fleet'))
      expect(limits.filter((l) => l.ruleId === r.id).length).toBeGreaterThanOrEqual(1)
  })

  for (const l of limits) {
    const below = l.comparison === 'gte' ? [l.value - 1] : [l.value - 1, l.value]
    const above = l.comparison === 'gte' ? [l.value, l.value + 1] : [l.value + 1]
    it(`${l.id} (${l.comparison} ${l.value}) does not fire at ${below.join(', ')}`, () => {
      for (const n of below) {
        const s = measureAt({ [key(l)]: n }, { ciio: l.source === 'ciio' }).limits.find((x) => x.id === l.id)!
        expect(s.fired, `count ${n}`).toBe(false)
        expect(s.count).toBe(n)
      }
    })
    it(`${l.id} (${l.comparison} ${l.value}) fires at ${above.join(', ')}`, () => {
      for (const n of above) {
        const r = measureAt({ [key(l)]: n }, { ciio: l.source === 'ciio' })
        const s = r.limits.find((x) => x.id === l.id)!
        expect(s.fired, `count ${n}`).toBe(true)
        if (l.requires === 'security-assessment' || l.requires === 'standard-contract') {
          expect(r.reasons.some((x) => x.limitId === l.id)).toBe(true)
          expect(['standard-contract', 'security-assessment']).toContain(r.measure)
        }
      }
    })
    it(`${l.id} maxAllowed is the last count that does not fire`, () => {
      const s = measureAt({}, { ciio: l.source === 'ciio' }).limits.find((x) => x.id === l.id)!
      expect(s.maxAllowed).toBe(l.comparison === 'gte' && l.distinct ? l.value - 1 : l.value)
    })
  }
})

describe('overall measure at the regulation\'s numbers', () => {
  it.each([
    [{ 'persons.pi': 0 }, 'exempt'],
    [{ 'persons.pi': 99_999 }, 'exempt'],
    [{ 'persons.pi': 100_000 }, 'standard-contract'],
    [{ 'persons.pi': 100_001 }, 'standard-contract'],
    [{ 'persons.pi': 999_999 }, 'standard-contract'],
    [{ 'persons.pi': 1_000_000 }, 'security-assessment'],
    [{ 'persons.pi': 1_000_001 }, 'security-assessment'],
    [{ 'persons.sensitive': 0 }, 'exempt'],
    [{ 'persons.sensitive': 1 }, 'standard-contract'],
    [{ 'persons.sensitive': 2 }, 'standard-contract'],
    [{ 'persons.sensitive': 9_999 }, 'standard-contract'],
    [{ 'persons.sensitive': 10_000 }, 'security-assessment'],
    [{ 'persons.sensitive': 10_001 }, 'security-assessment'],
    [{ 'vehicles/location': 100_000 }, 'exempt'],
    [{ 'vehicles/location': 100_001 }, 'security-assessment'],
    [{ 'vehicles/personal': 100_001 }, 'exempt'],
    [{ 'persons.vin-iccid': 1_000_000 }, 'exempt'],
    [{ 'persons.vin-iccid': 1_000_001 }, 'security-assessment'],
    [{ 'persons.charging': 1_000_000 }, 'exempt'],
    [{ 'persons.charging': 1_000_001 }, 'security-assessment'],
    [{ 'camera.km': 50_000_000 }, 'exempt'],
    [{ 'camera.km': 50_000_000.5 }, 'security-assessment'],
    [{ 'camera.hours': 2_000 }, 'exempt'],
    [{ 'camera.hours': 2_000.001 }, 'security-assessment'],
    [{ 'persons.pi': 99_999, 'persons.sensitive': 1 }, 'standard-contract'],
  ] as const)('%j → %s', (values, expected) => {
    expect(measureAt(values).measure).toBe(expected)
  })

  it('a CIIO sending any PI needs an assessment; without PI it is exempt', () => {
    expect(measureAt({ 'persons.pi': 1 }, { ciio: true }).measure).toBe('security-assessment')
    expect(measureAt({ 'persons.sensitive': 1 }, { ciio: true }).reasons.map((r) => r.id)).toContain('CIIO')
    expect(measureAt({ 'persons.pi': 0 }, { ciio: true }).measure).toBe('exempt')
    expect(measureAt({ 'persons.pi': 1 }, { ciio: false }).measure).toBe('exempt')
  })

  it('names the thresholds that fired', () => {
    const r = measureAt({ 'persons.pi': 1_000_000, 'persons.sensitive': 5 })
    expect(r.reasons.map((x) => x.id).sort()).toEqual(['T-PI-ASSESSMENT', 'T-PI-CONTRACT', 'T-SPI-CONTRACT'])
  })
})

describe('alert levels', () => {
  const alertOf = (n: number) => measureAt({ 'persons.pi': n }).limits.find((l) => l.id === 'T-PI-CONTRACT')!.alertLevel
  it('reports the highest pack fraction reached', () => {
    expect(pack.alertLevels).toEqual([0.8, 0.95])
    expect(alertOf(79_999)).toBe(null)
    expect(alertOf(80_000)).toBe(0.8)
    expect(alertOf(94_999)).toBe(0.8)
    expect(alertOf(95_000)).toBe(0.95)
    expect(alertOf(150_000)).toBe(0.95)
  })
  it('works for sums and tiny limits', () => {
    const r = measureAt({ 'camera.hours': 1_600, 'persons.sensitive': 0 })
    expect(r.limits.find((l) => l.id === 'IDR-MEDIA-CUMULATIVE:camera.hours')!.alertLevel).toBe(0.8)
    expect(r.limits.find((l) => l.id === 'T-SPI-CONTRACT')!.alertLevel).toBe(null)
  })
})

describe('filings', () => {
  const pi = (r: ReturnType<typeof measureAt>, id = 'T-PI-CONTRACT') => r.limits.find((l) => l.id === id)!

  it('a standard contract in force covers the contract thresholds, not the assessment ones', () => {
    const r = measureAt({ 'persons.pi': 200_000 }, { filings: [filing({ kind: FilingKind.STANDARD_CONTRACT })] })
    expect(pi(r).covered).toBe(true)
    expect(pi(r, 'T-PI-ASSESSMENT').covered).toBe(false)
    expect(r.measureSatisfied).toBe(true)
    expect(r.measureFilings).toEqual(['f1'])
  })

  it('certification and security assessment satisfy a standard-contract requirement', () => {
    for (const kind of [FilingKind.CERTIFICATION, FilingKind.SECURITY_ASSESSMENT])
      expect(pi(measureAt({}, { filings: [filing({ kind })] })).covered).toBe(true)
    for (const kind of [FilingKind.MNR_APPROVAL, FilingKind.EXEMPTION_REFERENCE, FilingKind.IMPORTANT_DATA_FILING])
      expect(pi(measureAt({}, { filings: [filing({ kind })] })).covered).toBe(false)
  })

  it('is in force from valid_from inclusive to valid_until exclusive', () => {
    const at = (validFromMs: number, validUntilMs: number) =>
      pi(measureAt({}, { filings: [filing({ kind: FilingKind.STANDARD_CONTRACT, validFromMs, validUntilMs })] })).covered
    expect(at(NOW, NOW + 1)).toBe(true)
    expect(at(NOW + 1, NOW + 2)).toBe(false)
    expect(at(NOW - 2, NOW)).toBe(false)
  })

  it('covers only the categories in its scope; names the rest', () => {
    const r = measureAt({}, { filings: [filing({ kind: FilingKind.SECURITY_ASSESSMENT, categories: ['charging'] })] })
    const charging = r.limits.find((l) => l.id === 'IDR-CHARGING-PERSONS:persons.charging')!
    expect(charging.covered).toBe(true)
    expect(charging.coveredBy).toEqual({ charging: ['f1'] })
    const sensitive = pi(r, 'T-SPI-CONTRACT')
    expect(sensitive.covered).toBe(false)
    expect(sensitive.uncoveredCategories.sort()).toEqual(['location', 'sensitive-personal'])
  })

  it('a scope naming the limit or rule id covers all its categories', () => {
    const r = measureAt({}, { filings: [filing({ kind: FilingKind.SECURITY_ASSESSMENT, categories: ['IDR-VEHICLE-QUANTITY'] })] })
    expect(r.rules.find((x) => x.ruleId === 'IDR-VEHICLE-QUANTITY')!.covered).toBe(true)
    expect(r.rules.find((x) => x.ruleId === 'IDR-MEDIA-CUMULATIVE')!.covered).toBe(false)
  })

  it('reports fleet rules fired and covered', () => {
    const r = measureAt({ 'vehicles/charging': 100_001 })
    expect(r.rules.find((x) => x.ruleId === 'IDR-VEHICLE-QUANTITY')).toMatchObject({ fired: true, covered: false })
    expect(r.rules.find((x) => x.ruleId === 'IDR-CHARGING-PERSONS')).toMatchObject({ fired: false, covered: false })
  })

  it('says when the overall measure is not satisfied', () => {
    const r = measureAt({ 'persons.pi': 1_000_000 }, { filings: [filing({ kind: FilingKind.STANDARD_CONTRACT })] })
    expect(r.measure).toBe('security-assessment')
    expect(r.measureSatisfied).toBe(false)
    expect(measureAt({}).measureSatisfied).toBe(true)
  })
})
