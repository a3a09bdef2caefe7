import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sqlite from 'node-sqlite3-wasm'
import { describe, expect, it } from 'vitest'
import { incidentRef } from './incident-ref.ts'
import { migrations } from './schema.ts'
import { openSqliteStore } from './sqlite.ts'

describe('migration 2 (incident lifecycle)', () => {
  it('gives incidents stored before it a ref, the open state and a detected event', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'adx-migrate-'))
    const path = join(dir, 'backend.sqlite')
    const db = new sqlite.Database(path)
    db.exec(migrations[0]!)
    db.run("INSERT INTO meta (key, value) VALUES ('schema_version', '1')")
    db.run(
      `INSERT INTO incidents (vehicle_id, incident_id, type, detected_ms, received_ms, payload_id, reason_code, detail, categories, count)
       VALUES ('veh-1', 'i-1', 'ADX_INC_FAIL_CLOSED', 10, 20, 'p', 'x', 'd', '[]', 1), ('', 'fleet-hold:v1', 'ADX_INC_FLEET_HOLD', 5, 5, '', 'y', 'e', '["location"]', 1)`,
    )
    db.close()
    const store = await openSqliteStore(path)
    try {
      expect(await store.getIncident(incidentRef('veh-1', 'i-1'))).toMatchObject({ incidentId: 'i-1', state: 'open', grade: '', containedMs: null })
      expect(await store.getIncident(incidentRef('', 'fleet-hold:v1'))).toMatchObject({ categories: ['location'] })
      expect((await store.incidentEventsAfter(0, 10)).map((e) => [e.incidentId, e.event, e.by, e.atMs])).toEqual([
        ['fleet-hold:v1', 'detected', 'backend', 5],
        ['i-1', 'detected', 'vehicle', 20],
      ])
    } finally {
      await store.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
