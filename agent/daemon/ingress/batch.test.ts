import { describe, expect, it } from 'vitest'
import { isAdxError } from '../../../shared/errors.ts'
import { BATCH_MAX_ITEMS, joinDelimited, splitDelimited, splitJsonArray } from './batch.ts'

const bytes = (n: number, v: number) => new Uint8Array(n).fill(v)
const code = (f: () => unknown) => {
  try {
    f()
  } catch (e) {
    return isAdxError(e) ? e.code : String(e)
  }
  return 'no error'
}

describe('batch framing', () => {
  it('round-trips length-delimited payloads, including multi-byte lengths and empty payloads', () => {
    const ps = [bytes(1, 1), bytes(0, 0), bytes(300, 3), bytes(70_000, 7)]
    expect(splitDelimited(joinDelimited(ps))).toEqual(ps)
  })

  it('refuses torn frames, empty bodies and too many payloads', () => {
    const framed = joinDelimited([bytes(300, 3)])
    expect(code(() => splitDelimited(framed.subarray(0, 100)))).toBe('ADX_ERR_AGENT_PAYLOAD_INVALID')
    expect(code(() => splitDelimited(framed.subarray(0, 1)))).toBe('ADX_ERR_AGENT_PAYLOAD_INVALID')
    expect(code(() => splitDelimited(new Uint8Array()))).toBe('ADX_ERR_AGENT_PAYLOAD_INVALID')
    expect(code(() => splitDelimited(joinDelimited(Array.from({ length: BATCH_MAX_ITEMS + 1 }, () => bytes(1, 1)))))).toBe('ADX_ERR_AGENT_PAYLOAD_INVALID')
  })

  it('splits a JSON array into one JSON text per payload', () => {
    const parts = splitJsonArray(Buffer.from(JSON.stringify([{ id: 'a' }, { id: 'b', x: [1] }])))
    expect(parts.map((p) => JSON.parse(Buffer.from(p).toString('utf8')))).toEqual([{ id: 'a' }, { id: 'b', x: [1] }])
    expect(code(() => splitJsonArray(Buffer.from('{"id":"a"}')))).toBe('ADX_ERR_AGENT_PAYLOAD_INVALID')
    expect(code(() => splitJsonArray(Buffer.from('[')))).toBe('ADX_ERR_AGENT_PAYLOAD_INVALID')
  })
})
