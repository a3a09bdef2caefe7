/** The pipeline end to end on one payload: strip, pseudonymise, coarsen, fail closed. */
import { describe, expect, it } from 'vitest'
import { jsonOptions, wire } from '../../shared/wire/index.ts'
import { examplePayloads } from '../../simulator/corpus.ts'
import { forbiddenForms, generateKeys } from '../../simulator/key-material.ts'
import { abroad, testInspector } from '../../test/helpers/inspector.ts'
import { verdictToJson, type Verdict } from './verdict.ts'

const T = Date.UTC(2026, 3, 1)
const VIN = 'LSVAU218XN2183294'
const inspector = testInspector()
const b64 = (x: number[] | Buffer | string) => Buffer.from(x as never).toString('base64')

function outputJson(v: Verdict): Record<string, unknown> {
  return wire.OutboundPayload.toObject(wire.OutboundPayload.decode(v.output!), jsonOptions)
}

describe('control instructions', () => {
  it('actuator writes, remote commands and state-changing UDS never go abroad', () => {
    const v = inspector.inspect(
      {
        id: 'c', vehicleId: VIN, createdMs: T, purpose: 'diag',
        telemetry: {
          samples: [{ path: 'Vehicle.Speed', value: { number: 1 } }],
          actuatorWrites: [{ path: 'Vehicle.Cabin.Door.Row1.DriverSide.IsLocked', target: { boolean: false } }],
          remoteCommands: [{ command: 'engine.start' }],
        },
      },
      abroad,
    )
    expect(v.decision).toBe('send')
    const out = outputJson(v) as { telemetry: Record<string, unknown> }
    expect(out.telemetry.actuatorWrites).toBeUndefined()
    expect(out.telemetry.remoteCommands).toBeUndefined()
    expect(v.stripped.map((s) => s.kind).sort()).toEqual(['actuator-write', 'remote-command'])
  })

  it('UDS: control and security access exchanges are removed, reads stay', () => {
    const ex = (req: number[], res: number[]) => ({ request: b64(req), response: b64(res) })
    const v = inspector.inspect(
      {
        id: 'u', vehicleId: VIN, createdMs: T, purpose: 'diag',
        diagnostic: { uds: [ex([0x22, 0xf1, 0x89], [0x62, 0xf1, 0x89, 0x31]), ex([0x27, 0x01], [0x67, 0x01, 9, 9]), ex([0x11, 0x01], [0x51, 0x01]), ex([0x31, 0x01, 0xff, 0x00], [0x71, 0x01])] },
      },
      abroad,
    )
    const out = outputJson(v) as { diagnostic: { uds: { request: string }[] } }
    expect(out.diagnostic.uds.map((u) => Buffer.from(u.request, 'base64')[0])).toEqual([0x22])
    expect(v.stripped.map((s) => s.kind)).toEqual(['uds-security-access', 'uds-ecu-reset', 'uds-routine-control'])
  })

  it('OTA install actions, certificates, public and encryption keys never go abroad', () => {
    const ota = examplePayloads().find((e) => e.payload.ota)!.payload
    const v = inspector.inspect(ota, abroad)
    const out = JSON.stringify(outputJson(v))
    expect(out).not.toContain('installActions')
    expect(out).not.toContain('BEGIN')
    expect(v.stripped.map((s) => s.kind)).toEqual(expect.arrayContaining(['ota-install-action', 'public-key']))
  })
})

describe('key material', () => {
  const keys = generateKeys()
  it.each(keys.map((k) => [k.label, k] as const))('%s in a log line, as PEM, base64 and hex, is removed', (_l, k) => {
    const v = inspector.inspect(
      {
        id: 'k', vehicleId: VIN, createdMs: T, purpose: 'diag',
        diagnostic: { logs: [
          { text: `key dump ${k.pem} end` },
          { text: `blob=${k.der.toString('base64')}` },
          { text: `hex ${k.der.toString('hex')}` },
          { text: JSON.stringify({ cfg: JSON.stringify({ tls: { key: k.pem } }) }) },
        ] },
      },
      abroad,
    )
    expect(v.decision).toBe('send')
    const bytes = Buffer.from(v.output!)
    const text = bytes.toString('latin1') + JSON.stringify(outputJson(v))
    for (const form of forbiddenForms(k)) expect(text).not.toContain(form)
    expect(bytes.includes(k.der.subarray(8, 40))).toBe(false)
    expect(v.stripped.length).toBeGreaterThanOrEqual(4)
  })
})

