/**
 * What one inspection has found so far: the accumulator every body handler writes into.
 * Handlers never decide; they record. `decide.ts` turns findings into a verdict.
 */
import type { HoldReason } from './reasons.ts'
import { holdReasons } from './reasons.ts'
import type { CoarsenedItem, PseudonymisedItem, Reason, StrippedItem } from './verdict.ts'

const MAX_EVIDENCE = 16

/** Identifier kinds that name a person (as opposed to a vehicle, SIM or plate). */
export const personKinds: ReadonlySet<string> = new Set([
  'driver-id',
  'occupant-id',
  'person-id',
  'name',
  'phone',
  'email',
  'resident-id',
])

export interface FoundSubject {
  pseudonym: string
  kind: string
}

export interface PrecisePoint {
  latitude: number
  longitude: number
  path: string
}

/** Mutable record of one inspection. */
export class Findings {
  /** True when the destination is abroad: strip, pseudonymise and coarsen; else only tag. */
  readonly abroad: boolean
  readonly categories = new Map<string, string[]>()
  readonly stripped: StrippedItem[] = []
  readonly pseudonymised: PseudonymisedItem[] = []
  readonly coarsened: CoarsenedItem[] = []
  readonly subjects = new Map<string, FoundSubject>()
  readonly holds: Reason[] = []
  readonly points: PrecisePoint[] = []
  /** Largest shorter side of any face / plate bounding box in media metadata, pixels. */
  maxFacePx = 0
  maxPlatePx = 0
  cameraKm = 0
  cameraHours = 0
  /** Evidence paths for face/plate boxes. */
  faceEvidence?: string
  plateEvidence?: string

  constructor(abroad: boolean) {
    this.abroad = abroad
  }

  /** Tag a data category seen at `path`. */
  category(id: string, path: string): void {
    const list = this.categories.get(id)
    if (list === undefined) this.categories.set(id, [path])
    else if (list.length < MAX_EVIDENCE) list.push(path)
  }

  /** Record an item that must never go abroad: removed abroad, only tagged at home. */
  strip(item: StrippedItem): void {
    if (this.abroad) this.stripped.push(item)
    this.category(item.reason, item.path)
  }

  pseudonym(kind: string, pseudonym: string, path: string): void {
    if (!this.subjects.has(pseudonym)) this.subjects.set(pseudonym, { pseudonym, kind })
    if (this.abroad) this.pseudonymised.push({ path, kind })
  }

  /** Fail closed or policy hold; the first reason of a code wins. */
  hold(code: HoldReason, detail?: { path?: string; ruleIds?: string[]; message?: string }): void {
    if (this.holds.some((h) => h.code === code && h.path === detail?.path)) return
    const reason: Reason = { code, message: detail?.message ?? holdReasons[code] }
    if (detail?.path !== undefined) reason.path = detail.path
    if (detail?.ruleIds !== undefined) reason.ruleIds = detail.ruleIds
    this.holds.push(reason)
  }

  get failed(): boolean {
    return this.holds.length > 0
  }
}
