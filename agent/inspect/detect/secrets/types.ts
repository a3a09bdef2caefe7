/**
 * Shared types of the key-material detectors (re-exported by secrets.ts).
 */
import type { DerKind } from './der.ts'
import type { PemKind } from './pem.ts'
import type { SshKind } from './ssh.ts'

/** 'key-material' = other PEM / unknown DER key-ish / field secret. */
export type SecretKind = 'private-key' | 'certificate' | 'public-key' | 'jwk' | 'jwt' | 'bearer-token' | 'key-material'

export type SecretEncoding = 'pem' | 'der' | 'base64' | 'hex' | 'jwt' | 'jwk' | 'field' | 'text'

export interface SecretSpan {
  start: number
  /** Exclusive. */
  end: number
  kind: SecretKind
  encoding: SecretEncoding
}

/** Merge priority: when spans overlap, the merged span takes the highest-ranked kind. */
const RANK: Record<SecretKind, number> = {
  'private-key': 7,
  'key-material': 6,
  jwk: 5,
  jwt: 4,
  'bearer-token': 3,
  'public-key': 2,
  certificate: 1,
}

export function kindRank(k: SecretKind): number {
  return RANK[k]
}

export function strongerKind(a: SecretKind | undefined, b: SecretKind): SecretKind {
  return a === undefined || RANK[b] > RANK[a] ? b : a
}

export function derKindToSecretKind(k: DerKind): SecretKind {
  switch (k) {
    case 'certificate':
    case 'crl':
      return 'certificate'
    case 'spki':
    case 'rsa-public':
      return 'public-key'
    case 'pkcs8':
    case 'pkcs8-encrypted':
    case 'rsa-private':
    case 'ec-private':
      return 'private-key'
    case 'csr':
    case 'pkcs12':
      return 'key-material'
  }
}

export function pemKindToSecretKind(k: PemKind): SecretKind {
  return k === 'other' ? 'key-material' : k
}

export function sshKindToSecretKind(k: SshKind): SecretKind {
  return k === 'openssh-private' ? 'private-key' : 'public-key'
}
