/**
 * PURE: the audit export's important-data identification and filing catalogue, accumulated one
 * export record at a time: per scenario and data type of the important-data rules a record
 * matched (else per category), the rule ids, categories, distinct vehicles and persons, records,
 * bytes, recipients and purposes. Built in parts (the main thread and the export-log writer
 * thread each take some pages of records) and merged: every figure is a set or a sum, so the
 * result does not depend on which part saw which record.
 */
import type { RulePack } from '../../shared/rulepack/schema.ts'
import type { ExportRecord } from '../../shared/wire/index.ts'
import type { PackedRow } from '../store/record-pack.ts'
import type { FilingRow } from '../store/types.ts'
import { scopeCovers } from '../measure/filings.ts'
import { DistinctIds, NameTable } from './name-table.ts'
import type { AuditSubject } from './record-codec.ts'

/** What names a catalogue group: its scenario, data type and category. */
interface GroupHead {
  kind: 'important-data' | 'category'
  scenario: string
  scenarioTitle: string
  dataType: string
  dataTypeTitle: string
  category: string
}

/** One catalogue group as a part hands it over (sets as arrays; distinct ids as their strings). */
export interface GroupPart extends GroupHead {
  ruleIds: string[]
  categories: string[]
  vehicles: string[]
  persons: string[]
  sensitivePersons: string[]
  records: number
  exportedBytes: number
  originalBytes: number
  recipients: string[]
  purposes: string[]
}

/** A part of a catalogue: group key → group. */
export type CataloguePart = Record<string, GroupPart>

/** One entry of catalogue.json. */
export interface CatalogueEntry {
  kind: 'important-data' | 'category'
  scenario: string | undefined
  scenarioTitle: string | undefined
  dataType: string | undefined
  dataTypeTitle: string | undefined
  category: string | undefined
  ruleIds: string[]
  categories: string[]
  scale: { vehicles: number; persons: number; sensitivePersons: number; records: number; exportedBytes: number; originalBytes: number }
  recipients: string[]
  purposes: string[]
  filings: string[]
}

interface Group extends GroupHead {
  ruleIds: Set<string>
  categories: Set<string>
  vehicles: DistinctIds
  persons: DistinctIds
  sensitivePersons: DistinctIds
  records: number
  exportedBytes: number
  originalBytes: number
  recipients: Set<string>
  purposes: Set<string>
}


const sorted = (s: Iterable<string>) => [...s].sort()

/**
 * The catalogue of an export, record by record.
 * @example const c = new CatalogueBuilder(pack); c.add(row, decoded); c.entries(filings)
 */
export class CatalogueBuilder {
  private readonly rulesById: Map<string, RulePack['rules'][number]>
  private readonly scenarioOf: Map<string, RulePack['scenarios'][number]>
  private readonly groups = new Map<string, Group>()
  private readonly byRule = new Map<string, Group | undefined>()
  private readonly byCategory = new Map<string, Group>()
  private readonly vehicles = new NameTable()
  /** The person pseudonyms seen (decodeAuditRecord interns a body's pseudonyms here from its bytes). */
  readonly persons = new NameTable()
  private readonly personIds: number[] = []

  constructor(pack: Pick<RulePack, 'rules' | 'scenarios'>) {
    this.rulesById = new Map(pack.rules.map((r) => [r.id, r]))
    this.scenarioOf = new Map(pack.scenarios.map((s) => [s.id, s]))
  }

  private group(key: string, head: () => GroupHead): Group {
    let g = this.groups.get(key)
    if (!g) {
      g = { ...head(), ruleIds: new Set(), categories: new Set(), vehicles: new DistinctIds(), persons: new DistinctIds(), sensitivePersons: new DistinctIds(), records: 0, exportedBytes: 0, originalBytes: 0, recipients: new Set(), purposes: new Set() }
      this.groups.set(key, g)
    }
    return g
  }

  /** Group of a rule id (undefined for rules not in the pack), looked up once. */
  private ruleGroup(ruleId: string): Group | undefined {
    if (this.byRule.has(ruleId)) return this.byRule.get(ruleId)
    const rule = this.rulesById.get(ruleId)
    let g: Group | undefined
    if (rule) {
      const sc = this.scenarioOf.get(rule.scenario)
      g = this.group(`rule:${rule.scenario}:${rule.dataType}`, () => ({
        kind: 'important-data',
        scenario: rule.scenario,
        scenarioTitle: sc?.title ?? rule.scenario,
        dataType: rule.dataType,
        dataTypeTitle: sc?.dataTypes.find((d) => d.id === rule.dataType)?.title ?? rule.dataType,
        category: '',
      }))
    }
    this.byRule.set(ruleId, g)
    return g
  }

  private categoryGroup(c: string): Group {
    let g = this.byCategory.get(c)
    if (!g) {
      g = this.group(`category:${c}`, () => ({ kind: 'category', scenario: '', scenarioTitle: '', dataType: '', dataTypeTitle: '', category: c }))
      this.byCategory.set(c, g)
    }
    return g
  }

