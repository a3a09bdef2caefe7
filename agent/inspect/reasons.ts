/**
 * Stable reason codes of a verdict. A code never changes meaning; the CLI, the outbox, the
 * export log and incidents carry it. `ADX_HOLD_*` holds the payload; `ADX_NOTE_*` explains
 * a decision without holding.
 */
export const holdReasons = {
  // Fail closed: the agent could not look inside, so nothing goes abroad.
  ADX_HOLD_UNDECODABLE: 'payload is not a decodable OutboundPayload (protobuf or proto3 JSON)',
  ADX_HOLD_OVERSIZED: 'payload or one of its fields is larger than the configured limit',
  ADX_HOLD_TOO_DEEP: 'payload nests deeper than the configured limit',
  ADX_HOLD_TOO_MANY_ITEMS: 'payload has more items than the configured limit',
  ADX_HOLD_UNKNOWN_KIND: 'payload carries no body ADX knows (telemetry, diagnostic, ota, media, opaque)',
  ADX_HOLD_UNCLASSIFIED: 'payload carries data ADX cannot classify (e.g. a VSS path outside the overlay)',
  ADX_HOLD_UNINSPECTABLE: 'payload carries content ADX cannot inspect (e.g. a zip archive, a bomb)',
  ADX_HOLD_INTERNAL: 'internal error while inspecting; held to fail closed',
  // Policy: the data may only go once something is on record.
  ADX_HOLD_NEEDS_FILING: 'important data needs a filing in force (assessment, contract, MNR approval) that the policy does not hold',
  ADX_HOLD_POLICY_HELD: 'the fleet policy holds a category or rule this payload carries',
  ADX_HOLD_EXEMPTION_UNSUPPORTED: 'the claimed exemption lacks its purpose, reference or a matching reference filing in force',
  ADX_HOLD_PURPOSE_NOT_ALLOWED: 'the destination does not accept this purpose',
  ADX_HOLD_LEASE_EXHAUSTED: 'the payload adds more new persons than the quota lease allows',
  ADX_HOLD_CIIO_PI: 'the processor is a CIIO: personal information needs a security assessment in force',
} as const

export type HoldReason = keyof typeof holdReasons

/** Reasons that mean "the pipeline could not inspect it" (fail closed), as opposed to policy holds. */
export const failClosedReasons: ReadonlySet<HoldReason> = new Set([
  'ADX_HOLD_UNDECODABLE',
  'ADX_HOLD_OVERSIZED',
  'ADX_HOLD_TOO_DEEP',
  'ADX_HOLD_TOO_MANY_ITEMS',
  'ADX_HOLD_UNKNOWN_KIND',
  'ADX_HOLD_UNCLASSIFIED',
  'ADX_HOLD_UNINSPECTABLE',
  'ADX_HOLD_INTERNAL',
])
