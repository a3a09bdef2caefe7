import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ChainFile, canonicalJson, chainLines, EMPTY_TIP, GENESIS, pruneLines, serializeLine, verifyChain } from './hash-chain.ts'
import { generateSigningKey } from './signature.ts'

const entry = fc.record({ event: fc.constantFrom('detected', 'contained', 'x'), n: fc.integer(), text: fc.string({ maxLength: 20 }) })

function build(entries: readonly unknown[]): string[] {
  return chainLines(EMPTY_TIP, entries, 1_700_000_000_000).lines.map(serializeLine)
}
const fileText = (lines: readonly string[]) => lines.map((l) => `${l}\n`).join('')

describe('hash chain', () => {
  it('verifies what it wrote', () => {
    const lines = build([{ a: 1 }, { b: 'é' }, { c: [1, 2] }])
    const v = verifyChain(fileText(lines))
    expect(v).toMatchObject({ ok: true, count: 3, lastSeq: 3, prunedCount: 0 })
    expect(JSON.parse(lines[0]!).prev).toBe(GENESIS)
  })

  it('any flipped byte fails, naming its line', () => {
    fc.assert(
      fc.property(fc.array(entry, { minLength: 1, maxLength: 6 }), fc.nat(), fc.integer({ min: 1, max: 255 }), (entries, at, xor) => {
        const lines = build(entries)
        const bytes = Buffer.from(fileText(lines), 'utf8')
        const pos = at % bytes.length
        bytes[pos] = bytes[pos]! ^ xor
        const v = verifyChain(bytes.toString('utf8'))
        expect(v.ok).toBe(false)
        // The line holding the byte (a flipped newline fails the line it ended).
        const lineOf = bytes.subarray(0, pos).toString('latin1').split('\n').length
        if (!v.ok) expect(v.line).toBeLessThanOrEqual(lineOf)
        if (!v.ok) expect(v.line).toBeGreaterThanOrEqual(Math.max(1, lineOf - 1))
      }),
      { numRuns: 300 },
    )
  })

  it('a dropped line fails at the line after it (or the count says so)', () => {
    fc.assert(
      fc.property(fc.array(entry, { minLength: 2, maxLength: 8 }), fc.nat(), (entries, k) => {
        const lines = build(entries)
        const i = k % lines.length
        const dropped = lines.filter((_, j) => j !== i)
        const v = verifyChain(dropped)
        if (i === lines.length - 1) {
          // Dropping the newest line leaves a valid shorter chain: caught by the recorded head.
          expect(v.ok && v.head).not.toBe(verifyChain(lines).ok && (verifyChain(lines) as { head: string }).head)
        } else expect(v).toMatchObject({ ok: false, line: i + 1 })
      }),
    )
  })

  it('two lines swapped fail at the first of them', () => {
    fc.assert(
      fc.property(fc.array(entry, { minLength: 2, maxLength: 8 }), fc.nat(), fc.nat(), (entries, a, b) => {
        const lines = build(entries)
        const i = a % lines.length
        const j = b % lines.length
        fc.pre(i !== j)
        const swapped = [...lines]
        ;[swapped[i], swapped[j]] = [swapped[j]!, swapped[i]!]
        expect(verifyChain(swapped)).toMatchObject({ ok: false, line: Math.min(i, j) + 1 })
      }),
    )
  })

  it('pruning keeps the chain verifiable, with a signed checkpoint', () => {
    const key = generateSigningKey()
    // Ten lines appended one second apart.
    let tip = EMPTY_TIP
    const texts: string[] = []
    for (let n = 0; n < 10; n++) {
      const { lines: ls, tip: t } = chainLines(tip, [{ n }], n * 1000)
      tip = t
      texts.push(serializeLine(ls[0]!))
    }
    const head = (verifyChain(texts) as { head: string }).head
    const first = pruneLines(texts, (l) => l.at < 4000, 99, key)
    expect(first.pruned).toBe(4)
    const v1 = verifyChain(first.lines, { publicKeyPem: key.publicKeyPem })
    expect(v1).toMatchObject({ ok: true, head, prunedCount: 4, lastSeq: 10 })
    const second = pruneLines(first.lines, (l) => l.at < 7000, 100, key)
    expect(verifyChain(second.lines, { publicKeyPem: key.publicKeyPem })).toMatchObject({ ok: true, head, prunedCount: 7, count: 4 })
    // The newest line is never pruned.
    const all = pruneLines(texts, () => true, 101, key)
    expect(verifyChain(all.lines, { publicKeyPem: key.publicKeyPem })).toMatchObject({ ok: true, head, prunedCount: 9, count: 2 })
    // A forged (unsigned) checkpoint fails when a key is required; a tampered signature fails.
    const unsigned = pruneLines(texts, (l) => l.at < 4000, 99)
    expect(verifyChain(unsigned.lines)).toMatchObject({ ok: true })
    expect(verifyChain(unsigned.lines, { publicKeyPem: key.publicKeyPem })).toMatchObject({ ok: false, line: 1 })
    const other = generateSigningKey()
    expect(verifyChain(first.lines, { publicKeyPem: other.publicKeyPem })).toMatchObject({ ok: false, line: 1 })
    // Cutting lines after a checkpoint is caught.
    expect(verifyChain([first.lines[0]!, ...first.lines.slice(2)])).toMatchObject({ ok: false, line: 2 })
  })

  it('ChainFile.appendJson writes the bytes append writes, and continues its chain', () => {
    const dir = mkdtempSync(join(tmpdir(), 'adx-chain-json-'))
    const a = new ChainFile(join(dir, 'a.jsonl'))
    const b = new ChainFile(join(dir, 'b.jsonl'))
    const first = [{ z: 1, a: 'é' }, { m: [1, { y: 2, b: null }] }]
    const second = [{ k: 'x' }]
    a.append(() => first, 5)
    a.append(() => second, 6)
    expect(b.appendJson(() => first.map(canonicalJson), 5)).toEqual(readFileSync(a.path, 'utf8').trimEnd().split('\n').slice(0, 2))
    let seen: unknown
    b.appendJson((last) => {
      seen = last?.entry
      return second.map(canonicalJson)
    }, 6)
    expect(seen).toEqual(first[1])
    expect(readFileSync(b.path, 'utf8')).toBe(readFileSync(a.path, 'utf8'))
    expect(b.appendJson(() => [], 7)).toEqual([])
    expect(b.verify()).toMatchObject({ ok: true, count: 3 })
  })

  it('ChainFile appends from the tip on file and prunes atomically', () => {
    const dir = mkdtempSync(join(tmpdir(), 'adx-chain-'))
    const f = new ChainFile(join(dir, 'log.jsonl'))
    f.append(() => [{ cursor: 1 }, { cursor: 2 }], 1000)
    f.append((last) => [{ cursor: ((last?.entry as { cursor: number }).cursor ?? 0) + 1 }], 2000)
    expect(f.verify()).toMatchObject({ ok: true, count: 3 })
    expect(f.prune((l) => l.at < 2000, 3000)).toBe(2)
    expect(f.verify()).toMatchObject({ ok: true, count: 2, prunedCount: 2, lastSeq: 3 })
    f.append(() => [{ cursor: 4 }], 4000)
    expect(f.verify()).toMatchObject({ ok: true, count: 3, lastSeq: 4 })
    const text = readFileSync(f.path, 'utf8')
    writeFileSync(f.path, text.replace('"cursor":4', '"cursor":5'))
    expect(f.verify()).toMatchObject({ ok: false, line: 3 })
  })
})
