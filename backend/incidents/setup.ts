/**
 * Builds the incident machinery from a backend configuration: the grade table, the service and
 * the hash-chained logs. Settings come from the configuration's `incidents` section when the
 * configuration schema has one (see grades.ts `incidentSettingsSchema`), else the defaults.
 */
import type { RulePack } from '../../shared/rulepack/schema.ts'
import type { BackendConfig } from '../config.ts'
import type { Logger } from '../log.ts'
import type { Store } from '../store/types.ts'
import { type GradeTable, gradeTable, type IncidentSettings, retentionDays } from './grades.ts'
import { ChainedLogs } from './logs.ts'
import { IncidentService } from './service.ts'

/** The incident settings of a configuration (validated with it; defaults when absent). */
export function incidentSettingsOf(config: BackendConfig): IncidentSettings {
  return config.incidents
}

/** What setupIncidents returns. */
export interface IncidentParts {
  settings: IncidentSettings
  table: GradeTable
  service: IncidentService
  logs: ChainedLogs
}

/**
 * @example const { service, logs } = setupIncidents(config, pack, store, signer, log)
 */
export function setupIncidents(
  config: BackendConfig,
  pack: RulePack,
  store: Store,
  signer: { privateKeyPem: string; publicKeyPem: string; keyId: string },
  log: Logger,
  clock: () => number = Date.now,
): IncidentParts {
  const settings = incidentSettingsOf(config)
  const table = gradeTable(pack, settings)
  return {
    settings,
    table,
    service: new IncidentService({ store, table, clock }),
    logs: new ChainedLogs({ dataDir: config.dataDir, store, table, log, signer, retentionDays: retentionDays(pack, settings), clock }),
  }
}
