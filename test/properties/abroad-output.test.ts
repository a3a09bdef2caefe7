/**
 * Invariant 1, property-based: whatever valid payload carries real key material (in any
 * encoding, anywhere) and control instructions, the output for an abroad destination contains
 * none of them — as protobuf bytes, as latin1 text of those bytes, and as proto3 JSON.
 * Runs ADX_PROPERTY_RUNS cases (default 10,000).
 */
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { classifyUds } from '../../agent/inspect/detect/uds.ts'
import { jsonOptions, wire } from '../../shared/wire/index.ts'
import type { OutboundPayload } from '../../shared/wire/types.ts'
import { forbiddenForms, generateCertificate, generateKeys, type KeyMaterial } from '../../simulator/key-material.ts'
import { everythingOnFile } from '../../simulator/policies.ts'
import { abroad, testInspector } from '../helpers/inspector.ts'

const RUNS = Number(process.env.ADX_PROPERTY_RUNS ?? 10_000)
const T = Date.UTC(2026, 5, 1)
const inspector = testInspector()
const allFiled = everythingOnFile

const encodings = [
  'pem', 'pem-in-json-string', 'base64', 'base64-lines', 'base64-glued', 'base64url', 'hex', 'hex-upper', 'hex-colon',
  'base64-of-pem', 'hex-of-base64', 'jwk-json', 'jwk-in-text', 'nested-json-pem', 'raw-der',
] as const
type Encoding = (typeof encodings)[number]
const places = ['log', 'ota-custom', 'target-custom', 'dtc-ecu', 'sample-text', 'opaque-text', 'opaque-binary', 'uds-response', 'campaign-error', 'hashes'] as const
type Place = (typeof places)[number]

let keys: KeyMaterial[] = []
beforeAll(() => {
  keys = generateKeys()
  const cert = generateCertificate()
  if (cert) keys.push(cert)
  else if (process.env.CI === 'true') throw new Error('openssl is required in CI for real X.509 certificates')
})

function encode(k: KeyMaterial, e: Encoding): string | Uint8Array {
  switch (e) {
    case 'pem': return k.pem
    case 'pem-in-json-string': return JSON.stringify({ tls: k.pem }).slice(1, -1)
    case 'base64': return k.der.toString('base64')
    case 'base64-lines': return k.der.toString('base64').replace(/.{64}/g, '$&\n')
    case 'base64-glued': return `key=${k.der.toString('base64')}`
    case 'base64url': return k.der.toString('base64url')
    case 'hex': return k.der.toString('hex')
    case 'hex-upper': return k.der.toString('hex').toUpperCase()
    case 'hex-colon': return k.der.toString('hex').replace(/(..)(?!$)/g, '$1:')
    case 'base64-of-pem': return Buffer.from(k.pem).toString('base64')
    case 'hex-of-base64': return Buffer.from(k.der.toString('base64')).toString('hex')
    case 'jwk-json': return k.jwk ?? k.pem
    case 'jwk-in-text': return `config jwk=${k.jwk ?? k.pem} loaded`
    case 'nested-json-pem': return JSON.stringify({ outer: JSON.stringify({ inner: { privateKey: k.pem } }) })
    case 'raw-der': return new Uint8Array(k.der)
  }
}

/** What must not appear: DER forms, and for JWKs their key members. */
function forbidden(k: KeyMaterial): string[] {
  const forms = forbiddenForms(k)
  if (k.jwk) {
    const j = JSON.parse(k.jwk) as Record<string, string>
    for (const m of ['d', 'n', 'x', 'y']) if (j[m] && j[m].length >= 16) forms.push(j[m].slice(0, 24))
  }
  return forms
}

const asText = (v: string | Uint8Array) => (typeof v === 'string' ? v : Buffer.from(v).toString('base64'))
const b64 = (v: string | Uint8Array | number[]) => Buffer.from(v as never).toString('base64')

