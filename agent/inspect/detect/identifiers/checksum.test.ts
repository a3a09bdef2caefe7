import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { luhnCheckDigit, luhnValid, mod11_2CheckChar } from './checksum.ts'
import { isPartOfDecimal, labelBefore } from './text.ts'

describe('luhn', () => {
  it.each([
    ['79927398713', true],
    ['79927398710', false],
    ['352099001761481', true],
    ['4111111111111111', true],
    ['0', true],
    ['', false],
    ['12a4', false],
  ])('luhnValid(%j) → %s', (s, ok) => {
    expect(luhnValid(s)).toBe(ok)
  })

  it('respects the range', () => {
    expect(luhnValid('xx79927398713yy', 2, 13)).toBe(true)
  })

  it('check digit round-trips; any other last digit fails', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\d{1,30}$/), fc.integer({ min: 1, max: 9 }), (body, delta) => {
        const check = luhnCheckDigit(body)
        expect(luhnValid(body + check)).toBe(true)
        expect(luhnValid(body + String((Number(check) + delta) % 10))).toBe(false)
      }),
    )
  })

  it('throws on non-digits', () => {
    expect(() => luhnCheckDigit('12a')).toThrow(RangeError)
  })
})

describe('mod11_2CheckChar', () => {
  it.each([
    ['11010519491231002', 'X'],
    ['44030619900307123', '2'],
    ['1101051949123100', ''],
    ['1101051949123100A', ''],
  ])('%s → %j', (s, c) => {
    expect(mod11_2CheckChar(s)).toBe(c)
  })
})

describe('text helpers', () => {
  it.each([
    ['IMSI: 4600', 6, 'imsi'],
    ['"imei_sv":"35', 11, 'imeisv'],
    ['deviceImei1=35', 12, 'deviceimei'],
    ['用户IMSI：460', 7, 'imsi'],
    ['  460', 2, ''],
    ['x, y z 460', 7, 'z'],
  ])('labelBefore(%j, %i) → %j', (text, at, label) => {
    expect(labelBefore(text, at)).toBe(label)
  })

  it.each([
    ['123456.7', 0, 6, true],
    ['0.13812345678', 2, 13, true],
    ['call 13812345678.', 5, 16, false],
    ['v1.2', 3, 4, true],
  ])('isPartOfDecimal(%j, %i, %i) → %s', (text, s, e, yes) => {
    expect(isPartOfDecimal(text, s, e)).toBe(yes)
  })
})
