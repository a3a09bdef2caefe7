/**
 * Measures end-to-end ingest through the embedded broker: vehicles publish ExportRecordBatches
 * (QoS 1) with mqtt.js, the backend group-commits them to SQLite and acknowledges; the clock
 * stops when every record is acknowledged (durably stored and counted).
 *
 *   npx tsx backend/measure-ingest-mqtt.ts [vehicles=4] [messagesPerVehicle=200] [recordsPerMessage=50]
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connectAsync, type MqttClient } from 'mqtt'
import { type ExportRecord, wire } from '../shared/wire/index.ts'
import { parseConfig } from './config.ts'
import { silentLogger } from './log.ts'
import { startBackend } from './server.ts'
import { hashSecret } from './vehicles/credentials.ts'

const [vehicles = 4, messages = 200, perMessage = 50] = process.argv.slice(2).map(Number)
const dir = mkdtempSync(join(tmpdir(), 'adx-measure-mqtt-'))
const config = parseConfig({ dataDir: dir, http: { port: 0 }, broker: { mode: 'embedded', port: 0 }, policy: { reevaluateIntervalMs: 60_000 } }, dir)
const backend = await startBackend(config, { logger: silentLogger() })
const clients: MqttClient[] = []
try {
  for (let v = 0; v < vehicles; v++) await backend.store.addVehicle({ vehicleId: `veh-${v}`, secretHash: await hashSecret(`s-${v}`), label: '', createdMs: Date.now() })
  const total = vehicles * messages * perMessage
  let acked = 0
  let done!: () => void
  const all = new Promise<void>((r) => (done = r))
  const payloads: Buffer[][] = []
  for (let v = 0; v < vehicles; v++) {
    const c = await connectAsync(`mqtt://127.0.0.1:${backend.broker!.port}`, { username: `veh-${v}`, password: `s-${v}`, clientId: `veh-${v}`, reconnectPeriod: 0 })
    clients.push(c)
    await c.subscribeAsync(`adx/v1/vehicles/veh-${v}/ack`, { qos: 1 })
    c.on('message', (_t, p) => {
      acked += (wire.Ack.decode(p) as unknown as { ids: string[] }).ids.length
      if (acked >= total) done()
    })
    const list: Buffer[] = []
    for (let m = 0; m < messages; m++) {
      const records: ExportRecord[] = Array.from({ length: perMessage }, (_, i) => ({
        recordId: `r-${v}-${m}-${i}`,
        payloadId: `p-${v}-${m}-${i}`,
        vehiclePseudonym: `veh-${v}`,
        exportedMs: Date.now() - 1000,
        destination: 'oem-eu-cloud',
        recipient: 'oem-eu',
        purpose: 'remote-diagnostics',
        kind: 2,
        categories: ['diagnostic', 'vehicle-operating'],
        ruleIds: [],
        subjects: [
          { pseudonym: `psn:phone:${v}-${m}-${i}`, kind: 'phone', sensitive: false, charging: false },
          { pseudonym: `psn:vin:${v}`, kind: 'vin', sensitive: false, charging: false },
        ],
        originalBytes: 2048,
        exportedBytes: 1024,
        exemption: null,
        strippedItems: 0,
        cameraKm: 0,
        cameraHours: 0,
        rulePackVersion: '2026.1.0',
        policyVersion: 1,
        leaseId: '',
      }))
      list.push(Buffer.from(wire.ExportRecordBatch.encode(wire.ExportRecordBatch.fromObject({ records })).finish()))
    }
    payloads.push(list)
  }
  const t0 = performance.now()
  await Promise.all(clients.map(async (c, v) => Promise.all(payloads[v]!.map((p) => c.publishAsync(`adx/v1/vehicles/veh-${v}/records`, p, { qos: 1 })))))
  await all
  const s = (performance.now() - t0) / 1000
  const commits = (await backend.metrics.commitRecords.get()).values
  const count = commits.find((x) => x.metricName === 'adx_backend_commit_records_count')?.value ?? 0
  const bytes = payloads.flat().reduce((a, p) => a + p.length, 0)
  console.log(`${vehicles} vehicles × ${messages} messages × ${perMessage} records = ${total} records (${Math.round(bytes / 1024)} KiB) acknowledged in ${s.toFixed(2)} s`)
  console.log(`= ${Math.round(total / s)} records/s, ${Math.round((vehicles * messages) / s)} messages/s, ${count} transactions (avg ${Math.round(total / Math.max(count, 1))} records each)`)
} finally {
  await Promise.all(clients.map((c) => c.endAsync(true)))
  await backend.stop()
  rmSync(dir, { recursive: true, force: true })
}
