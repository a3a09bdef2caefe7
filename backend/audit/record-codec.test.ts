import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { exportRecordArb, textArb } from '../../test/helpers/export-record-arbitrary.ts'
import { canonicalJson, chainBytesVerifier, chainLine, chainLineText, EMPTY_TIP, serializeLine, verifyChain } from '../../shared/hash-chain.ts'
import { wire } from '../../shared/wire/index.ts'
import { exportLogEntry, exportLogEntryJson } from './entries.ts'
import { NameTable } from './name-table.ts'
import { decodeAuditRecord, decodeRecord, decodeRecordSlow } from './record-codec.ts'

const text = textArb('=x', 'a,"b"\n')
const record = exportRecordArb(text)
const encode = (r: unknown) => wire.ExportRecord.encode(wire.ExportRecord.fromObject(r as Record<string, unknown>)).finish()

describe('fast ExportRecord decoding', () => {
  it('gives what protobufjs decode + toObject gives', () => {
    fc.assert(
      fc.property(record, (r) => {
        const body = encode(r)
        expect(decodeRecord(body)).toEqual(decodeRecordSlow(body))
        expect(decodeRecord(Buffer.from(body))).toEqual(decodeRecordSlow(Buffer.from(body)))
      }),
      { numRuns: 500 },
    )
  })

  it('decodes the same, record after record, whatever its memo of repeated strings holds', () => {
    // Few distinct values per field: strings repeat (the memo's path) and change (its update).
    const few = fc.constantFrom('', 'vin', 'phone', 'oem-cloud', 'naïve', 'x'.repeat(60))
    const rec = fc.record({ destination: few, purpose: few, categories: fc.array(few, { maxLength: 6 }), ruleIds: fc.array(few, { maxLength: 6 }), rulePackVersion: few, leaseId: few })
    fc.assert(
      fc.property(fc.array(fc.tuple(record, rec), { minLength: 1, maxLength: 10 }), (pairs) => {
        for (const [base, over] of pairs) {
          const r = { ...base, ...over, subjects: base.subjects.map((x, k) => ({ ...x, kind: ['vin', 'phone', 'vin', 'face', 'phone', 'x'][k % 6]! })) }
          const body = encode(r)
          const want = decodeRecordSlow(body)
          expect(decodeRecord(body)).toEqual(want)
          // The audit's decode: the same but for the ids it takes from the store's columns.
          expect(decodeAuditRecord(body)).toEqual({ ...want, recordId: '', payloadId: '', vehiclePseudonym: '', recipient: '' })
          // With a name table: each pseudonym as its id there, the same id its text has.
          const table = new NameTable()
          const got = decodeAuditRecord(body, table)
          expect(got.subjects.map((x) => x.person)).toEqual(want.subjects.map((x) => table.id(x.pseudonym)))
          expect(got.subjects.map(({ person: _, ...x }) => x)).toEqual(want.subjects.map((x) => ({ ...x, pseudonym: '' })))
        }
      }),
      { numRuns: 300 },
    )
  })

  it('decodes (or fails) as protobufjs does on mutated and unusual bodies', () => {
    const outcome = (f: () => unknown) => {
      try {
        return { ok: f() }
      } catch (e) {
        return { error: (e as Error).constructor.name }
      }
    }
    fc.assert(
      fc.property(record, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), fc.nat(), (r, flips, cut) => {
        const body = Buffer.from(encode(r))
        for (const [at, v] of flips) if (body.length) body[at % body.length] = v
        const b = new Uint8Array(body.subarray(0, body.length ? cut % (body.length + 1) : 0))
        expect(outcome(() => decodeRecord(b))).toEqual(outcome(() => decodeRecordSlow(b)))
      }),
      { numRuns: 1000 },
    )
  })
})

describe('export-log lines', () => {
  it('exportLogEntryJson is canonicalJson and chainLineText is serializeLine(chainLine)', () => {
    fc.assert(
      fc.property(record, fc.nat(), (r, rowid) => {
        const body = encode(r)
        const e = exportLogEntry({ rowid, vehicleId: r.vehiclePseudonym, recordId: r.recordId, year: 2026, exportedMs: r.exportedMs, receivedMs: 5, recipient: r.recipient, body })
        expect(exportLogEntryJson(e)).toBe(canonicalJson(e))
        const tip = { seq: rowid, hash: 'ab'.repeat(32) }
        const fast = chainLineText(tip, exportLogEntryJson(e), 1_700_000_000_000)
        const line = chainLine(tip, e, 1_700_000_000_000)
        expect(fast.text).toBe(serializeLine(line))
        expect(fast.tip).toEqual({ seq: line.seq, hash: line.hash })
      }),
      { numRuns: 300 },
    )
  })

  it('chainBytesVerifier accepts what chainVerifier accepts as written and fails any flipped byte', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ a: text, n: fc.integer() }), { minLength: 1, maxLength: 6 }), fc.nat(), fc.integer({ min: 1, max: 255 }), (entries, at, xor) => {
        let tip = EMPTY_TIP
        const lines = entries.map((e) => {
          const l = chainLineText(tip, canonicalJson(e), 1)
          tip = l.tip
          return l.text
        })
        const ok = chainBytesVerifier()
        for (const l of lines) expect(ok.push(Buffer.from(l, 'utf8'))).toBeDefined()
        expect(ok.verdict()).toEqual(verifyChain(lines))
        const bytes = Buffer.from(lines.join('\n'), 'utf8')
        const pos = at % bytes.length
        bytes[pos] = bytes[pos]! ^ xor
        const v = chainBytesVerifier()
        let last = 0
        for (let i = 0, j; i <= bytes.length; i = j + 1) {
          j = bytes.indexOf(10, i)
          if (j === -1) j = bytes.length
          last++
          if (!v.push(bytes.subarray(i, j))) break
        }
        const verdict = v.verdict()
        // A flipped byte fails the chain, or (a newline flipped in) changes its length or head.
        if (verdict.ok) expect(verdict.count !== lines.length || verdict.head !== tip.hash).toBe(true)
        expect(last).toBeGreaterThan(0)
      }),
      { numRuns: 500 },
    )
  })
})

describe('manifest.sig', () => {
  it('a changed unused bit of the last base64 character is a changed file', async () => {
    const { verifyAuditExport } = await import('./verify.ts')
    const { signBytes, generateSigningKey, keyIdFromPem } = await import('../../shared/signature.ts')
    const k = generateSigningKey()
    const manifest = Buffer.from(`${JSON.stringify({ format: 'adx-audit-export/1', range: {}, files: {}, chains: {}, signer: { algorithm: 'Ed25519', keyId: keyIdFromPem(k.publicKeyPem), publicKeyPem: k.publicKeyPem } })}\n`)
    const b64 = Buffer.from(signBytes(k.privateKeyPem, manifest)).toString('base64')
    const last = b64[85]!
    const A = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
    const twin = A[(A.indexOf(last) & ~3) | ((A.indexOf(last) + 1) & 3)]!
    const altered = `${b64.slice(0, 85)}${twin}==`
    expect(Buffer.from(altered, 'base64')).toEqual(Buffer.from(b64, 'base64'))
    const v = (sig: string) => verifyAuditExport(new Map([['manifest.json', manifest], ['manifest.sig', Buffer.from(`${sig}\n`)]])).problems.map((p) => p.file)
    expect(v(b64)).not.toContain('manifest.sig')
    expect(v(altered)).toContain('manifest.sig')
  })
})