  /**
   * Counts one record of a packed page (r: its decoded body; subjects decoded with `persons` as
   * their name table bring their pseudonyms as ids there).
   */
  add(row: PackedRow, r: ExportRecord): void {
    // The groups this record counts in: one per scenario and data type of the rules that fired,
    // else one per category. Usually one: no Set per record.
    const targets: Group[] = []
    for (const ruleId of r.ruleIds) {
      const g = this.ruleGroup(ruleId)
      if (g) {
        g.ruleIds.add(ruleId)
        if (!targets.includes(g)) targets.push(g)
      }
    }
    if (targets.length === 0) {
      if (r.categories.length === 0) targets.push(this.categoryGroup('uncategorised'))
      else
        for (const c of r.categories) {
          const g = this.categoryGroup(c)
          if (!targets.includes(g)) targets.push(g)
        }
    }
    const exported = Number(r.exportedBytes)
    const original = Number(r.originalBytes)
    const vehicle = this.vehicles.idOfBytes(row.page, row.vehicleStart, row.vehicleEnd)
    const subjects = r.subjects
    const personIds = this.personIds
    for (let k = 0; k < subjects.length; k++) {
      const subj: AuditSubject = subjects[k]!
      personIds[k] = subj.person ?? this.persons.id(subj.pseudonym)
    }
    for (const g of targets) {
      for (const c of r.categories) g.categories.add(c)
      g.vehicles.add(vehicle)
      for (let k = 0; k < subjects.length; k++) {
        g.persons.add(personIds[k]!)
        if (subjects[k]!.sensitive) g.sensitivePersons.add(personIds[k]!)
      }
      g.records++
      g.exportedBytes += exported
      g.originalBytes += original
      g.recipients.add(row.recipient)
      if (r.purpose) g.purposes.add(r.purpose)
    }
  }

  /** What this builder counted, to merge into another (structured-clone safe). */
  part(): CataloguePart {
    const out: CataloguePart = {}
    const names = (ids: DistinctIds, of: NameTable) => Array.from(ids.ids(), (id) => of.name(id))
    for (const [key, g] of this.groups)
      out[key] = {
        kind: g.kind,
        scenario: g.scenario,
        scenarioTitle: g.scenarioTitle,
        dataType: g.dataType,
        dataTypeTitle: g.dataTypeTitle,
        category: g.category,
        ruleIds: [...g.ruleIds],
        categories: [...g.categories],
        vehicles: names(g.vehicles, this.vehicles),
        persons: names(g.persons, this.persons),
        sensitivePersons: names(g.sensitivePersons, this.persons),
        records: g.records,
        exportedBytes: g.exportedBytes,
        originalBytes: g.originalBytes,
        recipients: [...g.recipients],
        purposes: [...g.purposes],
      }
    return out
  }

  /** Adds what another builder counted (its part()). */
  merge(part: CataloguePart): void {
    for (const [key, p] of Object.entries(part)) {
      const g = this.group(key, () => ({ kind: p.kind, scenario: p.scenario, scenarioTitle: p.scenarioTitle, dataType: p.dataType, dataTypeTitle: p.dataTypeTitle, category: p.category }))
      for (const x of p.ruleIds) g.ruleIds.add(x)
      for (const x of p.categories) g.categories.add(x)
      for (const x of p.vehicles) g.vehicles.add(this.vehicles.id(x))
      for (const x of p.persons) g.persons.add(this.persons.id(x))
      for (const x of p.sensitivePersons) g.sensitivePersons.add(this.persons.id(x))
      g.records += p.records
      g.exportedBytes += p.exportedBytes
      g.originalBytes += p.originalBytes
      for (const x of p.recipients) g.recipients.add(x)
      for (const x of p.purposes) g.purposes.add(x)
    }
  }

  /** The catalogue's entries, by group key, with the filings whose scope covers each. */
  entries(filings: readonly FilingRow[]): CatalogueEntry[] {
    return [...this.groups.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, g]) => {
        const cats = sorted(g.categories)
        const ids = sorted(g.ruleIds)
        return {
          kind: g.kind,
          scenario: g.scenario || undefined,
          scenarioTitle: g.scenarioTitle || undefined,
          dataType: g.dataType || undefined,
          dataTypeTitle: g.dataTypeTitle || undefined,
          category: g.category || undefined,
          ruleIds: ids,
          categories: cats,
          scale: {
            vehicles: g.vehicles.size,
            persons: g.persons.size,
            sensitivePersons: g.sensitivePersons.size,
            records: g.records,
            exportedBytes: g.exportedBytes,
            originalBytes: g.originalBytes,
          },
          recipients: sorted(g.recipients),
          purposes: sorted(g.purposes),
          filings: filings
            .filter((f) => (cats.length ? cats : [g.category]).some((c) => scopeCovers(f, c, ids)) && [...g.recipients].every((rc) => f.recipients.includes('*') || f.recipients.includes(rc)))
            .map((f) => f.filingId),
        }
      })
  }
}
