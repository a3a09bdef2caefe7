/**
 * UDS (ISO 14229-1) service classification: which exchanges change vehicle state (control
 * instructions) and which carry key material (security access, authentication, secured data).
 * A request is classified by its service id; a response alone by its positive (SID + 0x40)
 * or negative (0x7F SID NRC) form.
 */

export type UdsClass =
  | { kind: 'control'; service: string }
  | { kind: 'key-material'; service: string }
  | { kind: 'read'; service: string }
  | { kind: 'other'; service: string }

/** Services that change vehicle state. 0x10 only for the programming session (0x02). */
const CONTROL: ReadonlyMap<number, string> = new Map([
  [0x11, 'uds-ecu-reset'],
  [0x14, 'uds-clear-dtc'],
  [0x28, 'uds-communication-control'],
  [0x2c, 'uds-dynamically-define-did'],
  [0x2e, 'uds-write-data-by-identifier'],
  [0x2f, 'uds-io-control'],
  [0x31, 'uds-routine-control'],
  [0x34, 'uds-request-download'],
  [0x35, 'uds-request-upload'],
  [0x36, 'uds-transfer-data'],
  [0x37, 'uds-request-transfer-exit'],
  [0x38, 'uds-request-file-transfer'],
  [0x3d, 'uds-write-memory-by-address'],
  [0x85, 'uds-control-dtc-setting'],
  [0x86, 'uds-response-on-event'],
  [0x87, 'uds-link-control'],
])

/** Services whose payloads are seeds, keys, certificates or protected data. */
const KEY_MATERIAL: ReadonlyMap<number, string> = new Map([
  [0x27, 'uds-security-access'],
  [0x29, 'uds-authentication'],
  [0x84, 'uds-secured-data-transmission'],
])

const READ: ReadonlyMap<number, string> = new Map([
  [0x19, 'uds-read-dtc-information'],
  [0x22, 'uds-read-data-by-identifier'],
  [0x23, 'uds-read-memory-by-address'],
  [0x24, 'uds-read-scaling-data-by-identifier'],
  [0x2a, 'uds-read-data-by-periodic-identifier'],
  [0x3e, 'uds-tester-present'],
])

const PROGRAMMING_SESSION = 0x02

function classifyService(sid: number, sub: number | undefined): UdsClass {
  if (sid === 0x10) {
    // Suppress-positive-response bit (0x80) does not change the session requested.
    const session = sub === undefined ? undefined : sub & 0x7f
    return session === PROGRAMMING_SESSION
      ? { kind: 'control', service: 'uds-programming-session' }
      : { kind: 'other', service: 'uds-session-control' }
  }
  const key = KEY_MATERIAL.get(sid)
  if (key !== undefined) return { kind: 'key-material', service: key }
  const control = CONTROL.get(sid)
  if (control !== undefined) return { kind: 'control', service: control }
  const read = READ.get(sid)
  if (read !== undefined) return { kind: 'read', service: read }
  return { kind: 'other', service: `uds-0x${sid.toString(16).padStart(2, '0')}` }
}

/**
 * Classify one UDS exchange from its request and/or response bytes.
 * @example classifyUds(Uint8Array.of(0x11, 0x01)) // { kind: 'control', service: 'uds-ecu-reset' }
 */
export function classifyUds(request?: Uint8Array, response?: Uint8Array): UdsClass {
  if (request && request.length > 0) return classifyService(request[0]!, request[1])
  if (response && response.length > 0) {
    const r0 = response[0]!
    if (r0 === 0x7f && response.length > 1) return classifyService(response[1]!, undefined)
    if (r0 >= 0x40) {
      // Positive response to 0x10 echoes the session in byte 1.
      return classifyService(r0 - 0x40, response[1])
    }
    return classifyService(r0, undefined)
  }
  return { kind: 'other', service: 'uds-empty' }
}

/** DIDs (ReadDataByIdentifier) whose data is the VIN (ISO 14229-1 Annex C). */
export const VIN_DIDS: ReadonlySet<number> = new Set([0xf190])
