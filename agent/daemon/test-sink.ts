/**
 * An abroad sink for tests: an HTTPS server on 127.0.0.1 with an openssl self-signed
 * certificate, recording each received payload (id header + body) in arrival order.
 */
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import { selfSignedCert } from './test-fixtures.ts'

/** What the sink received. */
export interface TestSink {
  url: string
  fingerprint: string
  received: { id: string; body: Buffer }[]
  close(): Promise<void>
}

/** Start a sink; `port` 0 = any. */
export async function startTestSink(dir: string, port = 0, cert = selfSignedCert(dir)): Promise<TestSink> {
  const received: TestSink['received'] = []
  const server = https.createServer({ cert: cert.cert, key: cert.key, keepAliveTimeout: 60_000 }, (req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      received.push({ id: String(req.headers['x-adx-payload-id']), body: Buffer.concat(chunks) })
      res.writeHead(200).end()
    })
  })
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r))
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}/v1/adx`,
    fingerprint: cert.fingerprint,
    received,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections()
        server.close(() => r())
      }),
  }
}
