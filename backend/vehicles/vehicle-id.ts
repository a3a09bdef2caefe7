/**
 * What may serve as a vehicle id at the backend. Ids appear in topics, logs, incidents and
 * audit exports, so they must be opaque: a VIN, phone number or other identifier is refused
 * (provision a pseudonym or a serial such as `veh-000123` instead).
 */
import { findIdentifiers } from '../../agent/inspect/detect/identifiers/identifiers.ts'
import { isVin } from '../../agent/inspect/detect/identifiers/vin.ts'
import { VEHICLE_ID_PATTERN } from '../../shared/topics.ts'

/** The problem with a proposed vehicle id, or undefined when it is fine. */
export function vehicleIdProblem(id: string): string | undefined {
  if (!VEHICLE_ID_PATTERN.test(id)) return 'must be 1–128 letters, digits or :._-'
  if (isVin(id) || findIdentifiers(id).length > 0)
    return 'must be opaque: it is (or contains) a VIN or another personal identifier; use a pseudonym or a serial such as veh-000123'
  return undefined
}
