/** The wire contract: protoc accepts it, the runtime descriptor matches it, messages round-trip. */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { compileProto, protoRoot } from '../../shared/wire/compile.ts'
import { jsonOptions, wire } from '../../shared/wire/index.ts'

function haveProtoc(): boolean {
  try {
    execFileSync('protoc', ['--version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

describe('proto/', () => {
  const protoc = haveProtoc()
  if (!protoc && process.env.CI !== 'true') console.warn('SKIP: protoc not found (apt-get install protobuf-compiler); the protoc check is skipped')
  it.runIf(protoc || process.env.CI === 'true')('protoc accepts every .proto file', () => {
    const files = ['common', 'payload', 'export', 'policy'].map((f) => `adx/v1/${f}.proto`)
    expect(() => execFileSync('protoc', [`-I${protoRoot}`, '--descriptor_set_out=/dev/null', ...files], { stdio: 'pipe' })).not.toThrow()
  })

  it('shared/wire/descriptor.json is up to date (npm run gen:proto)', () => {
    const committed = JSON.parse(readFileSync(fileURLToPath(new URL('../../shared/wire/descriptor.json', import.meta.url)), 'utf8'))
    expect(committed).toEqual(JSON.parse(JSON.stringify(compileProto())))
  })

  it('round-trips an outbound payload through binary and proto3 JSON', () => {
    const obj = {
      id: 'p', vehicleId: 'V', createdMs: '1780000000000', destination: 'd', purpose: 'p',
      exemption: { exemption: 'EXEMPTION_E9_OTA_RECALL', reference: 'SAMR-1', purpose: 'recall' },
      media: { items: [{ mediaId: 'm', kind: 'MEDIA_KIND_CLIP', widthPx: 1920, faces: [{ width: 40, height: 40 }] }] },
    }
    const bytes = wire.OutboundPayload.encode(wire.OutboundPayload.fromObject(obj)).finish()
    const back = wire.OutboundPayload.toObject(wire.OutboundPayload.decode(bytes), jsonOptions)
    expect(back).toEqual(obj)
  })

  it('carries export records, incidents and signed policies', () => {
    for (const [type, obj] of [
      [wire.ExportRecordBatch, { records: [{ recordId: 'r', subjects: [{ pseudonym: 'psn:vin:00', kind: 'vin', sensitive: true }], cameraKm: 1.5 }] }],
      [wire.Incident, { incidentId: 'i', type: 'ADX_INC_KEY_MATERIAL_AT_EGRESS', count: 2 }],
      [wire.FleetPolicy, { version: '3', heldCategories: ['charging'], filings: [{ filingId: 'f', kind: 'FILING_KIND_SECURITY_ASSESSMENT' }] }],
    ] as const) {
      const bytes = type.encode(type.fromObject(obj)).finish()
      expect(type.toObject(type.decode(bytes), jsonOptions)).toEqual(obj)
    }
  })
})
