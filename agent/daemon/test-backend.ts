/**
 * A stand-in backend for the agent's tests: an aedes broker on 127.0.0.1 that decodes what
 * vehicles publish (records, incidents, heartbeats), acknowledges records and incidents on the
 * vehicle's ack topic (unless told not to), and can publish retained signed policies.
 */
import { createServer, type Server, type Socket } from 'node:net'
import { Aedes } from 'aedes'
import { parseVehicleTopic, vehicleTopic } from '../../shared/topics.ts'
import { wire } from '../../shared/wire/index.ts'

/** What the stand-in backend received. */
export interface TestBackend {
  port: number
  records: { recordId: string; payloadId: string; destination: string; vehiclePseudonym: string; strippedItems: number }[]
  incidents: { incidentId: string; type: string; reasonCode: string; recipients?: string[]; subjectPseudonyms?: string[] }[]
  heartbeats: number
  /** Whether to acknowledge (default true). */
  acking: boolean
  publish(topic: string, payload: Uint8Array, retain?: boolean): Promise<void>
  close(): Promise<void>
}

/** Start the stand-in backend on `port` (0 = any). */
export async function startTestBackend(port = 0): Promise<TestBackend> {
  const aedes = await Aedes.createBroker()
  const sockets = new Set<Socket>()
  const server: Server = createServer((s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
    aedes.handle(s)
  })
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r))
  let closing: Promise<void> | undefined
  const tb: TestBackend = {
    port: (server.address() as { port: number }).port,
    records: [],
    incidents: [],
    heartbeats: 0,
    acking: true,
    publish: (topic, payload, retain = true) =>
      new Promise<void>((resolve, reject) => aedes.publish({ cmd: 'publish', topic, payload: Buffer.from(payload), qos: 1, retain, dup: false } as never, (e) => (e ? reject(e) : resolve()))),
    close() {
      closing ??= (async () => {
        await new Promise<void>((r) => aedes.close(() => r()))
        for (const s of sockets) s.destroy()
        await new Promise<void>((r) => server.close(() => r()))
      })()
      return closing
    },
  }
  const ack = (vehicleId: string, ids: string[]) => {
    if (!tb.acking || ids.length === 0) return
    void tb.publish(vehicleTopic(vehicleId, 'ack'), wire.Ack.encode({ ids } as never).finish(), false)
  }
  aedes.subscribe(
    'adx/v1/vehicles/+/+',
    (packet, cb) => {
      const t = parseVehicleTopic(packet.topic)
      if (t?.leaf === 'records') {
        const batch = wire.ExportRecordBatch.toObject(wire.ExportRecordBatch.decode(packet.payload as Buffer)) as { records?: TestBackend['records'] }
        const recs = batch.records ?? []
        if (tb.acking) tb.records.push(...recs)
        ack(t.vehicleId, recs.map((r) => r.recordId))
      } else if (t?.leaf === 'incidents') {
        const inc = wire.Incident.toObject(wire.Incident.decode(packet.payload as Buffer)) as TestBackend['incidents'][number]
        if (tb.acking) tb.incidents.push(inc)
        ack(t.vehicleId, [inc.incidentId])
      } else if (t?.leaf === 'heartbeats') tb.heartbeats++
      cb()
    },
    () => undefined,
  )
  return tb
}
