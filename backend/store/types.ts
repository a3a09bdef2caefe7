/**
 * The backend's persistence, behind one small async interface so that a PostgreSQL store can
 * replace the embedded SQLite one by configuration. Every method is a unit of work: a call either
 * happens entirely or not at all. The store knows rows, not rules: what a record counts toward is
 * decided by `backend/counting` and handed in as members and sums.
 */

/** One member of a yearly distinct set, e.g. ['persons.pi', '', 'psn:phone:3f…']. */
export type MemberUpdate = readonly [counter: string, category: string, member: string]

/** One addition to a yearly sum, as a non-negative integer in the counter's unit. */
export type SumUpdate = readonly [counter: string, category: string, amount: number]

/** A record ready to store: its identity, audit columns and what it counts toward. */
export interface IngestRecord {
  vehicleId: string
  recordId: string
  /** Counting year (CST) of exportedMs. */
  year: number
  exportedMs: number
  recipient: string
  /** Quota lease the record's new subjects were drawn from ('' = none). */
  leaseId: string
  /** Encoded ExportRecord, kept for audit exports (metadata only, never payload data). */
  body: Uint8Array | null
  members: readonly MemberUpdate[]
  sums: readonly SumUpdate[]
}

/** What happened to one record of an ingest call. */
export type IngestOutcome = 'inserted' | 'duplicate'

/** Yearly total of one counter (and category; '' when the counter has none). */
export interface CounterTotal {
  counter: string
  category: string
  value: number
}

export type VehicleStatus = 'active' | 'revoked'

/** A vehicle, or a gateway that publishes for an enrolled set of vehicles over one connection. */
export type PrincipalKind = 'vehicle' | 'gateway'

export interface VehicleRow {
  vehicleId: string
  kind: PrincipalKind
  /** The gateway this vehicle is enrolled to (may publish for it), or null. */
  gatewayId: string | null
  /** scrypt hash of the provisioned secret (see backend/vehicles/credentials.ts). */
  secretHash: string
  status: VehicleStatus
  label: string
  createdMs: number
  revokedMs: number | null
  lastSeenMs: number | null
}

/** What provisioning stores (kind defaults to 'vehicle', gatewayId to none). */
export type NewVehicle = Omit<VehicleRow, 'status' | 'revokedMs' | 'lastSeenMs' | 'kind' | 'gatewayId'> & { kind?: PrincipalKind; gatewayId?: string | null }

/** A filing as stored; mirrors the proto Filing plus bookkeeping. */
export interface FilingRow {
  filingId: string
  /** FilingKind enum number (shared/wire/enums.ts). */
  kind: number
  reference: string
  categories: string[]
  recipients: string[]
  purposes: string[]
  validFromMs: number
  validUntilMs: number
  /** Exemption enum number, for exemption references. */
  exemption: number
  createdMs: number
}

export interface IncidentRow {
  /** '' for incidents the backend raised itself. */
  vehicleId: string
  incidentId: string
  type: string
  detectedMs: number
  receivedMs: number
  payloadId: string
  reasonCode: string
  detail: string
  categories: string[]
  count: number
  /** Overseas recipients concerned (absent = none recorded). */
  recipients?: string[]
  /** Persons concerned, as pseudonyms (absent = none recorded). */
  subjects?: string[]
}

/** Where an incident is in its lifecycle. */
export type IncidentState = 'open' | 'contained' | 'reported' | 'closed'

/** An incident with its lifecycle. */
export interface IncidentRecord extends IncidentRow {
  /** Short stable id (`INC-` + 16 hex). */
  ref: string
  state: IncidentState
  /** Grade set by an officer ('' = the grade table's grade for the type). */
  grade: string
  containedMs: number | null
  reportedMs: number | null
  closedMs: number | null
}

/** One event of the emergency-response log, as stored. */
export interface IncidentEvent {
  /** Monotonic; the log's cursor. */
  seq: number
  vehicleId: string
  incidentId: string
  event: 'detected' | 'contained' | 'reported' | 'closed' | 'graded'
  fromState: string
  toState: string
  grade: string
  /** Who: an account id, 'backend' or 'vehicle'. */
  by: string
  atMs: number
  note: string
}

/** A state change (or regrading) of one incident, applied only if it is still in `expectedState`. */
export interface IncidentChange {
  ref: string
  expectedState: IncidentState
  state: IncidentState
  /** New grade ('' keeps the current one). */
  grade: string
  event: IncidentEvent['event']
  by: string
  atMs: number
  note: string
}

