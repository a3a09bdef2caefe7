import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { luhnCheckDigit } from './checksum.ts'
import { findIccids, isIccid, makeIccid } from './iccid.ts'
import { findIdentifiers } from './identifiers.ts'
import { COMMON_NEGATIVES } from './test-fixtures.ts'

const ATT = '89014103211118510720' // 20 digits, Luhn valid
const UK19 = '8944110012345678901' // 19 digits, Luhn valid
const CN20 = '89860012345678901234' // China, 20 digits, fails Luhn: accepted (8986 rule)
const CN_LETTERS = '8986011023117098300S' // China Unicom style, with a supplier letter
const CN_IOT = '898604A41921C0366524' // China Mobile IoT style with letters

describe('isIccid', () => {
  it.each([
    [ATT, true],
    [UK19, true],
    [CN20, true],
    [CN20.slice(0, 19), true],
    [CN_LETTERS, true],
    [CN_IOT, true],
    [CN_IOT.toLowerCase(), true],
    [makeIccid('894411001234567890'), true],
    [makeIccid('8901260123456789012'), true],
    [`${UK19}F`, true], // BCD padding
    [`${UK19}f`, true],
    ['89014103211118510721', false], // wrong Luhn, not China
    ['8944110012345678902', false],
    ['894411001234567890', false], // 18 digits
    ['890141032111185107201', false], // 21 digits
    ['88014103211118510720', false], // not 89
    ['8944A10012345678901', false], // letters only allowed after 8986
    ['8986ABCDE12345678901', false], // more than 4 letters
    ['8986-0012345678901234', false],
  ])('%s → %s', (s, ok) => {
    expect(isIccid(s)).toBe(ok)
  })

  it('makeIccid rejects bad bodies', () => {
    expect(() => makeIccid('8944')).toThrow(RangeError)
    expect(() => makeIccid('99441100123456789')).toThrow(RangeError)
  })
})

describe('findIccids', () => {
  it.each([
    [`ICCID: ${ATT}`, 7, ATT],
    [`{"iccid":"${CN20}"}`, 10, CN20],
    [`SIM ${CN_IOT.toLowerCase()} active`, 4, CN_IOT],
    [`+CCID: ${UK19}F\r\nOK`, 7, UK19, 27],
    [`卡号${CN_LETTERS}。`, 2, CN_LETTERS],
  ])('finds the ICCID in %j', (text, start, value, end?: number) => {
    expect(findIccids(text)).toEqual([{ start, end: end ?? start + value.length, kind: 'iccid', value }])
  })

  it.each([...COMMON_NEGATIVES, `1${ATT}`, `${UK19}9`, `${UK19}.5`, `x${CN20}`, '89860012345678901234567'])(
    'finds nothing in %j',
    (text) => {
      expect(findIccids(text)).toEqual([])
    },
  )
})

const digits = (n: number) => fc.string({ unit: fc.constantFrom(...'0123456789'.split('')), minLength: n, maxLength: n })
/** Non-Chinese ICCIDs: 89 + country/issuer digits other than 86 + …, with a Luhn digit. */
const foreignIccidArb = fc
  .tuple(digits(2).filter((cc) => cc !== '86'), fc.constantFrom(14, 15).chain((n) => digits(n)))
  .map(([cc, rest]) => makeIccid('89' + cc + rest))
const contextArb = fc.constantFrom(['', ''], ['ICCID: ', '\r\n'], ['{"iccid":"', '"}'], ['卡号', '。'])

describe('ICCID properties', () => {
  it('generated valid ICCIDs are always found', () => {
    fc.assert(
      fc.property(foreignIccidArb, contextArb, (iccid, [pre, post]) => {
        const expected = [{ start: pre.length, end: pre.length + iccid.length, kind: 'iccid', value: iccid }]
        expect(findIccids(pre + iccid + post)).toEqual(expected)
        expect(findIdentifiers(pre + iccid + post)).toEqual(expected)
      }),
      { numRuns: 500 },
    )
  })

  it('a changed check digit is never found as an ICCID (outside the 8986 rule)', () => {
    fc.assert(
      fc.property(foreignIccidArb, fc.integer({ min: 0, max: 9 }), contextArb, (iccid, d, [pre, post]) => {
        fc.pre(String(d) !== iccid.at(-1))
        const bad = iccid.slice(0, -1) + String(d)
        expect(isIccid(bad)).toBe(false)
        expect(findIdentifiers(pre + bad + post).filter((s) => s.kind === 'iccid')).toEqual([])
      }),
      { numRuns: 500 },
    )
  })

  it('Chinese (8986) ICCIDs are found with or without a valid Luhn digit', () => {
    fc.assert(
      fc.property(fc.constantFrom(14, 15).chain((n) => digits(n)), fc.integer({ min: 0, max: 9 }), (rest, d) => {
        const body = '8986' + rest
        for (const iccid of [body + luhnCheckDigit(body), body + String(d)]) {
          expect(findIdentifiers(`iccid=${iccid}`)).toEqual([{ start: 6, end: 6 + iccid.length, kind: 'iccid', value: iccid }])
        }
      }),
    )
  })
})