function buildPayload(secret: string | Uint8Array, place: Place, pre: string, post: string, controls: number): Record<string, unknown> {
  const text = typeof secret === 'string' ? `${pre}${secret}${post}` : undefined
  const base = { id: 'prop', vehicleId: 'LSVAU218XN2183294', createdMs: T, purpose: 'fleet-quality' }
  const actuatorWrites = Array.from({ length: controls }, (_, i) => ({ path: 'Vehicle.Body.Trunk.IsOpen', target: { boolean: i % 2 === 0 } }))
  const remoteCommands = Array.from({ length: controls }, () => ({ command: 'door.unlock', parameters: { pin: '0000' } }))
  const controlUds = Array.from({ length: controls }, (_, i) => ({ request: b64([[0x11, 0x01], [0x2e, 0xf1, 0x90, 0x41], [0x31, 0x01, 0xff, 0x00], [0x27, 0x02, 0xaa, 0xbb]][i % 4]!) }))
  switch (place) {
    case 'log': return { ...base, diagnostic: { uds: controlUds, logs: [{ ecu: 'TBOX', text: text ?? asText(secret) }] } }
    case 'dtc-ecu': return { ...base, diagnostic: { uds: controlUds, dtcs: [{ code: 'P0301', ecu: text ?? asText(secret) }] } }
    case 'uds-response': return {
      ...base,
      diagnostic: { uds: [...controlUds, { request: b64([0x22, 0xf1, 0x8c]), response: b64(Buffer.concat([Buffer.from([0x62, 0xf1, 0x8c]), Buffer.from(typeof secret === 'string' ? Buffer.from(text!) : secret)])) }] },
    }
    case 'sample-text': return {
      ...base,
      telemetry: { samples: [{ path: 'Vehicle.Speed', value: { number: 3 } }, { path: 'Vehicle.VersionVSS.Label', value: { text: text ?? asText(secret) } }], actuatorWrites, remoteCommands },
    }
    case 'opaque-text': return { ...base, opaque: { contentType: 'text/plain', data: b64(Buffer.from(text ?? asText(secret))) } }
    case 'opaque-binary': {
      const s = typeof secret === 'string' ? Buffer.from(secret) : Buffer.from(secret)
      return { ...base, opaque: { contentType: 'application/octet-stream', data: b64(Buffer.concat([Buffer.from([0, 1, 2, 0xff, 0xfe]), Buffer.from(pre), s, Buffer.from(post), Buffer.from([0, 0x80])])) } }
    }
    case 'ota-custom': return { ...base, ota: { manifest: { manifestId: 'm', custom: { note: text ?? asText(secret) }, targets: [{ ecu: 'ADCU', installActions: Array.from({ length: controls }, () => ({ kind: 'script', script: 'reset()' })) }] } } }
    case 'target-custom': return { ...base, ota: { manifest: { targets: [{ ecu: 'ADCU', custom: { blob: text ?? asText(secret) } }] } } }
    case 'hashes': return { ...base, ota: { manifest: { targets: [{ ecu: 'ADCU', hashes: { sha256: text ?? asText(secret) } }] } } }
    case 'campaign-error': return { ...base, ota: { campaign: { campaignId: 'c', status: 'failed', error: text ?? asText(secret) } } }
  }
}

const filler = fc.string({ maxLength: 40, unit: fc.constantFrom(...'abcdefXYZ0123456789 .,:;-_/\n\t"{}'.split('')) })

describe('abroad output never carries key material or control instructions', () => {
  it(`holds for ${RUNS} random payloads`, () => {
    fc.assert(
      fc.property(
        fc.nat(), fc.constantFrom(...encodings), fc.constantFrom(...places), filler, filler, fc.integer({ min: 0, max: 3 }),
        (ki, encoding, place, pre, post, controls) => {
          const k = keys[ki % keys.length]!
          const secret = encode(k, encoding)
          const payload = buildPayload(secret, place, pre, post, controls)
          const v = inspector.inspect(payload, abroad, allFiled)
          expect(v.decision, JSON.stringify(v.reasons)).toBe('send')
          const out = Buffer.from(v.output!)
          const decoded = wire.OutboundPayload.decode(out) as unknown as OutboundPayload
          const json = JSON.stringify(wire.OutboundPayload.toObject(decoded as never, jsonOptions))
          const latin1 = out.toString('latin1')
          for (const form of forbidden(k)) {
            expect(latin1.includes(form), `${k.label}/${encoding}/${place}: output bytes carry ${form.slice(0, 16)}…`).toBe(false)
            expect(json.includes(form), `${k.label}/${encoding}/${place}: output JSON carries ${form.slice(0, 16)}…`).toBe(false)
          }
          expect(out.includes(k.der.subarray(Math.floor(k.der.length / 2) - 12, Math.floor(k.der.length / 2) + 12))).toBe(false)
          expect(decoded.telemetry?.actuatorWrites ?? []).toHaveLength(0)
          expect(decoded.telemetry?.remoteCommands ?? []).toHaveLength(0)
          for (const x of decoded.diagnostic?.uds ?? []) expect(['read', 'other']).toContain(classifyUds(x.request, x.response).kind)
          for (const t of decoded.ota?.manifest?.targets ?? []) expect(t.installActions ?? []).toHaveLength(0)
        },
      ),
      { numRuns: RUNS },
    )
  })
})