/** A stored export record (metadata) with its insertion order. */
export interface StoredRecord {
  /** Insertion order (SQLite rowid): the export log's cursor. */
  rowid: number
  vehicleId: string
  recordId: string
  year: number
  exportedMs: number
  receivedMs: number
  recipient: string
  body: Uint8Array | null
}

/** A page of export records packed into one buffer (backend/store/record-pack.ts). */
export interface PackedRecords {
  /** Rows in the page (0: no more). */
  count: number
  /** Highest rowid in the page (the next page's cursor). */
  last: number
  /** The packed rows (null when count is 0). */
  packed: Uint8Array | null
}

/** A signed policy as issued. */
export interface PolicyRow {
  version: number
  /** '' for the fleet-wide policy. */
  vehicleId: string
  issuedMs: number
  heldCategories: string[]
  /** Encoded SignedPolicy. */
  signed: Uint8Array
}

/** A quota lease as issued to a vehicle. */
export interface LeaseRow {
  leaseId: string
  vehicleId: string
  year: number
  newPersons: number
  newSensitivePersons: number
  /** Categories counted per vehicle that this lease lets the vehicle start exporting. */
  vehicleCategories: string[]
  issuedMs: number
  expiresMs: number
  /** Until when the lease still counts against headroom (expiry + reporting grace). */
  outstandingUntilMs: number
}

/**
 * What a lease decision sees, read inside the same transaction that stores the lease. Person
 * leases are amounts (any new person); a lease's use is measured from the records that name it
 * (each new member of a distinct set from such a record uses one unit for that counter).
 * Vehicle slots are reservations for one known member (the vehicle itself) to join a
 * per-category distinct set, released when it joins.
 */
export interface LeaseSnapshot {
  totals: CounterTotal[]
  /**
   * Per weighted counter: what outstanding leases (all vehicles) may still add to it,
   * Σ max(0, persons·w.persons + sensitive·w.sensitive − used).
   */
  remaining: Record<string, number>
  /** The vehicle's own outstanding leases. */
  vehicleLeases: LeaseRow[]
  /** Categories the vehicle is already counted in (slot counter) this year. */
  vehicleCategories: string[]
  /** Per category: outstanding slots of OTHER vehicles (not yet counted). */
  otherSlots: Record<string, number>
}

/** How many units of a counter one lease unit of each pool may add. */
export interface LeaseWeight {
  persons: number
  sensitive: number
}

/** What a lease decision returns: the lease row and the slots it reserves. */
export interface LeaseGrant {
  lease: LeaseRow
  /** Categories of the slot counter reserved for this vehicle until lease.outstandingUntilMs. */
  slotCategories: string[]
}

/** The persistence the backend needs. */
export interface Store {
  /**
   * Stores records and their counter updates in ONE transaction (group commit). A record already
   * stored (same vehicle and record id) is a duplicate and changes nothing; a member already in
   * its yearly set is not counted twice; totals move in the same transaction.
   */
  ingest(records: readonly IngestRecord[], nowMs: number): Promise<IngestOutcome[]>
  /** Every counter total of a counting year. */
  totals(year: number): Promise<CounterTotal[]>
  /** Categories a vehicle is counted in for a counter with categories (e.g. "vehicles"). */
  memberCategories(year: number, counter: string, member: string): Promise<string[]>

  addVehicle(row: NewVehicle): Promise<void>
  /** Provisions many at once, in one transaction (all or none; an existing id fails it). */
  addVehicles(rows: readonly NewVehicle[]): Promise<void>
  getVehicle(vehicleId: string): Promise<VehicleRow | undefined>
  /** Many vehicles in one read; ids not provisioned are absent from the map. */
  getVehicles(vehicleIds: readonly string[]): Promise<Map<string, VehicleRow>>
  /** Vehicles (and gateways), all or of one status / kind, ordered by id. */
  listVehicles(opts?: { status?: VehicleStatus; kind?: PrincipalKind }): Promise<VehicleRow[]>
  /**
   * Enrols vehicles to a gateway (a vehicle belongs to at most one; enrolling moves it).
   * @throws AdxError ADX_ERR_GATEWAY_UNKNOWN / ADX_ERR_VEHICLE_UNKNOWN naming the first bad id.
   */
  enrolVehicles(gatewayId: string, vehicleIds: readonly string[]): Promise<number>
  /** Ids of the active vehicles enrolled to a gateway. */
  gatewayMembers(gatewayId: string): Promise<string[]>
  /** Marks a vehicle revoked; false when unknown. */
  revokeVehicle(vehicleId: string, nowMs: number): Promise<boolean>
  /** Records when vehicles were last heard from. */
  touchVehicles(vehicleIds: readonly string[], nowMs: number): Promise<void>

