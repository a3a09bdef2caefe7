/**
 * TypeScript shapes of the wire messages as protobufjs decodes them (camelCase fields,
 * int64 as number, bytes as Uint8Array, enums as numbers). Keep in step with proto/adx/v1.
 * Absent scalar fields decode to their proto3 default; absent messages to undefined.
 */

export interface ExemptionClaim {
  exemption?: number
  reference?: string
  purpose?: string
}

export interface Value {
  number?: number
  boolean?: boolean
  text?: string
  raw?: Uint8Array
  numbers?: { values?: number[] }
  texts?: { values?: string[] }
  kind?: string
}

export interface Sample { path?: string; timestampMs?: number; value?: Value | null }
export interface ActuatorWrite { path?: string; target?: Value | null; timestampMs?: number; requestedBy?: string }
export interface RemoteCommand { command?: string; parameters?: Record<string, string>; issuedBy?: string; timestampMs?: number }
export interface Telemetry { samples?: Sample[]; actuatorWrites?: ActuatorWrite[]; remoteCommands?: RemoteCommand[] }

export interface FreezeFrameValue { name?: string; value?: Value | null }
export interface DtcRecord { code?: string; status?: number; ecu?: string; freezeFrame?: FreezeFrameValue[]; timestampMs?: number }
export interface UdsExchange { sourceAddress?: number; targetAddress?: number; request?: Uint8Array; response?: Uint8Array; timestampMs?: number }
export interface EcuLog { ecu?: string; timestampMs?: number; level?: string; text?: string }
export interface Diagnostic { dtcs?: DtcRecord[]; uds?: UdsExchange[]; logs?: EcuLog[] }

export interface CampaignReport {
  campaignId?: string; status?: string; ecu?: string; fromVersion?: string; toVersion?: string; error?: string; timestampMs?: number
}
export interface InstallAction { kind?: string; script?: string; udsRequests?: Uint8Array[] }
export interface UpdateTarget {
  ecu?: string; filename?: string; length?: number; hashes?: Record<string, string>; version?: string
  installActions?: InstallAction[]; custom?: Record<string, string>
}
export interface ManifestSignature { keyId?: string; method?: string; value?: string; publicKey?: string }
export interface UpdateManifest {
  manifestId?: string; targets?: UpdateTarget[]; signatures?: ManifestSignature[]; certificates?: string[]
  encryptionKey?: string; custom?: Record<string, string>; expiresMs?: number
}
export interface PackageMetadata { packageId?: string; name?: string; version?: string; sizeBytes?: number; sha256?: string; custom?: Record<string, string> }
export interface SourceBundle { name?: string; samrFiling?: string; archive?: Uint8Array }
export interface Ota { campaign?: CampaignReport | null; manifest?: UpdateManifest | null; packages?: PackageMetadata[]; source?: SourceBundle | null }

export interface BoundingBox { x?: number; y?: number; width?: number; height?: number; confidence?: number; text?: string }
export interface MediaItem {
  mediaId?: string; camera?: string; kind?: number; widthPx?: number; heightPx?: number; distanceKm?: number; durationS?: number
  original?: boolean; faces?: BoundingBox[]; plates?: BoundingBox[]; cabin?: boolean; capturedMs?: number
}
export interface MediaMetadata { items?: MediaItem[] }
export interface Opaque { contentType?: string; name?: string; data?: Uint8Array }

export type BodyKind = 'telemetry' | 'diagnostic' | 'ota' | 'media' | 'opaque'

export interface OutboundPayload {
  id?: string
  vehicleId?: string
  createdMs?: number
  destination?: string
  purpose?: string
  exemption?: ExemptionClaim | null
  tags?: string[]
  telemetry?: Telemetry | null
  diagnostic?: Diagnostic | null
  ota?: Ota | null
  media?: MediaMetadata | null
  opaque?: Opaque | null
  /** Which body is set (protobufjs virtual oneof field). */
  body?: BodyKind
}

export interface Subject { pseudonym: string; kind: string; sensitive: boolean; charging: boolean }

export interface ExportRecord {
  recordId: string; payloadId: string; vehiclePseudonym: string; exportedMs: number; destination: string
  recipient: string; purpose: string; kind: number; categories: string[]; ruleIds: string[]; subjects: Subject[]
  originalBytes: number; exportedBytes: number; exemption?: ExemptionClaim | null; strippedItems: number
  cameraKm: number; cameraHours: number; rulePackVersion: string; policyVersion: number; leaseId: string
}

export interface Incident {
  incidentId: string; type: string; vehiclePseudonym: string; detectedMs: number; payloadId: string
  reasonCode: string; detail: string; categories: string[]; count: number
  recipients: string[]; subjectPseudonyms: string[]
}

export interface Filing {
  filingId: string; kind: number; reference: string; categories: string[]; recipients: string[]; purposes: string[]
  validFromMs: number; validUntilMs: number; exemption: number
}

export interface QuotaLease { leaseId: string; newPersons: number; newSensitivePersons: number; newVehicleAllowed: boolean; expiresMs: number; vehicleCategories?: string[] }

export interface FleetPolicy {
  version: number; issuedMs: number; vehiclePseudonym: string; heldCategories: string[]; filings: Filing[]
  lease?: QuotaLease | null; ciio: boolean; rulePackVersion: string; slotCategories?: string[]
}

export interface SignedPolicy { policy: Uint8Array; signature: Uint8Array; keyId: string }
