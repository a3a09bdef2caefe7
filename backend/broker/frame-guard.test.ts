import { describe, expect, it } from 'vitest'
import { isAdxError } from '../../shared/errors.ts'
import { frameGuard } from './frame-guard.ts'

/** An MQTT packet of the given remaining length (type byte 0x30 = PUBLISH). */
function packet(len: number): Buffer {
  const header = [0x30]
  let x = len
  do {
    let b = x % 128
    x = Math.floor(x / 128)
    if (x > 0) b |= 0x80
    header.push(b)
  } while (x > 0)
  return Buffer.concat([Buffer.from(header), Buffer.alloc(len, 7)])
}

async function feed(max: number, chunks: Buffer[]): Promise<{ out: Buffer; error?: unknown }> {
  const g = frameGuard(max)
  const parts: Buffer[] = []
  g.on('data', (c: Buffer) => parts.push(c))
  const done = new Promise<unknown>((resolve) => {
    g.on('error', resolve)
    g.on('end', () => resolve(undefined))
  })
  for (const c of chunks) g.write(c)
  g.end()
  const error = await done
  return { out: Buffer.concat(parts), error }
}

describe('frameGuard', () => {
  it('passes packets up to the limit through unchanged, however they are split', async () => {
    const all = Buffer.concat([packet(0), packet(10), packet(200), packet(1000), packet(1000)])
    const whole = await feed(1000, [all])
    expect(whole.error).toBeUndefined()
    expect(whole.out.equals(all)).toBe(true)
    const bytes = await feed(1000, [...all].map((b) => Buffer.from([b])))
    expect(bytes.error).toBeUndefined()
    expect(bytes.out.equals(all)).toBe(true)
  })

  it('fails on the first packet above the limit, from its header alone', async () => {
    const { error } = await feed(1000, [packet(10), packet(1001).subarray(0, 3)])
    expect(isAdxError(error, 'ADX_ERR_BROKER_FRAME_TOO_LARGE')).toBe(true)
  })

  it('fails on a remaining length longer than four bytes', async () => {
    const { error } = await feed(Number.MAX_SAFE_INTEGER, [Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01])])
    expect(isAdxError(error, 'ADX_ERR_BROKER_FRAME_TOO_LARGE')).toBe(true)
  })
})
