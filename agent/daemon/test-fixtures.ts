/**
 * Fixtures for the daemon's tests: payloads with planted key material, control instructions and
 * a VIN; temporary directories; signed policies; self-signed certificates (openssl).
 */
import { createHash, generateKeyPairSync } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { signPolicy } from '../../backend/policy/sign.ts'
import { type SinkCertificate, sinkCertificate } from '../../simulator/abroad-sink.ts'
import { generateSigningKey, type SigningKey } from '../../shared/signature.ts'
import type { FleetPolicy } from '../../shared/wire/index.ts'
import { type AgentConfig, resolveAgentConfig } from './config.ts'

export const VIN = 'LSVAU218XN2183294'
export const PSEUDONYM_KEY_HEX = '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff'

/** A fresh temporary directory. */
export function tempDir(prefix = 'adx-agent-'): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

/** A private key PEM to plant. */
export function plantedPem(): string {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }) as string
}

/**
 * A telemetry payload with a VIN and an actuator write (control instruction): abroad it must
 * arrive without the write and with the VIN pseudonymised.
 */
export function dirtyPayload(id: string, destination: string): Record<string, unknown> {
  return {
    id,
    vehicleId: VIN,
    createdMs: Date.UTC(2026, 5, 1),
    destination,
    purpose: 'fleet-quality',
    telemetry: {
      samples: [
        { path: 'Vehicle.Speed', timestampMs: Date.UTC(2026, 5, 1), value: { number: 50 } },
        { path: 'Vehicle.OBD.EngineSpeed', timestampMs: Date.UTC(2026, 5, 1), value: { number: 900 } },
      ],
      actuatorWrites: [{ path: 'Vehicle.Cabin.Door.Row1.DriverSide.IsLocked', target: { boolean: false }, requestedBy: 'app' }],
    },
  }
}

/** A diagnostic payload whose log line carries a PEM private key. */
export function keyLogPayload(id: string, destination: string, pem: string): Record<string, unknown> {
  return { id, vehicleId: VIN, createdMs: Date.UTC(2026, 5, 1), destination, purpose: 'remote-diagnostics', diagnostic: { logs: [{ ecu: 'TBOX', level: 'info', text: `tls key ${pem} loaded` }] } }
}

/** A small clean payload (for throughput tests). */
export function cleanPayload(id: string, destination: string): Record<string, unknown> {
  return { id, vehicleId: VIN, createdMs: Date.UTC(2026, 5, 1), destination, purpose: 'fleet-quality', telemetry: { samples: [{ path: 'Vehicle.Speed', timestampMs: Date.UTC(2026, 5, 1), value: { number: 42 } }] } }
}

/** A policy signer for tests. */
export function testSigner(): SigningKey {
  return generateSigningKey()
}

/** Sign a FleetPolicy (as the backend does). */
export function signedPolicy(signer: SigningKey, p: Partial<FleetPolicy> & { version: number }): Uint8Array {
  return signPolicy(signer, {
    issuedMs: Date.now(),
    vehiclePseudonym: '',
    heldCategories: [],
    filings: [],
    lease: null,
    ciio: false,
    rulePackVersion: '',
    ...p,
  } as FleetPolicy)
}

/** True when openssl is on PATH. */
export { haveOpenssl } from '../../simulator/key-material.ts'

/** A self-signed certificate for 127.0.0.1 made by openssl, with its SHA-256 fingerprint. */
export function selfSignedCert(dir: string, cn = 'sink.test'): SinkCertificate {
  return sinkCertificate(dir, cn)
}

/** SHA-256 hex of bytes. */
export function sha256Hex(b: Uint8Array | string): string {
  return createHash('sha256').update(b).digest('hex')
}

/** A resolved agent config for tests (loopback everything, ephemeral HTTP port). */
export function testConfig(dir: string, signer: SigningKey, over: Record<string, unknown> = {}): AgentConfig {
  return resolveAgentConfig({
    vehicle: { id: 'veh-1' },
    backend: { url: 'mqtt://127.0.0.1:1', password: 'pw', policyPublicKey: signer.publicKeyPem },
    pseudonymKey: PSEUDONYM_KEY_HEX,
    dataDir: dir,
    ingress: { http: { port: 0 } },
    destinations: [
      { name: 'oem-eu', region: 'abroad', recipient: 'CN=sink.test', transport: 'https', url: 'https://127.0.0.1:9/v1/adx', pinSha256: 'a'.repeat(64) },
      { name: 'oem-cn', region: 'domestic', recipient: 'CN=oem-cn', transport: 'https', url: 'http://127.0.0.1:9/v1/adx' },
    ],
    heartbeatSeconds: 3600,
    log: { level: 'silent' },
    ...over,
  })
}
