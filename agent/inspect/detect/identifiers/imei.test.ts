import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { findIdentifiers } from './identifiers.ts'
import { findImeis, imeiFromImeiSv, isImei, isImeiSv, makeImei } from './imei.ts'
import { COMMON_NEGATIVES } from './test-fixtures.ts'

const IMEI = '352099001761481' // 35-209900-176148-1, the textbook example
const IMEI2 = '490154203237518'
const IMEI3 = makeImei('86012345678901')

describe('isImei / isImeiSv / makeImei', () => {
  it.each([
    [IMEI, true],
    [IMEI2, true],
    [IMEI3, true],
    ['352099001761482', false],
    ['35209900176148', false],
    ['3520990017614811', false],
    ['35209900176148A', false],
  ])('isImei(%s) → %s', (s, ok) => {
    expect(isImei(s)).toBe(ok)
  })

  it('IMEISV', () => {
    expect(isImeiSv('3520990017614823')).toBe(true)
    expect(isImeiSv(IMEI)).toBe(false)
    expect(imeiFromImeiSv('3520990017614823')).toBe(IMEI)
    expect(() => imeiFromImeiSv('35209900')).toThrow(RangeError)
  })

  it('makeImei', () => {
    expect(makeImei('35209900176148')).toBe(IMEI)
    expect(() => makeImei('3520990017614')).toThrow(RangeError)
  })
})

describe('findImeis', () => {
  it.each([
    [`IMEI ${IMEI} registered`, 5, 20, IMEI],
    [`{"imei":"${IMEI2}"}`, 9, 24, IMEI2],
    [`${IMEI3}`, 0, 15, IMEI3], // unlabelled, passes Luhn
    [`dev=${IMEI}`, 4, 19, IMEI],
    [`imei1: ${IMEI} imei2: ${IMEI2}`, 7, 22, IMEI],
    ['IMEISV: 3520990017614823', 8, 24, IMEI], // normalised to the IMEI
    ['"imei_sv":"3520990017614823"', 11, 27, IMEI],
    ['IMEI: 352099001761482', 6, 21, '352099001761482'], // labelled: Luhn not required
    ['imei=460001234567895', 5, 20, '460001234567895'], // labelled beats the 460 rule
  ])('finds the IMEI in %j', (text, start, end, value) => {
    expect(findImeis(text)[0]).toEqual({ start, end, kind: 'imei', value })
  })

  it.each([
    ...COMMON_NEGATIVES,
    '352099001761482', // fails Luhn, unlabelled
    '3520990017614823', // 16 digits without a label
    '460001234567895', // passes Luhn but 460-prefixed → IMSI, not IMEI
    '008613812345678', // 0086-prefixed mobile number
    `1${IMEI}`,
    `${IMEI}.0`,
    `x${IMEI}`,
    `IMSI: ${IMEI}`, // labelled as IMSI
  ])('finds no IMEI in %j', (text) => {
    expect(findImeis(text)).toEqual([])
  })
})

const digits = (n: number) => fc.string({ unit: fc.constantFrom(...'0123456789'.split('')), minLength: n, maxLength: n })
const imeiArb = digits(14)
  .filter((b) => !b.startsWith('460') && !/^00861[3-9]/.test(b))
  .map(makeImei)
const contextArb = fc.constantFrom(['', ''], ['IMEI: ', '\n'], ['{"imei":"', '"}'], ['设备', '。'], ['sn ', ' ok'])

describe('IMEI properties', () => {
  it('generated valid IMEIs are always found', () => {
    fc.assert(
      fc.property(imeiArb, contextArb, (imei, [pre, post]) => {
        const expected = [{ start: pre.length, end: pre.length + 15, kind: 'imei', value: imei }]
        expect(findImeis(pre + imei + post)).toEqual(expected)
        expect(findIdentifiers(pre + imei + post)).toEqual(expected)
      }),
      { numRuns: 500 },
    )
  })

  it('a changed check digit is never found as an IMEI (without an IMEI label)', () => {
    fc.assert(
      fc.property(
        imeiArb,
        fc.integer({ min: 0, max: 9 }),
        fc.constantFrom(['', ''], ['{"x":"', '"}'], ['设备', '。'], ['sn ', ' ok']),
        (imei, d, [pre, post]) => {
          fc.pre(String(d) !== imei[14])
          const bad = imei.slice(0, 14) + String(d)
          expect(isImei(bad)).toBe(false)
          expect(findIdentifiers(pre + bad + post).filter((s) => s.kind === 'imei')).toEqual([])
        },
      ),
      { numRuns: 500 },
    )
  })
})
