/**
 * PURE: decoding and validating what vehicles send. Everything has a limit; anything outside it
 * is refused with a stable code naming the field, never thrown past this module.
 */
import { AdxError } from '../../shared/errors.ts'
import { type ExportRecord, type Incident, wire } from '../../shared/wire/index.ts'
import { decodeRecordBatchRecords } from './record-batch.ts'

/** Limits on uplink messages. */
export interface IngestLimits {
  maxMessageBytes: number
  maxRecordsPerMessage: number
  maxSubjectsPerRecord: number
  maxCategoriesPerRecord: number
  maxIdLength: number
  /** How far in the future exported_ms may be (vehicle clock skew). */
  maxClockSkewMs: number
  /** Largest camera_km / camera_hours one record may carry. */
  maxCameraKmPerRecord: number
  maxCameraHoursPerRecord: number
}

/** Defaults: generous for real traffic, small enough to bound memory per message. */
export const defaultIngestLimits: IngestLimits = {
  maxMessageBytes: 1024 * 1024,
  maxRecordsPerMessage: 2000,
  maxSubjectsPerRecord: 1000,
  maxCategoriesPerRecord: 64,
  maxIdLength: 256,
  maxClockSkewMs: 24 * 3600_000,
  maxCameraKmPerRecord: 100_000,
  maxCameraHoursPerRecord: 10_000,
}

/** Earliest exported_ms accepted: 1 Jan 2020 UTC. */
const EARLIEST_MS = Date.UTC(2020, 0, 1)

export type Checked<T> = { ok: true; value: T } | { ok: false; error: AdxError }

const fail = <T>(code: ConstructorParameters<typeof AdxError>[0], detail: string): Checked<T> => ({ ok: false, error: new AdxError(code, detail) })

/**
 * Decodes an ExportRecordBatch within the limits.
 * @example const batch = decodeRecordBatch(payload, limits) // { ok: true, value: records }
 */
export function decodeRecordBatch(payload: Uint8Array, limits: IngestLimits): Checked<ExportRecord[]> {
  if (payload.length > limits.maxMessageBytes)
    return fail('ADX_ERR_INGEST_OVERSIZED', `${payload.length} bytes > ${limits.maxMessageBytes}`)
  let records: ExportRecord[]
  try {
    records = decodeRecordBatchRecords(payload)
  } catch (e) {
    return fail('ADX_ERR_INGEST_MALFORMED', `ExportRecordBatch does not decode: ${(e as Error).message}`)
  }
  if (records.length === 0) return fail('ADX_ERR_INGEST_MALFORMED', 'records: empty batch')
  if (records.length > limits.maxRecordsPerMessage)
    return fail('ADX_ERR_INGEST_OVERSIZED', `records: ${records.length} > ${limits.maxRecordsPerMessage}`)
  return { ok: true, value: records }
}

/**
 * Checks one record against its topic's vehicle and the limits.
 * @example const r = checkRecord(record, 'veh-1', Date.now(), limits)
 */
