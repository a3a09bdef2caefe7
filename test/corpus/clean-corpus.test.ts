/**
 * No false positives: clean telemetry, diagnostic and OTA payloads (ordinary numbers, hashes,
 * version strings, DTCs, reads, signatures) pass abroad with nothing stripped, and only
 * identifiers pseudonymised.
 */
import { describe, expect, it } from 'vitest'
import { cleanCorpus } from '../../simulator/corpus.ts'
import { everythingOnFile } from '../../simulator/policies.ts'
import { abroad, testInspector } from '../helpers/inspector.ts'

const inspector = testInspector()
const allFiled = everythingOnFile

describe('clean corpus', () => {
  const corpus = cleanCorpus(40, 3)
  it.each(corpus.map((p) => [p.id as string, p] as const))('%s passes with nothing stripped', (_id, payload) => {
    const v = inspector.inspect(payload, abroad, allFiled)
    expect(v.reasons).toEqual([])
    expect(v.decision).toBe('send')
    expect(v.stripped).toEqual([])
    expect(v.rules).toEqual([]) // no important-data rule fires on clean data
    expect(v.pseudonymised.every((p) => p.kind === 'vin')).toBe(true)
    expect(v.categories.map((c) => c.id)).not.toContain('key-material')
  })
})
