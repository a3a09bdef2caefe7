/**
 * Decoding an outbound payload from protobuf bytes or proto3 JSON, within limits. Never
 * throws: failures are values with the hold reason to use.
 */
import { wire } from '../../shared/wire/index.ts'
import type { OutboundPayload } from '../../shared/wire/types.ts'
import type { InspectLimits } from './limits.ts'
import type { HoldReason } from './reasons.ts'

/** What `inspect` accepts: protobuf bytes, proto3 JSON text, or a parsed proto3 JSON object. */
export type PayloadInput = Uint8Array | string | Record<string, unknown>

export type Decoded =
  | { ok: true; payload: OutboundPayload; bytes: Uint8Array }
  | { ok: false; reason: HoldReason; message: string; bytes: number }

const encoder = new TextEncoder()

function fail(reason: HoldReason, message: string, bytes: number): Decoded {
  return { ok: false, reason, message, bytes }
}

/** Decode within `limits`. */
export function decodePayload(input: PayloadInput, limits: InspectLimits): Decoded {
  if (input instanceof Uint8Array) {
    if (input.length > limits.maxPayloadBytes)
      return fail('ADX_HOLD_OVERSIZED', `payload is ${input.length} bytes; the limit is ${limits.maxPayloadBytes}`, input.length)
    try {
      const payload = wire.OutboundPayload.decode(input) as unknown as OutboundPayload
      return { ok: true, payload, bytes: input }
    } catch (e) {
      return fail('ADX_HOLD_UNDECODABLE', `protobuf: ${(e as Error).message}`, input.length)
    }
  }
  let obj: unknown = input
  let size = 0
  if (typeof input === 'string') {
    size = input.length
    if (size > limits.maxPayloadBytes)
      return fail('ADX_HOLD_OVERSIZED', `payload is ${size} characters; the limit is ${limits.maxPayloadBytes}`, size)
    try {
      obj = JSON.parse(input)
    } catch (e) {
      return fail('ADX_HOLD_UNDECODABLE', `JSON: ${(e as Error).message}`, size)
    }
  }
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj))
    return fail('ADX_HOLD_UNDECODABLE', 'proto3 JSON payload must be an object', size)
  try {
    // fromObject converts proto3 JSON (enum names, int64 strings, base64 bytes) and throws on
    // wrong message types; verify then checks the converted message's scalars.
    const message = wire.OutboundPayload.fromObject(obj)
    const problem = wire.OutboundPayload.verify(message)
    if (problem) return fail('ADX_HOLD_UNDECODABLE', `proto3 JSON: ${problem}`, size)
    const bytes = wire.OutboundPayload.encode(message).finish()
    if (bytes.length > limits.maxPayloadBytes)
      return fail('ADX_HOLD_OVERSIZED', `payload is ${bytes.length} bytes; the limit is ${limits.maxPayloadBytes}`, bytes.length)
    return { ok: true, payload: message as unknown as OutboundPayload, bytes }
  } catch (e) {
    const tooDeep = e instanceof RangeError
    return fail(tooDeep ? 'ADX_HOLD_TOO_DEEP' : 'ADX_HOLD_UNDECODABLE', `proto3 JSON: ${(e as Error).message}`, size || encoder.encode(String(input)).length)
  }
}
