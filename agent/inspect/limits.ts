/** Limits that keep inspection bounded (from the rule pack's `agent.limits`, overridable). */
export interface InspectLimits {
  /** Largest payload accepted, bytes (encoded). */
  maxPayloadBytes: number
  /** Largest single string or bytes field, bytes. */
  maxStringBytes: number
  /** Deepest structure walked (JSON inside strings included). */
  maxDepth: number
  /** How many times a value may be decoded again (JSON in a string, base64 of PEM ...). */
  maxNestedDecodeDepth: number
  /** Most items (samples, exchanges, entries ...) in one payload. */
  maxItems: number
}