  addFiling(row: FilingRow): Promise<void>
  listFilings(): Promise<FilingRow[]>
  getFiling(filingId: string): Promise<FilingRow | undefined>
  /** Ends a filing's validity at nowMs (never extends it); false when unknown. */
  expireFiling(filingId: string, nowMs: number): Promise<boolean>

  /** Stores an incident; false when (vehicleId, incidentId) is already on record. */
  addIncident(row: IncidentRow): Promise<boolean>
  listIncidents(opts?: { limit?: number; vehicleId?: string }): Promise<IncidentRow[]>
  /** Incidents with their lifecycle, newest detected first; `fromMs`/`toMs` bound detectedMs ([from, to)). */
  listIncidentRecords(opts?: { limit?: number; vehicleId?: string; state?: IncidentState; fromMs?: number; toMs?: number }): Promise<IncidentRecord[]>
  getIncident(ref: string): Promise<IncidentRecord | undefined>
  /**
   * Applies a state change and stores its event in one transaction; undefined when the incident
   * is unknown or no longer in `expectedState` (someone else changed it).
   */
  changeIncident(change: IncidentChange): Promise<IncidentRecord | undefined>
  /** Lifecycle events of one incident, oldest first. */
  incidentEventsOf(vehicleId: string, incidentId: string): Promise<IncidentEvent[]>
  /** Lifecycle events after a cursor, oldest first. */
  incidentEventsAfter(seq: number, limit: number): Promise<IncidentEvent[]>
  /** Export records after a cursor in insertion order; `fromMs`/`toMs` bound exportedMs ([from, to)). */
  recordsAfter(rowid: number, limit: number, range?: { fromMs: number; toMs: number }): Promise<StoredRecord[]>
  /**
   * The same rows as recordsAfter(rowid, limit, range), as one packed page (record-pack.ts
   * unpackRecords reads it): for long scans (the audit export), far cheaper per row, and one
   * buffer that can be handed to another thread.
   */
  recordsPacked(rowid: number, limit: number, range: { fromMs: number; toMs: number }): Promise<PackedRecords>

  /** Next version of the one monotonic policy sequence, reserved and stored with the row built for it. */
  savePolicy(build: (version: number) => Omit<PolicyRow, 'version'>): Promise<PolicyRow>
  /** Latest policy of a vehicle ('' = fleet-wide). */
  latestPolicy(vehicleId: string): Promise<PolicyRow | undefined>

  /**
   * Decides and stores a lease atomically: `decide` sees a snapshot taken in the same transaction
   * and returns the grant to store (or null for none). `slotCounter` names the distinct set whose
   * members can be reserved (the per-category vehicle counter); `weights` the counters whose
   * remaining lease room the snapshot reports.
   */
  issueLease(
    req: { vehicleId: string; year: number; nowMs: number; slotCounter: string; weights: Record<string, LeaseWeight> },
    decide: (snapshot: LeaseSnapshot) => LeaseGrant | null,
  ): Promise<LeaseGrant | null>
  /** Leases still outstanding at nowMs (all vehicles, or one). */
  /**
   * Issues leases to many vehicles in one transaction: `decide` sees, for each vehicle in turn,
   * the snapshot as the previous grants of the batch left it (as if issued one by one).
   */
  issueLeases(
    req: { vehicleIds: readonly string[]; year: number; nowMs: number; slotCounter: string; weights: Record<string, LeaseWeight> },
    decide: (vehicleId: string, snapshot: LeaseSnapshot) => LeaseGrant | null,
  ): Promise<(LeaseGrant | null)[]>
  /** For each vehicle, in one read: the categories it is counted in (slot counter) and its latest policy. */
  policyInputs(vehicleIds: readonly string[], year: number, slotCounter: string): Promise<Map<string, { categories: string[]; latest: PolicyRow | undefined }>>
  /** Stores many policies in one transaction, with consecutive versions. */
  savePolicies(builds: readonly ((version: number) => Omit<PolicyRow, 'version'>)[]): Promise<PolicyRow[]>
  outstandingLeases(nowMs: number, vehicleId?: string): Promise<LeaseRow[]>

  close(): Promise<void>
}
