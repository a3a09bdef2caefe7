/**
 * No false positives: clean telemetry, diagnostic and OTA payloads (ordinary numbers, hashes,
 * version strings, DTCs, reads, signatures) pass abroad with nothing stripped, and only
 * identifiers pseudonymised.
 */
import { describe, expect, it } from 'vitest'
import type { InspectPolicy } from '../../agent/inspect/policy.ts'
import { cleanCorpus } from '../../simulator/corpus.ts'
import { abroad, testInspector } from '../helpers/inspector.ts'

const inspector = testInspector()
const allFiled: InspectPolicy = {
  version: 1,
  filings: [{ id: 'MNR', kind: 'mnr-approval', reference: 'r', categories: ['*'], recipients: ['*'], purposes: ['*'], validFromMs: 0, validUntilMs: Number.MAX_SAFE_INTEGER }],
  heldCategories: [],
  ciio: false,
}

describe('clean corpus', () => {
  const corpus = cleanCorpus(40, 3)
  it.each(corpus.map((p) => [p.id as string, p] as const))('%s passes with nothing stripped', (_id, payload) => {
    const v = inspector.inspect(payload, abroad, allFiled)
    expect(v.reasons).toEqual([])
    expect(v.decision).toBe('send')
    expect(v.stripped).toEqual([])
    expect(v.pseudonymised.every((p) => p.kind === 'vin')).toBe(true)
    expect(v.categories.map((c) => c.id)).not.toContain('key-material')
  })
})
