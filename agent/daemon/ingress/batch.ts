/**
 * The batch form of ingress (`POST /v1/payloads/batch`): many payloads in one request, each
 * accepted on its own and acknowledged in the response. Framing:
 *
 * - protobuf (`application/x-protobuf`): length-delimited OutboundPayloads, each one preceded by
 *   its byte length as a varint (protobuf's standard delimited form: protobufjs
 *   `encodeDelimited`, Java `writeDelimitedTo`, Go `protodelim`).
 * - JSON (`application/json`): an array of proto3 JSON OutboundPayloads.
 *
 * At most BATCH_MAX_ITEMS payloads per request; the request body counts against the ingress's
 * `maxBodyBytes` like a single payload does.
 */
import { AdxError } from '../../../shared/errors.ts'

/** Most payloads one batch request may carry. */
export const BATCH_MAX_ITEMS = 1000

/**
 * Split a protobuf batch body into its payloads (views into `body`, no copy).
 * @throws AdxError ADX_ERR_AGENT_PAYLOAD_INVALID (bad varint, a frame past the end, too many, none)
 */
export function splitDelimited(body: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = []
  let pos = 0
  while (pos < body.length) {
    let len = 0
    let shift = 0
    for (;;) {
      if (pos >= body.length || shift > 28) throw new AdxError('ADX_ERR_AGENT_PAYLOAD_INVALID', `batch: bad length prefix of payload ${out.length + 1} at byte ${pos}`)
      const b = body[pos++]!
      len += (b & 0x7f) * 2 ** shift
      shift += 7
      if (b < 0x80) break
    }
    if (pos + len > body.length) throw new AdxError('ADX_ERR_AGENT_PAYLOAD_INVALID', `batch: payload ${out.length + 1} claims ${len} bytes, ${body.length - pos} left`)
    if (out.length === BATCH_MAX_ITEMS) throw new AdxError('ADX_ERR_AGENT_PAYLOAD_INVALID', `batch: more than ${BATCH_MAX_ITEMS} payloads`)
    out.push(body.subarray(pos, pos + len))
    pos += len
  }
  if (out.length === 0) throw new AdxError('ADX_ERR_AGENT_PAYLOAD_INVALID', 'batch: no payload')
  return out
}

/**
 * Split a JSON batch body (an array of proto3 JSON payload objects) into one UTF-8 JSON text per payload.
 * @throws AdxError ADX_ERR_AGENT_PAYLOAD_INVALID
 */
export function splitJsonArray(body: Uint8Array): Uint8Array[] {
  let doc: unknown
  try {
    doc = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'))
  } catch (e) {
    throw new AdxError('ADX_ERR_AGENT_PAYLOAD_INVALID', `batch: not JSON (${(e as Error).message})`)
  }
  if (!Array.isArray(doc) || doc.length === 0) throw new AdxError('ADX_ERR_AGENT_PAYLOAD_INVALID', 'batch: a JSON batch is a non-empty array of payload objects')
  if (doc.length > BATCH_MAX_ITEMS) throw new AdxError('ADX_ERR_AGENT_PAYLOAD_INVALID', `batch: more than ${BATCH_MAX_ITEMS} payloads`)
  return doc.map((p) => new Uint8Array(Buffer.from(JSON.stringify(p), 'utf8')))
}

/** Frame payloads as a protobuf batch body (varint length + bytes each); for apps and tests. */
export function joinDelimited(payloads: readonly Uint8Array[]): Uint8Array {
  const heads = payloads.map((p) => {
    const h: number[] = []
    let n = p.length
    while (n >= 0x80) {
      h.push((n & 0x7f) | 0x80)
      n = Math.floor(n / 128)
    }
    h.push(n)
    return h
  })
  const out = new Uint8Array(payloads.reduce((s, p, i) => s + p.length + heads[i]!.length, 0))
  let pos = 0
  payloads.forEach((p, i) => {
    out.set(heads[i]!, pos)
    pos += heads[i]!.length
    out.set(p, pos)
    pos += p.length
  })
  return out
}
