import { describe, expect, it } from 'vitest'
import { findIdentifiers } from './identifiers.ts'
import { findImsis, isChinaImsi, isImsi } from './imsi.ts'
import { COMMON_NEGATIVES } from './test-fixtures.ts'

describe('isImsi / isChinaImsi', () => {
  it.each([
    ['460001234567890', true, true],
    ['460111234567890', true, true],
    ['310260123456789', true, false],
    ['46000123456789', false, false], // 14 digits
    ['4600012345678901', false, false], // 16 digits
    ['46000123456789A', false, false],
  ])('%s → %s / %s', (s, any, china) => {
    expect(isImsi(s)).toBe(any)
    expect(isChinaImsi(s)).toBe(china)
  })
})

describe('findImsis', () => {
  it.each([
    ['imsi 460001234567890 attached', 5, '460001234567890'],
    ['{"imsi":"460110123456789"}', 9, '460110123456789'],
    ['IMSI: 310260123456789', 6, '310260123456789'], // foreign MCC, labelled
    ['ueImsi=262011234567890', 7, '262011234567890'],
    ['用户IMSI：234150999999999', 7, '234150999999999'],
    ['460001234567890', 0, '460001234567890'], // unlabelled, China
    ['"imei":"x","imsi":"310260123456789"', 19, '310260123456789'],
  ])('finds the IMSI in %j', (text, start, value) => {
    expect(text.indexOf(value)).toBe(start)
    expect(findImsis(text)).toEqual([{ start, end: start + 15, kind: 'imsi', value }])
  })

  it('prefers IMSI for an unlabelled 460-prefixed number even when it passes Luhn', () => {
    const luhnValid460 = '460001234567895' // 46000123456789 + Luhn digit 5
    expect(findIdentifiers(luhnValid460)).toEqual([{ start: 0, end: 15, kind: 'imsi', value: luhnValid460 }])
  })

  it.each([
    ...COMMON_NEGATIVES,
    '310260123456789', // foreign MCC without a label
    'msisdn 310260123456789',
    '4600012345678901', // 16 digits
    '46000123456789', // 14 digits
    '1460001234567890',
    '460001234567890.5',
    'IMSI: 31026012345678', // labelled but 14 digits
    'imei: 460001234567890', // labelled as IMEI
  ])('finds no IMSI in %j', (text) => {
    expect(findImsis(text)).toEqual([])
  })
})
