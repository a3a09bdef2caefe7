import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  findIdentifiers,
  findIdentifiersUnfiltered,
  IDENTIFIER_KINDS,
  identifierCandidates,
  isIdentifier,
  makeIccid,
  makeImei,
  makeResidentId,
  makeVin,
  normaliseIdentifier,
  type IdentifierKind,
  type IdentifierSpan,
} from './identifiers.ts'
import { COMMON_NEGATIVES } from './test-fixtures.ts'

const VIN = 'LSVAU218XN2183294'
const RID = '11010519491231002X'
const IMEI = '352099001761481'
const ICCID = '89860012345678901234'

function spansOf(text: string): Array<[IdentifierKind, string, string]> {
  return findIdentifiers(text).map((s) => [s.kind, text.slice(s.start, s.end), s.value])
}

describe('findIdentifiers', () => {
  it('finds every kind in a realistic payload, sorted', () => {
    const text = JSON.stringify({
      vin: VIN,
      driver: { name: '张三', phone: '+86 138-1234-5678', idNumber: RID, email: 'Zhang.San@Example.com' },
      sim: { iccid: ICCID, imsi: '460001234567890', imei: IMEI },
      plate: '粤B D12345',
      log: 'driver 13912345678 connected at 1731234567890, odometer 123456.7 km, DTC P0301, id 0x7E0',
    })
    expect(spansOf(text)).toEqual([
      ['vin', VIN, VIN],
      ['phone', '+86 138-1234-5678', '13812345678'],
      ['resident-id', RID, RID],
      ['email', 'Zhang.San@Example.com', 'zhang.san@example.com'],
      ['iccid', ICCID, ICCID],
      ['imsi', '460001234567890', '460001234567890'],
      ['imei', IMEI, IMEI],
      ['plate', '粤B D12345', '粤BD12345'],
      ['phone', '13912345678', '13912345678'],
    ])
  })

  it.each([
    ['driver 13812345678 connected', [['phone', '13812345678', '13812345678']]],
    ['+86 138-1234-5678', [['phone', '+86 138-1234-5678', '13812345678']]],
    [`"vin":"${VIN}"`, [['vin', VIN, VIN]]],
    [`车主身份证号${RID}，车牌京A·12345`, [['resident-id', RID, RID], ['plate', '京A·12345', '京A12345']]],
    ['新能源车粤BD12345', [['plate', '粤BD12345', '粤BD12345']]],
    [`IMEISV: 3520990017614823`, [['imei', '3520990017614823', IMEI]]],
  ] as const)('finds %j', (text, expected) => {
    expect(spansOf(text)).toEqual(expected)
  })

  it.each([...COMMON_NEGATIVES])('finds nothing in %j', (text) => {
    expect(findIdentifiers(text)).toEqual([])
  })

  it.each(['P0301', '1.4.2-rc1', 'Vehicle.Speed', '0x7E0', 'engine started', 'odometer 123456.7 km', '', 'ok'])(
    'prefilter rejects the ordinary string %j without running detectors',
    (text) => {
      expect(identifierCandidates(text)).toBe(0)
      const a = findIdentifiers(text)
      expect(a).toEqual([])
      expect(Object.isFrozen(a)).toBe(true)
      expect(findIdentifiers('x')).toBe(a) // one shared empty array, no allocation
    },
  )

  it('resolves overlaps: the longer unverified span wins (an e-mail containing a phone)', () => {
    expect(spansOf('13812345678@qq.com')).toEqual([['email', '13812345678@qq.com', '13812345678@qq.com']])
  })

  it('resolves overlaps: a checksum-verified kind beats an unverified one (a VIN in an e-mail local part)', () => {
    const text = `${VIN}@fleet.example.com`
    expect(findIdentifiersUnfiltered(text).map((s) => s.kind)).toEqual(['vin'])
    expect(spansOf(text)).toEqual([['vin', VIN, VIN]])
  })

  it('never throws on arbitrary strings and returns sorted, non-overlapping, normalised spans', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), (text) => {
        checkWellFormed(text, findIdentifiers(text))
      }),
      { numRuns: 300 },
    )
  })
})

