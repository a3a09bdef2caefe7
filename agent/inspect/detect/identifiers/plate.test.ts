import { describe, expect, it } from 'vitest'
import { findIdentifiers } from './identifiers.ts'
import { findPlates, isPlate, normalisePlate, PLATE_PROVINCES } from './plate.ts'
import { COMMON_NEGATIVES } from './test-fixtures.ts'

describe('findPlates', () => {
  it.each([
    ['京A·12345', '京A·12345', '京A12345'],
    ['车牌京A12345已登记', '京A12345', '京A12345'],
    ['粤B D12345', '粤B D12345', '粤BD12345'],
    ['粤BD12345', '粤BD12345', '粤BD12345'],
    ['粤B·FA1234', '粤B·FA1234', '粤BFA1234'],
    ['粤B·F12345', '粤B·F12345', '粤BF12345'],
    ['沪A12345D', '沪A12345D', '沪A12345D'],
    ['沪a-8b3c9', '沪a-8b3c9', '沪A8B3C9'],
    ['浙C•AB123', '浙C•AB123', '浙CAB123'],
    ['川A・12345', '川A・12345', '川A12345'],
    ['{"plate":"苏E12345"}', '苏E12345', '苏E12345'],
    ['教练车粤B1234学', '粤B1234学', '粤B1234学'],
    ['京A1234警', '京A1234警', '京A1234警'],
    ['粤Z1234港', '粤Z1234港', '粤Z1234港'],
    ['北京A12345', '京A12345', '京A12345'],
  ])('finds the plate in %j', (text, form, value) => {
    const start = text.indexOf(form)
    expect(findPlates(text)).toEqual([{ start, end: start + form.length, kind: 'plate', value }])
  })

  it('finds every province', () => {
    for (const p of PLATE_PROVINCES) expect(findPlates(`${p}A12345`), p).toHaveLength(1)
  })

  it.each([
    ...COMMON_NEGATIVES,
    '京A123456', // 6 chars, not new energy
    '京A1234', // 4 chars without a suffix
    '京AB12345', // 6 chars without D/F at either end
    '粤BD1234A', // small new-energy: last 4 must be digits
    '粤B1234AD', // large new-energy: first 5 must be digits
    '粤B·F1A234', // small new-energy: second may be a letter, the last four must be digits
    '京A12I45', // I not allowed in the serial
    '京AABCDE', // 5 letters
    '京A 12345X', // token continues
    '京 A12345', // space after the province (not supported)
    '北A12345', // not a province abbreviation
    '京12345', // no authority letter
    '京A··12345',
  ])('finds nothing in %j', (text) => {
    expect(findPlates(text)).toEqual([])
  })
})

describe('isPlate / normalisePlate', () => {
  it.each([
    ['京A·12345', true, '京A12345'],
    [' 粤b d12345 ', true, '粤BD12345'],
    ['京A123456', false, '京A123456'],
    ['京A12345 ', true, '京A12345'],
  ])('%j → %s, %s', (s, ok, norm) => {
    expect(isPlate(s)).toBe(ok)
    expect(normalisePlate(s)).toBe(norm)
  })

  it('findIdentifiers reports plates', () => {
    expect(findIdentifiers('车辆 粤B D12345 驶入')).toEqual([{ start: 3, end: 12, kind: 'plate', value: '粤BD12345' }])
  })
})
