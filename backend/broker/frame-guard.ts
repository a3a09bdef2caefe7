/**
 * A pass-through stream that reads MQTT fixed headers and fails as soon as a packet announces a
 * remaining length above the limit, before the broker buffers it. aedes has no packet-size
 * limit of its own; without this a client could make it hold up to 256 MiB per packet.
 */
import { Transform, type TransformCallback } from 'node:stream'
import { AdxError } from '../../shared/errors.ts'

type State = { kind: 'header' } | { kind: 'length'; value: number; multiplier: number; bytes: number } | { kind: 'body'; left: number }

/**
 * Creates a frame guard; pipe the socket through it.
 * @example pipeline(socket, frameGuard(256 * 1024), () => {})
 */
export function frameGuard(maxPacketBytes: number): Transform {
  let state: State = { kind: 'header' }
  return new Transform({
    transform(chunk: Buffer, _enc, callback: TransformCallback) {
      let i = 0
      while (i < chunk.length) {
        if (state.kind === 'header') {
          i++
          state = { kind: 'length', value: 0, multiplier: 1, bytes: 0 }
        } else if (state.kind === 'length') {
          const b = chunk[i++]!
          state.value += (b & 0x7f) * state.multiplier
          state.multiplier *= 128
          state.bytes++
          if (state.value > maxPacketBytes) {
            return callback(new AdxError('ADX_ERR_BROKER_FRAME_TOO_LARGE', `remaining length over ${maxPacketBytes} bytes`))
          }
          if ((b & 0x80) === 0) state = state.value === 0 ? { kind: 'header' } : { kind: 'body', left: state.value }
          else if (state.bytes >= 4) return callback(new AdxError('ADX_ERR_BROKER_FRAME_TOO_LARGE', 'malformed remaining length'))
        } else {
          const take = Math.min(state.left, chunk.length - i)
          i += take
          state.left -= take
          if (state.left === 0) state = { kind: 'header' }
        }
      }
      callback(null, chunk)
    },
  })
}