function checkWellFormed(text: string, spans: IdentifierSpan[]): void {
  for (let i = 0; i < spans.length; i++) {
    const s = spans[i]!
    expect(s.start).toBeGreaterThanOrEqual(0)
    expect(s.end).toBeGreaterThan(s.start)
    expect(s.end).toBeLessThanOrEqual(text.length)
    if (i > 0) expect(s.start).toBeGreaterThanOrEqual(spans[i - 1]!.end)
    expect(normaliseIdentifier(s.kind, text.slice(s.start, s.end))).toBe(s.value)
  }
}

// Text built from identifier fragments, digits, separators, letters and province chars,
// so that the prefilter's edge cases (runs of exactly 11/15/17/19 …) are hit often.
const pieceArb = fc.oneof(
  fc.constantFrom(VIN, RID, IMEI, ICCID, '460001234567890', '13812345678', '+86 ', '0086', '86 ', 'a@b.cn', '京A', '粤B', 'D'),
  fc.constantFrom(' ', '-', '.', '@', ':', '"', '\\n', '，', 'x', 'X', 'F', '学'),
  fc.stringMatching(/^\d{1,6}$/),
  fc.stringMatching(/^[A-Za-z]{1,4}$/),
)
const textArb = fc.array(pieceArb, { maxLength: 12 }).map((parts) => parts.join(''))

describe('prefilter soundness', () => {
  it('the prefilter never hides an identifier', () => {
    fc.assert(
      fc.property(textArb, (text) => {
        const fast = findIdentifiers(text)
        expect(fast).toEqual(findIdentifiersUnfiltered(text))
        checkWellFormed(text, fast)
      }),
      { numRuns: 3000 },
    )
  })
})

describe('normaliseIdentifier', () => {
  it.each([
    ['vin', ' lsvau218xn2183294 ', VIN],
    ['resident-id', '11010519491231002x', RID],
    ['iccid', '8986 0012 3456 7890 1234', ICCID],
    ['iccid', '8944110012345678901F', '8944110012345678901'],
    ['iccid', '898604a41921c0366524', '898604A41921C0366524'],
    ['imsi', '460-00-1234567890', '460001234567890'],
    ['imei', '35-209900-176148-1', IMEI],
    ['imei', '3520990017614823', IMEI],
    ['phone', '+86 138-1234-5678', '13812345678'],
    ['phone', '(0086) 138 1234 5678', '13812345678'],
    ['phone', '13812345678', '13812345678'],
    ['email', ' Zhang.San@Example.COM ', 'zhang.san@example.com'],
    ['plate', '粤b·d12345', '粤BD12345'],
    ['plate', '京A 12345', '京A12345'],
  ] as const)('%s %j → %j', (kind, value, normal) => {
    expect(normaliseIdentifier(kind, value)).toBe(normal)
  })

  it('never throws', () => {
    fc.assert(
      fc.property(fc.constantFrom(...IDENTIFIER_KINDS), fc.string({ unit: 'grapheme', maxLength: 40 }), (kind, v) => {
        expect(typeof normaliseIdentifier(kind, v)).toBe('string')
        expect(typeof isIdentifier(kind, v)).toBe('boolean')
      }),
    )
  })
})

describe('isIdentifier', () => {
  it.each([
    ['vin', VIN, true],
    ['vin', '11111111111111111', true], // a bare value: no free-text plausibility rules
    ['vin', 'LSVAU2180N2183294', false],
    ['iccid', ICCID, true],
    ['iccid', '8944110012345678902', false],
    ['imsi', '310260123456789', true],
    ['imsi', '31026012345678', false],
    ['imei', IMEI, true],
    ['imei', '3520990017614823', true],
    ['imei', '352099001761482', false],
    ['resident-id', RID, true],
    ['resident-id', '110105194912310021', false],
    ['phone', '+86 138-1234-5678', true],
    ['phone', '1700000000000', false],
    ['email', 'a@b.cn', true],
    ['email', 'a@b', false],
    ['plate', '京A·12345', true],
    ['plate', '京A123456', false],
  ] as const)('%s %j → %s', (kind, value, ok) => {
    expect(isIdentifier(kind, value)).toBe(ok)
  })

  it('generators from the facade produce valid identifiers', () => {
    expect(isIdentifier('vin', makeVin('LGWEF4A5N2183294'))).toBe(true)
    expect(isIdentifier('resident-id', makeResidentId('44030619900307123'))).toBe(true)
    expect(isIdentifier('iccid', makeIccid('894411001234567890'))).toBe(true)
    expect(isIdentifier('imei', makeImei('86012345678901'))).toBe(true)
  })
})

