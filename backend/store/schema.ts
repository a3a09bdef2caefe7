/**
 * SQLite schema of the embedded store, applied in order; `meta.schema_version` says how far a
 * file has come. Append migrations, never edit one that shipped.
 */

export const migrations: readonly string[] = [
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

  -- Every ingested export record (dedupe key + audit body). Metadata only.
  CREATE TABLE records (
    vehicle_id TEXT NOT NULL,
    record_id TEXT NOT NULL,
    year INTEGER NOT NULL,
    exported_ms INTEGER NOT NULL,
    received_ms INTEGER NOT NULL,
    recipient TEXT NOT NULL,
    body BLOB,
    PRIMARY KEY (vehicle_id, record_id)
  );
  CREATE INDEX records_year ON records (year, exported_ms);

  -- Yearly distinct sets: a member is in a set at most once, so it counts at most once.
  CREATE TABLE members (
    year INTEGER NOT NULL,
    counter TEXT NOT NULL,
    category TEXT NOT NULL,
    member TEXT NOT NULL,
    PRIMARY KEY (year, counter, category, member)
  ) WITHOUT ROWID;
  CREATE INDEX members_by_member ON members (year, counter, member);

  -- Yearly totals: distinct-set sizes and sums, moved in the transaction that changes them.
  CREATE TABLE totals (
    year INTEGER NOT NULL,
    counter TEXT NOT NULL,
    category TEXT NOT NULL,
    value INTEGER NOT NULL,
    PRIMARY KEY (year, counter, category)
  ) WITHOUT ROWID;

  CREATE TABLE vehicles (
    vehicle_id TEXT PRIMARY KEY,
    secret_hash TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'revoked')),
    label TEXT NOT NULL DEFAULT '',
    created_ms INTEGER NOT NULL,
    revoked_ms INTEGER,
    last_seen_ms INTEGER
  );

  CREATE TABLE filings (
    filing_id TEXT PRIMARY KEY,
    kind INTEGER NOT NULL,
    reference TEXT NOT NULL,
    categories TEXT NOT NULL,
    recipients TEXT NOT NULL,
    purposes TEXT NOT NULL,
    valid_from_ms INTEGER NOT NULL,
    valid_until_ms INTEGER NOT NULL,
    exemption INTEGER NOT NULL DEFAULT 0,
    created_ms INTEGER NOT NULL
  );

  CREATE TABLE incidents (
    vehicle_id TEXT NOT NULL,
    incident_id TEXT NOT NULL,
    type TEXT NOT NULL,
    detected_ms INTEGER NOT NULL,
    received_ms INTEGER NOT NULL,
    payload_id TEXT NOT NULL,
    reason_code TEXT NOT NULL,
    detail TEXT NOT NULL,
    categories TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (vehicle_id, incident_id)
  );
  CREATE INDEX incidents_received ON incidents (received_ms);

  -- One monotonic sequence for fleet and vehicle policies.
  CREATE TABLE policies (
    version INTEGER PRIMARY KEY,
    vehicle_id TEXT NOT NULL,
    issued_ms INTEGER NOT NULL,
    held_categories TEXT NOT NULL,
    signed BLOB NOT NULL
  );
  CREATE INDEX policies_vehicle ON policies (vehicle_id, version);

  CREATE TABLE leases (
    lease_id TEXT PRIMARY KEY,
    vehicle_id TEXT NOT NULL,
    year INTEGER NOT NULL,
    new_persons INTEGER NOT NULL,
    new_sensitive_persons INTEGER NOT NULL,
    vehicle_categories TEXT NOT NULL,
    issued_ms INTEGER NOT NULL,
    expires_ms INTEGER NOT NULL,
    outstanding_until_ms INTEGER NOT NULL
  );
  CREATE INDEX leases_outstanding ON leases (year, outstanding_until_ms);
  CREATE INDEX leases_vehicle ON leases (vehicle_id, outstanding_until_ms);

  -- Reservations for a known member to join a distinct set (a vehicle's slot in a category).
  CREATE TABLE slots (
    year INTEGER NOT NULL,
    counter TEXT NOT NULL,
    category TEXT NOT NULL,
    member TEXT NOT NULL,
    until_ms INTEGER NOT NULL,
    PRIMARY KEY (year, counter, category, member)
  ) WITHOUT ROWID;

  -- Units of a lease used, per counter: new set members from records that name the lease.
  CREATE TABLE lease_use (
    lease_id TEXT NOT NULL,
    counter TEXT NOT NULL,
    used INTEGER NOT NULL,
    PRIMARY KEY (lease_id, counter)
  ) WITHOUT ROWID;
  `,
  `
  -- Incident lifecycle (open -> contained -> reported -> closed) and the events of the
  -- emergency-response log. ref is a stable short id (set by the store, backfilled after migrating).
  ALTER TABLE incidents ADD COLUMN ref TEXT NOT NULL DEFAULT '';
  ALTER TABLE incidents ADD COLUMN state TEXT NOT NULL DEFAULT 'open';
  ALTER TABLE incidents ADD COLUMN grade TEXT NOT NULL DEFAULT '';
  ALTER TABLE incidents ADD COLUMN contained_ms INTEGER;
  ALTER TABLE incidents ADD COLUMN reported_ms INTEGER;
  ALTER TABLE incidents ADD COLUMN closed_ms INTEGER;
  CREATE INDEX incidents_ref ON incidents (ref);
  CREATE INDEX incidents_detected ON incidents (detected_ms);

  -- Every lifecycle event of every incident, in order; seq is the emergency-response log's cursor.
  CREATE TABLE incident_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    vehicle_id TEXT NOT NULL,
    incident_id TEXT NOT NULL,
    event TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state TEXT NOT NULL,
    grade TEXT NOT NULL,
    by_who TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    note TEXT NOT NULL
  );
  INSERT INTO incident_events (vehicle_id, incident_id, event, from_state, to_state, grade, by_who, at_ms, note)
    SELECT vehicle_id, incident_id, 'detected', '', 'open', '', CASE vehicle_id WHEN '' THEN 'backend' ELSE 'vehicle' END, received_ms, ''
    FROM incidents ORDER BY received_ms, vehicle_id, incident_id;
  `,
  // 3: incident scope: overseas recipients and persons (pseudonyms) concerned.
  `
  ALTER TABLE incidents ADD COLUMN recipients TEXT NOT NULL DEFAULT '[]';
  ALTER TABLE incidents ADD COLUMN subjects TEXT NOT NULL DEFAULT '[]';
  `,
  // 4: a member's categories are found through the primary key (the categories a counter has
  // are few, in totals); the second index on members doubled the cost of every counted member.
  `
  DROP INDEX IF EXISTS members_by_member;
  `,
  // 5: gateways: a principal that publishes for an enrolled set of vehicles over one connection
  // (as Eclipse Hono's gateways do). A gateway is a row of kind 'gateway' with its own secret; a
  // vehicle enrolled to it names it in gateway_id.
  `
  ALTER TABLE vehicles ADD COLUMN kind TEXT NOT NULL DEFAULT 'vehicle';
  ALTER TABLE vehicles ADD COLUMN gateway_id TEXT;
  CREATE INDEX vehicles_gateway ON vehicles (gateway_id) WHERE gateway_id IS NOT NULL;
  `,
]