export function checkRecord(r: ExportRecord, vehicleId: string, nowMs: number, limits: IngestLimits): Checked<ExportRecord> {
  const id = (field: string, v: string, required = true): string | undefined => {
    if (required && !v) return `${field}: required`
    if (v.length > limits.maxIdLength) return `${field}: longer than ${limits.maxIdLength}`
    return undefined
  }
  const bad =
    id('record_id', r.recordId) ??
    id('vehicle_pseudonym', r.vehiclePseudonym) ??
    id('recipient', r.recipient, false) ??
    id('destination', r.destination, false) ??
    id('purpose', r.purpose, false) ??
    id('lease_id', r.leaseId, false)
  if (bad) return fail('ADX_ERR_INGEST_INVALID', `record ${r.recordId || '(no id)'}: ${bad}`)
  if (r.vehiclePseudonym !== vehicleId)
    return fail('ADX_ERR_INGEST_VEHICLE_MISMATCH', `record ${r.recordId}: vehicle_pseudonym "${r.vehiclePseudonym}" published by "${vehicleId}"`)
  const where = `record ${r.recordId}`
  if (!Number.isSafeInteger(r.exportedMs) || r.exportedMs < EARLIEST_MS)
    return fail('ADX_ERR_INGEST_INVALID', `${where}: exported_ms: ${r.exportedMs} is not a time after 2020`)
  if (r.exportedMs > nowMs + limits.maxClockSkewMs)
    return fail('ADX_ERR_INGEST_INVALID', `${where}: exported_ms: ${r.exportedMs} is more than ${limits.maxClockSkewMs} ms in the future`)
  for (const [field, v, max] of [
    ['camera_km', r.cameraKm, limits.maxCameraKmPerRecord],
    ['camera_hours', r.cameraHours, limits.maxCameraHoursPerRecord],
  ] as const) {
    if (!Number.isFinite(v) || v < 0 || v > max) return fail('ADX_ERR_INGEST_INVALID', `${where}: ${field}: ${v} is not in [0, ${max}]`)
  }
  if (r.categories.length > limits.maxCategoriesPerRecord)
    return fail('ADX_ERR_INGEST_INVALID', `${where}: categories: more than ${limits.maxCategoriesPerRecord}`)
  for (const [i, c] of r.categories.entries()) {
    const e = id(`categories[${i}]`, c)
    if (e) return fail('ADX_ERR_INGEST_INVALID', `${where}: ${e}`)
  }
  if (r.subjects.length > limits.maxSubjectsPerRecord)
    return fail('ADX_ERR_INGEST_INVALID', `${where}: subjects: more than ${limits.maxSubjectsPerRecord}`)
  for (const [i, s] of r.subjects.entries()) {
    const e = id(`subjects[${i}].pseudonym`, s.pseudonym) ?? id(`subjects[${i}].kind`, s.kind, false)
    if (e) return fail('ADX_ERR_INGEST_INVALID', `${where}: ${e}`)
  }
  return { ok: true, value: r }
}

/**
 * Decodes and checks one Incident from a vehicle.
 * @example const i = decodeIncident(payload, 'veh-1', limits)
 */
export function decodeIncident(payload: Uint8Array, vehicleId: string, limits: IngestLimits): Checked<Incident> {
  if (payload.length > limits.maxMessageBytes) return fail('ADX_ERR_INGEST_OVERSIZED', `${payload.length} bytes > ${limits.maxMessageBytes}`)
  let inc: Incident
  try {
    inc = wire.Incident.toObject(wire.Incident.decode(payload), { defaults: true, arrays: true }) as Incident
  } catch (e) {
    return fail('ADX_ERR_INGEST_MALFORMED', `Incident does not decode: ${(e as Error).message}`)
  }
  if (!inc.incidentId || inc.incidentId.length > limits.maxIdLength) return fail('ADX_ERR_INGEST_INVALID', 'incident_id: required, at most 256 characters')
  if (inc.vehiclePseudonym !== vehicleId)
    return fail('ADX_ERR_INGEST_VEHICLE_MISMATCH', `incident ${inc.incidentId}: vehicle_pseudonym "${inc.vehiclePseudonym}" published by "${vehicleId}"`)
  if (!inc.type || inc.type.length > limits.maxIdLength) return fail('ADX_ERR_INGEST_INVALID', `incident ${inc.incidentId}: type: required`)
  if (inc.detail.length > 4096) return fail('ADX_ERR_INGEST_INVALID', `incident ${inc.incidentId}: detail: longer than 4096`)
  return { ok: true, value: inc }
}

/** Decodes a Heartbeat (only its vehicle must match). */
export function decodeHeartbeat(payload: Uint8Array, vehicleId: string, limits: IngestLimits): Checked<{ policyVersion: number; heldPayloads: number }> {
  if (payload.length > 4096) return fail('ADX_ERR_INGEST_OVERSIZED', `${payload.length} bytes > 4096`)
  try {
    const hb = wire.Heartbeat.toObject(wire.Heartbeat.decode(payload), { defaults: true }) as { vehiclePseudonym: string; policyVersion: number; heldPayloads: number }
    if (hb.vehiclePseudonym && hb.vehiclePseudonym !== vehicleId)
      return fail('ADX_ERR_INGEST_VEHICLE_MISMATCH', `heartbeat: vehicle_pseudonym "${hb.vehiclePseudonym}" published by "${vehicleId}"`)
    return { ok: true, value: { policyVersion: hb.policyVersion, heldPayloads: hb.heldPayloads } }
  } catch (e) {
    return fail('ADX_ERR_INGEST_MALFORMED', `Heartbeat does not decode: ${(e as Error).message}`)
  }
}
