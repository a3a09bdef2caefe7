/**
 * TLS with certificate pinning. A pinned peer is checked BEFORE any application byte is
 * written: the connection is handed to HTTP (agent.createConnection callback) or wrapped for
 * MQTT (a duplex that buffers writes) only once the peer's certificate SHA-256 matches the
 * configured fingerprint. With a CA file the chain is verified as usual, and the pin (when
 * also given) is checked on top. Without a pin the platform's normal verification applies.
 */
import { readFileSync } from 'node:fs'
import { Duplex } from 'node:stream'
import tls from 'node:tls'
import { AdxError } from '../../shared/errors.ts'

/** How to authenticate a TLS peer. */
export interface PinOptions {
  /** SHA-256 of the peer certificate (DER), hex with or without colons. */
  pinSha256?: string
  caFile?: string
  /** Client certificate / key PEM files (mutual TLS). */
  certFile?: string
  keyFile?: string
}

/** Normalise a fingerprint to "AB:CD:…" (Node's X509 fingerprint256 form). */
export function normaliseFingerprint(fp: string): string {
  const hex = fp.replace(/:/g, '').toUpperCase()
  return hex.match(/.{2}/g)?.join(':') ?? ''
}

/** tls.connect options for a peer (without host/port). */
export function tlsOptions(o: PinOptions): tls.ConnectionOptions {
  const opts: tls.ConnectionOptions = {}
  if (o.caFile) opts.ca = readFileSync(o.caFile)
  if (o.certFile) opts.cert = readFileSync(o.certFile)
  if (o.keyFile) opts.key = readFileSync(o.keyFile)
  // A pin without a CA is the recipient's identity: chain verification is replaced by the pin check.
  opts.rejectUnauthorized = !(o.pinSha256 && !o.caFile)
  if (o.pinSha256 && !o.caFile) opts.checkServerIdentity = () => undefined
  return opts
}

/** Check the pin on a connected socket; returns the error when it does not match. */
export function checkPin(socket: tls.TLSSocket, pinSha256: string | undefined): AdxError | undefined {
  if (!pinSha256) return undefined
  const cert = socket.getPeerCertificate()
  const got = cert?.fingerprint256 ?? ''
  if (got && got.toUpperCase() === normaliseFingerprint(pinSha256)) return undefined
  return new AdxError('ADX_ERR_AGENT_TLS_PIN', `peer presented ${got || 'no certificate'}`)
}

/**
 * Connect and call back with the socket only after the pin matched (for http.Agent#createConnection).
 * @example agent.createConnection = (o, cb) => pinnedConnect({ ...o, ...tlsOptions(pin) }, pin.pinSha256, cb)
 */
export function pinnedConnect(opts: tls.ConnectionOptions, pinSha256: string | undefined, cb: (err: Error | null, s?: tls.TLSSocket) => void): void {
  const s = tls.connect(opts)
  let done = false
  const finish = (err: Error | null) => {
    if (done) return
    done = true
    if (err) {
      s.destroy()
      cb(err)
    } else cb(null, s)
  }
  s.once('secureConnect', () => finish(checkPin(s, pinSha256) ?? null))
  s.once('error', (e) => finish(e))
}

/**
 * A duplex over a TLS connection that writes nothing until the pin matched (for mqtt.js's
 * stream builder, which writes CONNECT, with credentials, at once).
 */
export function pinnedStream(opts: tls.ConnectionOptions, pinSha256: string | undefined): Duplex {
  const sock = tls.connect(opts)
  let ready = false
  const pending: [Buffer, (e?: Error | null) => void][] = []
  const d = new Duplex({
    write(chunk: Buffer, _enc, cb) {
      if (ready) sock.write(chunk, cb)
      else pending.push([chunk, cb])
    },
    read() {
      sock.resume()
    },
    final(cb) {
      sock.end()
      cb()
    },
    destroy(err, cb) {
      sock.destroy()
      cb(err)
    },
  })
  sock.once('secureConnect', () => {
    const err = checkPin(sock, pinSha256)
    if (err) {
      d.destroy(err)
      return
    }
    ready = true
    for (const [c, cb] of pending.splice(0)) sock.write(c, cb)
  })
  sock.on('data', (c: Buffer) => {
    if (!d.push(c)) sock.pause()
  })
  sock.on('end', () => d.push(null))
  sock.on('error', (e) => d.destroy(e))
  sock.on('close', () => d.destroy())
  return d
}
