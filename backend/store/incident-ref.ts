/** The short stable id of an incident, from what identifies it (vehicle and the reporter's id). */
import { createHash } from 'node:crypto'

/**
 * `INC-` and 16 hex digits of SHA-256 over vehicle id and incident id.
 * @example incidentRef('', 'fleet-hold:v3') // 'INC-…'
 */
export function incidentRef(vehicleId: string, incidentId: string): string {
  return `INC-${createHash('sha256').update(`${vehicleId}\n${incidentId}`).digest('hex').slice(0, 16)}`
}
