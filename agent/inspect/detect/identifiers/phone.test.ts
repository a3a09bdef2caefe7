import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { findIdentifiers } from './identifiers.ts'
import { findPhones, isPhone, normalisePhone } from './phone.ts'
import { COMMON_NEGATIVES, DIGIT_RUNS } from './test-fixtures.ts'

describe('findPhones', () => {
  it.each([
    ['driver 13812345678 connected', '13812345678'],
    ['+86 138-1234-5678', '+86 138-1234-5678'],
    ['+8613812345678', '+8613812345678'],
    ['tel:+86-13912345678;', '+86-13912345678'],
    ['0086 13812345678', '0086 13812345678'],
    ['0086-138 1234 5678', '0086-138 1234 5678'],
    ['008613812345678', '008613812345678'],
    ['86 13812345678', '86 13812345678'],
    ['call 138 1234 5678 now', '138 1234 5678'],
    ['手机号：19912345678。', '19912345678'],
    ['手机13812345678', '13812345678'],
    ['{"phone":"17712345678"}', '17712345678'],
    ['phone_15012345678', '15012345678'],
    ['call 13812345678.', '13812345678'],
    ['a,13812345678,b', '13812345678'],
    ['line\\n13812345678', '13812345678'],
    ['(13812345678)', '13812345678'],
  ])('finds the number in %j', (text, form) => {
    const start = text.indexOf(form)
    const value = form.replace(/\D/g, '').slice(-11)
    expect(findPhones(text)).toEqual([{ start, end: start + form.length, kind: 'phone', value }])
  })

  it('finds several, including lists', () => {
    expect(findPhones('13812345678 13912345678,13712345678').map((s) => s.value)).toEqual([
      '13812345678',
      '13912345678',
      '13712345678',
    ])
  })

  it.each([
    ...COMMON_NEGATIVES,
    ...DIGIT_RUNS,
    '1700000000000', // epoch ms, starts with 17
    '1381234567', // 10 digits
    '12812345678', // 12x is not a mobile prefix
    '10012345678',
    '8613812345678', // bare 86 without separator: a 13-digit number
    '+13812345678', // +1 381 … (another country code)
    'x13812345678', // inside a token
    '13812345678x',
    '13812345678.5', // decimal
    '0.13812345678',
    '138 1234 56789', // group too long
    '138-1234-5678-9', // continues
    '12 138 1234 5678', // continues a digit-group sequence
    '138 1234-5678', // inconsistent separators
    '138  1234  5678', // double spaces
    '1381 234 5678', // wrong grouping
  ])('finds nothing in %j', (text) => {
    expect(findPhones(text)).toEqual([])
  })
})

describe('isPhone / normalisePhone', () => {
  it.each([
    ['13812345678', true, '13812345678'],
    [' +86 138-1234-5678 ', true, '13812345678'],
    ['8613812345678', true, '13812345678'], // bare value: 86 without separator is fine
    ['008613812345678', true, '13812345678'],
    ['138 1234 5678', true, '13812345678'],
    ['12812345678', false, '12812345678'],
    ['1381234567', false, '1381234567'],
    ['13812345678 ext 1', false, '138123456781'],
  ])('%j → %s, %s', (s, ok, norm) => {
    expect(isPhone(s)).toBe(ok)
    expect(normalisePhone(s)).toBe(norm)
  })
})

describe('phone properties', () => {
  const numberArb = fc
    .tuple(fc.constantFrom('13', '14', '15', '16', '17', '18', '19'), fc.stringMatching(/^\d{9}$/))
    .map(([p, r]) => p + r)
  const formArb = fc.constantFrom(
    (n: string) => n,
    (n: string) => `+86 ${n}`,
    (n: string) => `+86${n}`,
    (n: string) => `0086-${n}`,
    (n: string) => `${n.slice(0, 3)} ${n.slice(3, 7)} ${n.slice(7)}`,
    (n: string) => `+86 ${n.slice(0, 3)}-${n.slice(3, 7)}-${n.slice(7)}`,
  )
  const contextArb = fc.constantFrom(['', ''], ['driver ', ' connected'], ['手机号：', '。'], ['{"tel":"', '"}'])

  it('every written form of a mobile number is found with its 11 digits', () => {
    fc.assert(
      fc.property(numberArb, formArb, contextArb, (n, form, [pre, post]) => {
        const written = form(n)
        const expected = [{ start: pre.length, end: pre.length + written.length, kind: 'phone', value: n }]
        expect(findPhones(pre + written + post)).toEqual(expected)
        expect(findIdentifiers(pre + written + post)).toEqual(expected)
        expect(normalisePhone(written)).toBe(n)
      }),
      { numRuns: 300 },
    )
  })

  it('no 11-digit window of a longer digit run is a phone', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\d{12,24}$/), (run) => {
        expect(findPhones(`x ${run} y`)).toEqual([])
      }),
      { numRuns: 300 },
    )
  })
})
