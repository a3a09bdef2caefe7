import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { findIdentifiers } from './identifiers.ts'
import { findResidentIds, isResidentId, makeResidentId, PROVINCE_CODES } from './resident-id.ts'
import { COMMON_NEGATIVES } from './test-fixtures.ts'

// 11010519491231002X is the GB 11643 example number; the others get computed check chars.
const ID_X = '11010519491231002X'
const ID_SZ = makeResidentId('44030619900307123') // Shenzhen, 1990-03-07
const ID_SH = makeResidentId('31011519850815234') // Shanghai, 1985-08-15
const ID_HK = makeResidentId('81000019950101001') // Hong Kong residence permit
const ID_TW = makeResidentId('83000019880229002') // Taiwan residents' permit, leap day

describe('makeResidentId', () => {
  it.each([
    ['11010519491231002', '11010519491231002X'],
    ['44030619900307123', '440306199003071232'],
    ['31011519850815234', '310115198508152347'],
  ])('%s → %s', (prefix, id) => {
    expect(makeResidentId(prefix)).toBe(id)
  })

  it('throws unless given 17 digits', () => {
    expect(() => makeResidentId('1101051949123100')).toThrow(RangeError)
    expect(() => makeResidentId('1101051949123100X')).toThrow(RangeError)
  })
})

describe('isResidentId', () => {
  const now = Date.UTC(2025, 5, 1)
  it.each([
    [ID_X, true],
    [ID_X.toLowerCase(), true],
    [ID_SZ, true],
    [ID_SH, true],
    [ID_HK, true],
    [ID_TW, true],
    ['110105194912310021', false], // wrong check char
    [makeResidentId('10010519491231002'), false], // province 10
    [makeResidentId('66010519491231002'), false], // province 66
    [makeResidentId('99010519491231002'), false], // province 99
    [makeResidentId('11010518991231002'), false], // born 1899
    [makeResidentId('11010519490230002'), false], // 30 February
    [makeResidentId('11010519010229002'), false], // 1901 is not a leap year
    [makeResidentId('11010520000229002'), true], // 2000 is
    [makeResidentId('11010519491301002'), false], // month 13
    [makeResidentId('11010520300101002'), false], // in the future
    [ID_X.slice(0, 17), false],
    [ID_X + '1', false],
  ])('%s → %s', (s, ok) => {
    expect(isResidentId(s, now)).toBe(ok)
  })
})

describe('findResidentIds', () => {
  it.each([
    [`身份证号${ID_X}，请核对`, 4, ID_X],
    [`身份证号码：${ID_X.slice(0, 17)}x。`, 6, ID_X],
    [`{"idNumber":"${ID_SH}"}`, 13, ID_SH],
    [`owner id ${ID_HK} verified`, 9, ID_HK],
    [`驾驶员张三（${ID_TW}）`, 6, ID_TW],
  ])('finds the ID in %j', (text, start, value) => {
    expect(findResidentIds(text)).toEqual([{ start, end: start + 18, kind: 'resident-id', value }])
  })

  it.each([
    ...COMMON_NEGATIVES,
    `1${ID_SZ}`, // inside a longer digit run
    `${ID_SZ}1`,
    `A${ID_X}`,
    `${ID_SZ}.5`, // part of a decimal
    `0.${ID_SZ}`,
  ])('finds nothing in %j', (text) => {
    expect(findResidentIds(text)).toEqual([])
  })
})

const provinceArb = fc.constantFrom(...[...PROVINCE_CODES].map(String))
const idArb = fc
  .tuple(
    provinceArb,
    fc.integer({ min: 0, max: 9999 }),
    fc.date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2024-12-31T00:00:00Z'), noInvalidDate: true }),
    fc.integer({ min: 0, max: 999 }),
  )
  .map(([prov, region, birth, seq]) => {
    const ymd = birth.toISOString().slice(0, 10).replaceAll('-', '')
    return makeResidentId(prov + String(region).padStart(4, '0') + ymd + String(seq).padStart(3, '0'))
  })
const contextArb = fc.constantFrom(['', ''], ['身份证', '。'], ['{"idNo":"', '"}'], ['ID: ', ' ok'])

describe('resident ID properties', () => {
  it('generated valid IDs are always found', () => {
    fc.assert(
      fc.property(idArb, contextArb, (id, [pre, post]) => {
        const expected = [{ start: pre.length, end: pre.length + 18, kind: 'resident-id', value: id }]
        expect(findResidentIds(pre + id + post)).toEqual(expected)
        expect(findIdentifiers(pre + id + post)).toEqual(expected)
      }),
      { numRuns: 500 },
    )
  })

  it('a changed check character is never found as a resident ID', () => {
    fc.assert(
      fc.property(idArb, fc.constantFrom(...'0123456789Xx'.split('')), contextArb, (id, check, [pre, post]) => {
        fc.pre(check.toUpperCase() !== id[17])
        const bad = id.slice(0, 17) + check
        expect(isResidentId(bad)).toBe(false)
        expect(findIdentifiers(pre + bad + post).filter((s) => s.kind === 'resident-id')).toEqual([])
      }),
      { numRuns: 500 },
    )
  })
})
