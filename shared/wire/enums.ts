/** Numeric enum values of the wire contract, named as in proto/adx/v1. */

export const Exemption = {
  UNSPECIFIED: 0,
  E1_FOREIGN_DATA_RETURNED: 1,
  E2_CONTRACT: 2,
  E3_HR: 3,
  E4_EMERGENCY: 4,
  E5_BELOW_THRESHOLD: 5,
  E6_FREE_TRADE_ZONE: 6,
  E7_VULNERABILITY: 7,
  E8_INCIDENT: 8,
  E9_OTA_RECALL: 9,
} as const

/** "E1".."E9" from the enum number, or undefined for 0 / unknown. */
export function exemptionCode(n: number | undefined): string | undefined {
  return n !== undefined && n >= 1 && n <= 9 ? `E${n}` : undefined
}

export const FilingKind = {
  UNSPECIFIED: 0,
  SECURITY_ASSESSMENT: 1,
  STANDARD_CONTRACT: 2,
  CERTIFICATION: 3,
  EXEMPTION_REFERENCE: 4,
  MNR_APPROVAL: 5,
  IMPORTANT_DATA_FILING: 6,
} as const

/** The name of each filing kind, as rule packs, policies and the CLI write it. */
export const filingKindNames = {
  [FilingKind.SECURITY_ASSESSMENT]: 'security-assessment',
  [FilingKind.STANDARD_CONTRACT]: 'standard-contract',
  [FilingKind.CERTIFICATION]: 'certification',
  [FilingKind.EXEMPTION_REFERENCE]: 'exemption-reference',
  [FilingKind.MNR_APPROVAL]: 'mnr-approval',
  [FilingKind.IMPORTANT_DATA_FILING]: 'important-data-filing',
} as const

export const PayloadKind = {
  UNSPECIFIED: 0,
  TELEMETRY: 1,
  DIAGNOSTIC: 2,
  OTA: 3,
  MEDIA: 4,
  OPAQUE: 5,
} as const
