/** What the HTTP API needs from the rest of the backend. */
import type { RulePack } from '../../shared/rulepack/schema.ts'
import type { Logger } from '../log.ts'
import type { Metrics } from '../metrics.ts'
import type { PolicyService } from '../policy/service.ts'
import type { Store } from '../store/types.ts'
import type { ScryptParams } from '../vehicles/credentials.ts'
import type { AccountConfig } from './auth.ts'
import type { OverseasDeps } from './overseas.ts'

export interface ApiDeps {
  store: Store
  pack: RulePack
  policy: PolicyService
  metrics: Metrics
  log: Logger
  accounts: readonly AccountConfig[]
  /** The policy-signing public key, for verifiers. */
  signer: { publicKeyPem: string; keyId: string }
  /** Counting of reads by overseas accounts. */
  overseas: Pick<OverseasDeps, 'recordExport'>
  /** A vehicle was provisioned. */
  onVehicleAdded(vehicleId: string): void
  /** A vehicle was revoked: drop its connection. */
  onVehicleRevoked(vehicleId: string): void
  /** Broker and store reachability. */
  health(): Promise<Record<string, boolean>>
  clock?: () => number
  /** scrypt cost for new vehicle secrets (tests use a cheap one). */
  scrypt?: ScryptParams
}
