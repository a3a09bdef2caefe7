/**
 * The abroad sink: a local HTTPS server playing the overseas recipient. It records every
 * payload that crossed the border (id header + body) so that runs can search every byte for
 * what must never arrive. Its certificate is made by openssl; agents pin its fingerprint.
 */
import { execFileSync } from 'node:child_process'
import { X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'

export interface SinkCertificate {
  cert: string
  key: string
  /** SHA-256 fingerprint as node prints it (AA:BB:…). */
  fingerprint: string
}

/** A self-signed P-256 certificate for 127.0.0.1, written into `dir`. Needs the openssl CLI. */
export function sinkCertificate(dir: string, cn = 'abroad-sink.adx.test'): SinkCertificate {
  const keyFile = join(dir, `${cn}.key`)
  const certFile = join(dir, `${cn}.crt`)
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyFile, '-out', certFile,
      '-days', '2', '-subj', `/CN=${cn}`, '-addext', 'subjectAltName=IP:127.0.0.1'],
    { stdio: 'ignore' },
  )
  const cert = readFileSync(certFile, 'utf8')
  return { cert, key: readFileSync(keyFile, 'utf8'), fingerprint: new X509Certificate(cert).fingerprint256 }
}

export interface AbroadSink {
  url: string
  fingerprint: string
  /** Everything received, in arrival order (redeliveries included). */
  received: { id: string; body: Buffer }[]
  /** Distinct payload ids received. */
  ids(): Set<string>
  /** How many distinct payload ids were received (cheap). */
  count(): number
  close(): Promise<void>
}

/** Start the sink on 127.0.0.1 (`port` 0 = any free port). */
export async function startAbroadSink(cert: SinkCertificate, port = 0): Promise<AbroadSink> {
  const received: AbroadSink['received'] = []
  const distinct = new Set<string>()
  const server = https.createServer({ cert: cert.cert, key: cert.key, keepAliveTimeout: 60_000 }, (req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const id = String(req.headers['x-adx-payload-id'] ?? '')
      received.push({ id, body: Buffer.concat(chunks) })
      distinct.add(id)
      res.writeHead(200).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}/v1/adx`,
    fingerprint: cert.fingerprint,
    received,
    ids: () => new Set(distinct),
    count: () => distinct.size,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
