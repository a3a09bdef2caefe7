/**
 * PURE: what the export log says about one ingested export record. Metadata only: who, when, to
 * whom, for what, which categories and rules, how many subjects of each kind, sizes. Never a
 * payload, never a subject pseudonym (the catalogue counts them), never a raw identifier.
 */
import { filingKindNames } from '../measure/filings.ts'
import { type ExportRecord, wire } from '../../shared/wire/index.ts'
import type { StoredRecord } from '../store/types.ts'

/** One export-log entry. */
export interface ExportLogEntry {
  /** Store insertion order (the live log's cursor). */
  rowid: number
  vehicleId: string
  recordId: string
  year: number
  exportedMs: number
  receivedMs: number
  recipient: string
  destination: string
  purpose: string
  payloadKind: string
  categories: string[]
  ruleIds: string[]
  /** Subjects per identifier kind (e.g. { vin: 1, phone: 2 }). */
  subjectKinds: Record<string, number>
  sensitiveSubjects: number
  originalBytes: number
  exportedBytes: number
  strippedItems: number
  exemption: string
  cameraKm: number
  cameraHours: number
  rulePackVersion: string
  policyVersion: number
  leaseId: string
}

const payloadKinds = ['unspecified', 'telemetry', 'diagnostic', 'ota', 'media', 'opaque']

/** Decodes a stored record body (undefined when absent or undecodable). */
export function decodeRecordBody(body: Uint8Array | null): ExportRecord | undefined {
  if (!body) return undefined
  try {
    return wire.ExportRecord.toObject(wire.ExportRecord.decode(body), { defaults: true, arrays: true }) as ExportRecord
  } catch {
    return undefined
  }
}

/**
 * The export-log entry of a stored record.
 * @example exportLogEntry(storedRecord).categories
 */
export function exportLogEntry(s: StoredRecord, r: ExportRecord | undefined = decodeRecordBody(s.body)): ExportLogEntry {
  const kinds: Record<string, number> = {}
  let sensitive = 0
  for (const subj of r?.subjects ?? []) {
    kinds[subj.kind] = (kinds[subj.kind] ?? 0) + 1
    if (subj.sensitive) sensitive++
  }
  const ex = r?.exemption?.exemption
  return {
    rowid: s.rowid,
    vehicleId: s.vehicleId,
    recordId: s.recordId,
    year: s.year,
    exportedMs: s.exportedMs,
    receivedMs: s.receivedMs,
    recipient: s.recipient,
    destination: r?.destination ?? '',
    purpose: r?.purpose ?? '',
    payloadKind: payloadKinds[r?.kind ?? 0] ?? 'unspecified',
    categories: r?.categories ?? [],
    ruleIds: r?.ruleIds ?? [],
    subjectKinds: kinds,
    sensitiveSubjects: sensitive,
    originalBytes: Number(r?.originalBytes ?? 0),
    exportedBytes: Number(r?.exportedBytes ?? 0),
    strippedItems: r?.strippedItems ?? 0,
    exemption: ex ? `E${ex}` : '',
    cameraKm: r?.cameraKm ?? 0,
    cameraHours: r?.cameraHours ?? 0,
    rulePackVersion: r?.rulePackVersion ?? '',
    policyVersion: Number(r?.policyVersion ?? 0),
    leaseId: r?.leaseId ?? '',
  }
}

/** Columns of export-log.csv, in order. */
export const exportLogColumns: readonly (keyof ExportLogEntry)[] = [
  'rowid',
  'vehicleId',
  'recordId',
  'year',
  'exportedMs',
  'receivedMs',
  'recipient',
  'destination',
  'purpose',
  'payloadKind',
  'categories',
  'ruleIds',
  'subjectKinds',
  'sensitiveSubjects',
  'originalBytes',
  'exportedBytes',
  'strippedItems',
  'exemption',
  'cameraKm',
  'cameraHours',
  'rulePackVersion',
  'policyVersion',
  'leaseId',
]

/** One CSV field (RFC 4180 quoting; lists joined by `;`, maps as k=v;… in key order). */
function csvField(v: unknown): string {
  let s: string
  if (Array.isArray(v)) s = v.join(';')
  else if (v && typeof v === 'object')
    s = Object.keys(v)
      .sort()
      .map((k) => `${k}=${String((v as Record<string, unknown>)[k])}`)
      .join(';')
  else s = String(v)
  // A leading = + - @ would be a formula in a spreadsheet: quote it with a leading apostrophe.
  if (/^[=+\-@]/.test(s) && typeof v === 'string') s = `'${s}`
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

/** A CSV row of an entry. */
export function csvRow(e: ExportLogEntry): string {
  return exportLogColumns.map((c) => csvField(e[c])).join(',')
}

/** Name of a filing kind (for the catalogue). */
export const kindName = (kind: number): string => filingKindNames[kind] ?? 'unspecified'