describe('personal information', () => {
  it('pseudonymises VSS identifiers and identifiers in text, and coarsens coordinates', () => {
    const v = inspector.inspect(
      {
        id: 'pi', vehicleId: VIN, createdMs: T, purpose: 'q',
        telemetry: { samples: [
          { path: 'Vehicle.VehicleIdentification.VIN', value: { text: VIN } },
          { path: 'Vehicle.Driver.Identifier.Subject', value: { text: 'driver-42' } },
          { path: 'Vehicle.CurrentLocation.Latitude', timestampMs: T, value: { number: 31.234567 } },
          { path: 'Vehicle.CurrentLocation.Longitude', timestampMs: T, value: { number: 121.476543 } },
          { path: 'Vehicle.Cabin.Infotainment.Media.Played.Source', value: { text: 'call from 13812345678' } },
        ] },
      },
      abroad,
      { version: 1, filings: [{ id: 'MNR', kind: 'mnr-approval', reference: 'r', categories: ['*'], recipients: ['*'], purposes: ['*'], validFromMs: 0, validUntilMs: T + 1 }], heldCategories: [], ciio: false },
    )
    expect(v.decision).toBe('send')
    const out = JSON.stringify(outputJson(v))
    expect(out).not.toContain(VIN)
    expect(out).not.toContain('driver-42')
    expect(out).not.toContain('13812345678')
    expect(out).toContain('31.23')
    expect(out).not.toContain('31.234567')
    expect(v.vehiclePseudonym).toMatch(/^psn:vin:/)
    expect(v.pseudonymised.map((p) => p.kind).sort()).toEqual(['driver-id', 'phone', 'vin'])
    expect(v.subjects.find((s) => s.kind === 'driver-id')?.sensitive).toBe(true) // location is sensitive PI
    const json = JSON.stringify(verdictToJson(v))
    expect(json).not.toContain(VIN)
    expect(json).not.toContain('13812345678')
  })
})

describe('fail closed', () => {
  const held = (input: unknown, code: string, limits = {}) => {
    const v = testInspector({ limits }).inspect(input as never, abroad)
    expect(v.decision).toBe('hold')
    expect(v.output).toBeUndefined()
    expect(v.reasons.map((r) => r.code)).toContain(code)
  }
  const good = wire.OutboundPayload.encode(wire.OutboundPayload.fromObject({ id: 'x', telemetry: { samples: [{ path: 'Vehicle.Speed', value: { number: 1 } }] } })).finish()

  it('truncated protobuf', () => held(good.subarray(0, good.length - 3), 'ADX_HOLD_UNDECODABLE'))
  it('random bytes', () => held(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]), 'ADX_HOLD_UNDECODABLE'))
  it('wrong types in JSON', () => held({ id: 'x', telemetry: { samples: 'nope' } }, 'ADX_HOLD_UNDECODABLE'))
  it('JSON that is not an object', () => held('[1,2,3]', 'ADX_HOLD_UNDECODABLE'))
  it('no body', () => held({ id: 'x' }, 'ADX_HOLD_UNKNOWN_KIND'))
  it('unclassified VSS path', () => held({ id: 'x', telemetry: { samples: [{ path: 'Vehicle.Secret.Thing', value: { number: 1 } }] } }, 'ADX_HOLD_UNCLASSIFIED'))
  it('a 100 MB string', () => held({ id: 'x', diagnostic: { logs: [{ text: 'a'.repeat(100 * 1024 * 1024) }] } }, 'ADX_HOLD_OVERSIZED'))
  it('10,000-deep nested JSON in a string', () => {
    const deep = '['.repeat(10_000) + ']'.repeat(10_000)
    held({ id: 'x', diagnostic: { logs: [{ text: deep }] } }, 'ADX_HOLD_TOO_DEEP')
  })
  it('10,000-deep nested JSON as the payload', () => {
    const deep = '{"id":"x","diagnostic":{"logs":[{"text":"a"}]},"tags":' + '['.repeat(10_000) + ']'.repeat(10_000) + '}'
    const v = testInspector().inspect(deep, abroad)
    expect(v.decision).toBe('hold')
  })
  it('too many items', () => held({ id: 'x', telemetry: { samples: Array.from({ length: 11 }, () => ({ path: 'Vehicle.Speed' })) } }, 'ADX_HOLD_TOO_MANY_ITEMS', { maxItems: 10 }))
  it('zip archives are not inspected', () => held({ id: 'x', opaque: { contentType: 'application/zip', data: b64([0x50, 0x4b, 0x03, 0x04, 1, 2, 3]) } }, 'ADX_HOLD_UNINSPECTABLE'))
  it('a gzip bomb', async () => {
    const { gzipSync } = await import('node:zlib')
    held({ id: 'x', opaque: { contentType: 'application/gzip', data: gzipSync(Buffer.alloc(64 * 1024 * 1024)).toString('base64') } }, 'ADX_HOLD_UNINSPECTABLE')
  })
  it('never throws, even on hostile inputs', () => {
    for (const input of [null, undefined, 42, '', '{', new Uint8Array(0), { telemetry: null }, { id: 5 }]) {
      const v = testInspector().inspect(input as never, abroad)
      expect(['send', 'hold']).toContain(v.decision)
    }
  })
})
