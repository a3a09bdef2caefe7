/**
 * The wire contract at run time: protobufjs reflection types built from descriptor.json
 * (generated from proto/adx/v1 by `npm run gen:proto`). int64 fields decode to plain
 * numbers (all ADX int64 values are epoch milliseconds or sizes well below 2^53).
 */
import protobuf from 'protobufjs'
import descriptor from './descriptor.json' with { type: 'json' }
import { Exemption, FilingKind, PayloadKind } from './enums.ts'

// Decode int64 as JS numbers rather than Long objects.
protobuf.util.Long = undefined as unknown as protobuf.Long['constructor'] & typeof protobuf.util.Long
protobuf.configure()

const root = protobuf.Root.fromJSON(descriptor as protobuf.INamespace)

function type(name: string): protobuf.Type {
  return root.lookupType(`adx.v1.${name}`)
}

/** Reflection types of every top-level ADX message. */
export const wire = {
  root,
  OutboundPayload: type('OutboundPayload'),
  ExportRecord: type('ExportRecord'),
  ExportRecordBatch: type('ExportRecordBatch'),
  Incident: type('Incident'),
  Heartbeat: type('Heartbeat'),
  Ack: type('Ack'),
  FleetPolicy: type('FleetPolicy'),
  SignedPolicy: type('SignedPolicy'),
  Filing: type('Filing'),
} as const

/** Options for proto3 JSON output: int64 as strings, enums by name, bytes as base64. */
export const jsonOptions: protobuf.IConversionOptions = {
  longs: String,
  enums: String,
  bytes: String,
  json: true,
  oneofs: false,
}

export { Exemption, FilingKind, PayloadKind }
export type * from './types.ts'
