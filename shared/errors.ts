/**
 * Errors as values with stable codes (like fastify's FST_ERR_*). Every code is listed here
 * once, with its message template; logs, verdicts and audit records carry the code, and tests
 * assert on it. Codes never change meaning; new ones are appended.
 */

export const errorCodes = {
  ADX_ERR_RULEPACK_INVALID: 'rule pack is invalid: %s',
  ADX_ERR_RULEPACK_READ: 'rule pack could not be read: %s',
  ADX_ERR_CONFIG_INVALID: 'configuration is invalid: %s',
  ADX_ERR_PSEUDONYM_KEY: 'pseudonym key is invalid: %s',
  ADX_ERR_INPUT: 'input is invalid: %s',
  ADX_ERR_POLICY_INVALID: 'policy is invalid: %s',
  ADX_ERR_SIGNATURE_KEY: 'signing key is invalid: %s',
  ADX_ERR_STORE: 'store operation failed: %s',
  ADX_ERR_STORE_BUSY: 'store is locked by another process: %s',
  ADX_ERR_COUNTER_UNKNOWN: 'rule pack names a counter the backend cannot count: %s',
  ADX_ERR_INGEST_MALFORMED: 'ingested message is malformed: %s',
  ADX_ERR_INGEST_OVERSIZED: 'ingested message is too large: %s',
  ADX_ERR_INGEST_INVALID: 'ingested record is invalid: %s',
  ADX_ERR_INGEST_VEHICLE_MISMATCH: 'ingested record names another vehicle than its topic: %s',
  ADX_ERR_BROKER_AUTH: 'vehicle authentication refused: %s',
  ADX_ERR_BROKER_ACL: 'topic access refused: %s',
  ADX_ERR_BROKER_FRAME_TOO_LARGE: 'MQTT packet exceeds the size limit: %s',
  ADX_ERR_VEHICLE_EXISTS: 'vehicle already provisioned: %s',
  ADX_ERR_VEHICLE_UNKNOWN: 'unknown vehicle: %s',
  ADX_ERR_GATEWAY_UNKNOWN: 'unknown gateway: %s',
  ADX_ERR_FILING_EXISTS: 'filing already on record: %s',
  ADX_ERR_FILING_UNKNOWN: 'unknown filing: %s',
  ADX_ERR_API_UNAUTHENTICATED: 'authentication required: %s',
  ADX_ERR_API_FORBIDDEN: 'not allowed: %s',
  ADX_ERR_API_VALIDATION: 'request is invalid: %s',
  ADX_ERR_API_NOT_FOUND: 'not found: %s',
  ADX_ERR_API_EXPORT_HELD: 'overseas read refused while exports of these categories are held: %s',
  ADX_ERR_INTERNAL: 'internal error: %s',
  ADX_ERR_AGENT_CONFIG: 'agent configuration is invalid: %s',
  ADX_ERR_AGENT_PAYLOAD_INVALID: 'payload refused at ingress: %s',
  ADX_ERR_AGENT_PAYLOAD_TOO_LARGE: 'payload is larger than the ingress limit: %s',
  ADX_ERR_AGENT_MEDIA_TYPE: 'unsupported content type at ingress: %s',
  ADX_ERR_AGENT_NOT_FOUND: 'no such ingress route: %s',
  ADX_ERR_AGENT_STOPPING: 'agent is stopping: %s',
  ADX_ERR_AGENT_TLS_PIN: 'peer certificate does not match the pinned fingerprint: %s',
  ADX_ERR_AGENT_DELIVERY: 'delivery to a destination failed: %s',
  ADX_ERR_AGENT_POLICY_REJECTED: 'signed policy rejected: %s',
  ADX_ERR_AGENT_STATE: 'agent state store failed: %s',
  ADX_ERR_AGENT_AUDIT_CHAIN: 'audit log chain is broken: %s',
  ADX_ERR_LOG_LOCKED: 'log file is locked by another process: %s',
  ADX_ERR_LOG_CHAIN: 'hash-chained log does not verify: %s',
  ADX_ERR_INCIDENT_UNKNOWN: 'unknown incident: %s',
  ADX_ERR_INCIDENT_TRANSITION: 'incident state change refused: %s',
  ADX_ERR_AUDIT_EXPORT: 'audit export failed: %s',
  ADX_ERR_AUDIT_VERIFY: 'audit export does not verify: %s',
  ADX_ERR_AUDIT_TOO_LARGE: 'audit export too large for one bundle: %s',
} as const

export type ErrorCode = keyof typeof errorCodes

/** An ADX error: a stable `code`, a message from the template, optional structured details. */
export class AdxError extends Error {
  readonly code: ErrorCode
  readonly details: readonly string[]

  constructor(code: ErrorCode, detail: string, details: readonly string[] = [], options?: { cause?: unknown }) {
    super(errorCodes[code].replace('%s', detail), options)
    this.name = 'AdxError'
    this.code = code
    this.details = details
  }

  /** Structured form for logs and audit records. */
  toJSON(): { code: ErrorCode; message: string; details: readonly string[] } {
    return { code: this.code, message: this.message, details: this.details }
  }
}

/** True when `e` is an AdxError with the given code (or any AdxError without one). */
export function isAdxError(e: unknown, code?: ErrorCode): e is AdxError {
  return e instanceof AdxError && (code === undefined || e.code === code)
}
