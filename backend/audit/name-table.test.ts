import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DistinctIds, NameTable } from './name-table.ts'

// Names that share prefixes and hashes' low bits, with non-ASCII and lone surrogates among them.
const name = fc.oneof(
  fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), maxLength: 20 }).map((h) => `psn:phone:${h}`),
  fc.constantFrom('', 'a', 'naïve', '车辆', '🚗', '\ud800', '\udfff', 'x\u0000y'),
  fc.string({ unit: 'binary', maxLength: 12 }),
)

describe('NameTable', () => {
  it('gives one id per distinct name, 0, 1, 2, … in order of first sight, and the name back', () => {
    fc.assert(
      fc.property(fc.array(name, { maxLength: 300 }), (names) => {
        const t = new NameTable()
        const seen = new Map<string, number>()
        for (const s of names) {
          // A string's id is that of its UTF-8 text (a lone surrogate is U+FFFD there).
          const key = Buffer.from(s, 'utf8').toString('utf8')
          if (!seen.has(key)) seen.set(key, seen.size)
          expect(t.id(s)).toBe(seen.get(key))
        }
        expect(t.size).toBe(seen.size)
        for (const [s, id] of seen) expect(t.name(id)).toBe(s)
      }),
    )
  })

  it('gives a name the same id from its bytes (anywhere in a buffer) as from its text', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(name, fc.boolean()), { maxLength: 200 }), fc.nat(7), (names, pad) => {
        const t = new NameTable()
        const ref = new NameTable()
        for (const [s, asBytes] of names) {
          const b = Buffer.concat([Buffer.alloc(pad, 0xff), Buffer.from(s, 'utf8'), Buffer.alloc(3, 0xfe)])
          expect(asBytes ? t.idOfBytes(b, pad, b.length - 3) : t.id(s)).toBe(ref.id(s))
        }
      }),
    )
  })

  it('reads bytes that are not UTF-8 as their text, so bytes and text agree', () => {
    const t = new NameTable()
    const bad = Uint8Array.from([0x70, 0xc3, 0x28, 0xff])
    const text = Buffer.from(bad).toString('utf8')
    expect(t.idOfBytes(bad, 0, bad.length)).toBe(t.id(text))
    expect(t.idOfBytes(Uint8Array.from([0x70, 0xc3, 0x28, 0xfe]), 0, 4)).toBe(t.id(text))
    expect(t.id('p')).not.toBe(t.id(text))
  })

  it('keeps its ids across growth (100,000 names)', () => {
    const t = new NameTable()
    for (let i = 0; i < 100_000; i++) expect(t.id(`psn:phone:${i.toString(16).padStart(20, '0')}`)).toBe(i)
    for (let i = 0; i < 100_000; i += 997) expect(t.id(`psn:phone:${i.toString(16).padStart(20, '0')}`)).toBe(i)
    expect(t.size).toBe(100_000)
    expect(t.name(4242)).toBe(`psn:phone:${(4242).toString(16).padStart(20, '0')}`)
  })
})

describe('DistinctIds', () => {
  it('counts each id once and gives them back ascending', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(100_000), { maxLength: 300 }), (ids) => {
        const d = new DistinctIds()
        for (const id of ids) d.add(id)
        const want = [...new Set(ids)].sort((a, b) => a - b)
        expect(d.size).toBe(want.length)
        expect([...d.ids()]).toEqual(want)
      }),
    )
  })
})
