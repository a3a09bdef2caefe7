/**
 * fast-check arbitrary of wire ExportRecord objects (every field, odd strings and edge numbers
 * included), shared by the decoders' property tests (audit record codec, ingest batch decoder).
 */
import fc from 'fast-check'

/** Short strings: ASCII, graphemes, and a few that matter to a field (`extra`). */
export const textArb = (...extra: string[]) => fc.oneof(fc.string({ maxLength: 12 }), fc.string({ unit: 'grapheme', maxLength: 6 }), fc.constantFrom('', 'psn:phone:3f9c', ...extra))

/** uint64 values a JS number carries exactly, edges included. */
export const u64Arb = fc.oneof(fc.nat(), fc.constantFrom(0, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1))

/** An ExportRecord as protobufjs fromObject takes it; `text` draws every string field. */
export function exportRecordArb(text: fc.Arbitrary<string>) {
  return fc.record({
    recordId: text,
    payloadId: text,
    vehiclePseudonym: text,
    exportedMs: fc.oneof(fc.integer({ min: -(2 ** 40), max: 2 ** 45 }), fc.constant(0)),
    destination: text,
    recipient: text,
    purpose: text,
    kind: fc.integer({ min: 0, max: 7 }),
    categories: fc.array(text, { maxLength: 3 }),
    ruleIds: fc.array(text, { maxLength: 3 }),
    subjects: fc.array(fc.record({ pseudonym: text, kind: fc.constantFrom('vin', 'phone', '1', 'é'), sensitive: fc.boolean(), charging: fc.boolean() }), { maxLength: 3 }),
    originalBytes: u64Arb,
    exportedBytes: u64Arb,
    exemption: fc.option(fc.record({ exemption: fc.integer({ min: 0, max: 9 }), reference: text, purpose: text }), { nil: null }),
    strippedItems: fc.nat(),
    cameraKm: fc.double({ noNaN: true }),
    cameraHours: fc.double({ noNaN: true }),
    rulePackVersion: text,
    policyVersion: u64Arb,
    leaseId: text,
  })
}
