/**
 * Encoding and signing of FleetPolicy messages (proto adx.v1.FleetPolicy → SignedPolicy). The
 * signature covers the exact serialised policy bytes, so a verifier checks before it decodes.
 */
import { signBytes, verifyBytes } from '../../shared/signature.ts'
import { type FleetPolicy, type SignedPolicy, wire } from '../../shared/wire/index.ts'

/** The backend's policy-signing key. */
export interface PolicySigner {
  privateKeyPem: string
  publicKeyPem: string
  keyId: string
}

/**
 * Serialises and signs a policy; returns the encoded SignedPolicy.
 * @example const bytes = signPolicy(signer, policy) // publish retained on adx/v1/fleet/policy
 */
export function signPolicy(signer: PolicySigner, policy: FleetPolicy): Uint8Array {
  const policyBytes = wire.FleetPolicy.encode(wire.FleetPolicy.fromObject(policy)).finish()
  const signed: SignedPolicy = { policy: policyBytes, signature: signBytes(signer.privateKeyPem, policyBytes), keyId: signer.keyId }
  return wire.SignedPolicy.encode(wire.SignedPolicy.fromObject(signed)).finish()
}

/**
 * Verifies an encoded SignedPolicy against a public key and decodes the policy, or returns
 * undefined when the signature, key id or encoding is wrong.
 * @example const policy = openSignedPolicy(publicKeyPem, keyId, bytes)
 */
export function openSignedPolicy(publicKeyPem: string, keyId: string, bytes: Uint8Array): FleetPolicy | undefined {
  try {
    const signed = wire.SignedPolicy.decode(bytes) as unknown as SignedPolicy
    if (signed.keyId !== keyId || !verifyBytes(publicKeyPem, signed.policy, signed.signature)) return undefined
    return wire.FleetPolicy.toObject(wire.FleetPolicy.decode(signed.policy), { defaults: true, arrays: true }) as FleetPolicy
  } catch {
    return undefined
  }
}
