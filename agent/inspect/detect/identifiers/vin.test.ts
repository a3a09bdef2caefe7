import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { findIdentifiers } from './identifiers.ts'
import { COMMON_NEGATIVES } from './test-fixtures.ts'
import { findVins, isVin, makeVin, vinCheckDigit } from './vin.ts'

const ALPHABET = 'ABCDEFGHJKLMNPRSTUVWXYZ0123456789'
const WMIS = ['LFV', 'LSV', 'LGW', 'LRW', 'LHG', 'LVS', 'LBV', 'WVW', '1HG', '5YJ']

// Published reference VINs (check digit verified by the standard algorithm).
const REFERENCE = ['1M8GDM9AXKP042788', '1HGCM82633A004352', '11111111111111111']

describe('vinCheckDigit', () => {
  it.each([
    ['1M8GDM9AXKP042788', 'X'],
    ['1HGCM82633A004352', '3'],
    ['11111111111111111', '1'],
    ['LSVAU2180N2183294', 'X'],
    ['lsvau2180n2183294', 'X'],
  ])('%s → %s', (vin, check) => {
    expect(vinCheckDigit(vin)).toBe(check)
  })

  it.each([['LSVAU2180N218329'], ['LSVAU2180N21832944'], ['LSVAU2180N218329I'], ['LSVAU2180N218329O'], ['LSVQU2180N2183294']])(
    'throws for %s',
    (bad) => {
      expect(() => vinCheckDigit(bad)).toThrow(RangeError)
    },
  )
})

describe('makeVin', () => {
  it.each([
    ['LSVAU218N2183294', 'LSVAU218XN2183294'],
    ['LSVAU218?N2183294', 'LSVAU218XN2183294'],
    ['lfv2a21kn2183294', 'LFV2A21K4N2183294'],
    ['LGWEF4A5N2183294', 'LGWEF4A50N2183294'],
  ])('%s → %s', (input, vin) => {
    expect(makeVin(input)).toBe(vin)
    expect(isVin(vin)).toBe(true)
  })

  it('throws on wrong length or characters', () => {
    expect(() => makeVin('LSVAU218N218329')).toThrow(RangeError)
    expect(() => makeVin('LSVAU218N218329O')).toThrow(RangeError)
  })
})

describe('isVin', () => {
  it.each([
    ...REFERENCE.map((v) => [v, true] as const),
    ['LSVAU218XN2183294', true],
    ['lsvau218xn2183294', true],
    ['LSVAU2180N2183294', false], // wrong check digit
    ['LSVAU218XN218329', false], // 16 chars
    ['LSVAU218XN21832944', false], // 18 chars
    ['LSVAU218XN218329I', false], // I not allowed
    ['LSVOU218XN2183294', false], // O not allowed
    [' LSVAU218XN2183294', false], // exact: no trimming
  ] as const)('%j → %s', (s, ok) => {
    expect(isVin(s)).toBe(ok)
  })
})

describe('findVins', () => {
  it.each([
    ['"vin":"LSVAU218XN2183294"', 'LSVAU218XN2183294', 7],
    ['VIN LSVAU218XN2183294 reported', 'LSVAU218XN2183294', 4],
    ['车架号LSVAU218XN2183294，已绑定', 'LSVAU218XN2183294', 3],
    ['vin_LSVAU218XN2183294', 'LSVAU218XN2183294', 4],
    ['vin=lsvau218xn2183294;', 'LSVAU218XN2183294', 4],
    ['line1\\nLSVAU218XN2183294', 'LSVAU218XN2183294', 7],
    ['1M8GDM9AXKP042788', '1M8GDM9AXKP042788', 0],
  ])('finds the VIN in %j', (text, value, start) => {
    expect(findVins(text)).toEqual([{ start, end: start + 17, kind: 'vin', value }])
  })

  it('finds several', () => {
    const text = 'LSVAU218XN2183294,LFV2A21K4N2183294 LGWEF4A50N2183294'
    expect(findVins(text).map((s) => s.value)).toEqual(['LSVAU218XN2183294', 'LFV2A21K4N2183294', 'LGWEF4A50N2183294'])
  })

  it.each([
    ...COMMON_NEGATIVES,
    'XLSVAU218XN2183294', // part of a longer token
    'LSVAU218XN21832945',
    'LSVAU218XN2183294a',
    'LSVAU218XN218329A', // last four not numeric (valid check digit though)
  ])('finds nothing in %j', (text) => {
    expect(findVins(text)).toEqual([])
  })

  it('free-text rule: last four numeric, at least one letter (isVin has neither rule)', () => {
    const lettersAtEnd = makeVin('LSVAU218N218329A')
    expect(isVin(lettersAtEnd)).toBe(true)
    expect(findVins(lettersAtEnd)).toEqual([])
    expect(isVin('11111111111111111')).toBe(true)
    expect(findVins('11111111111111111')).toEqual([])
  })
})

const charFrom = (alphabet: string) => fc.constantFrom(...alphabet.split(''))
const vinArb = fc
  .tuple(
    fc.oneof(fc.constantFrom(...WMIS), fc.string({ unit: charFrom(ALPHABET), minLength: 3, maxLength: 3 })),
    fc.string({ unit: charFrom(ALPHABET), minLength: 5, maxLength: 5 }),
    fc.string({ unit: charFrom(ALPHABET), minLength: 4, maxLength: 4 }),
    fc.string({ unit: charFrom('0123456789'), minLength: 4, maxLength: 4 }),
  )
  .filter(([wmi, vds, vis]) => /[A-Z]/.test(wmi + vds + vis))
  .map(([wmi, vds, vis, serial]) => makeVin(wmi + vds + vis + serial))
const contextArb = fc.constantFrom(['', ''], ['vin ', ' ok'], ['{"vin":"', '"}'], ['车架号', '。'], ['VIN=', ';'])

describe('VIN properties', () => {
  it('generated valid VINs are always found, in any case', () => {
    fc.assert(
      fc.property(vinArb, contextArb, fc.boolean(), (vin, [pre, post], lower) => {
        const written = lower ? vin.toLowerCase() : vin
        const text = pre + written + post
        const expected = [{ start: pre.length, end: pre.length + 17, kind: 'vin', value: vin }]
        expect(isVin(written)).toBe(true)
        expect(findVins(text)).toEqual(expected)
        expect(findIdentifiers(text)).toEqual(expected)
      }),
      { numRuns: 500 },
    )
  })

  it('a changed check digit is never found as a VIN', () => {
    fc.assert(
      fc.property(vinArb, charFrom('0123456789X'), contextArb, (vin, check, [pre, post]) => {
        fc.pre(check !== vin[8])
        const bad = vin.slice(0, 8) + check + vin.slice(9)
        expect(isVin(bad)).toBe(false)
        expect(findVins(pre + bad + post)).toEqual([])
        expect(findIdentifiers(pre + bad + post).filter((s) => s.kind === 'vin')).toEqual([])
      }),
      { numRuns: 500 },
    )
  })
})
