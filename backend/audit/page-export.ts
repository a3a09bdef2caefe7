/**
 * PURE: what the audit export does with each page of export records, wherever it runs (the main
 * thread, or the export-log writer thread for the pages handed to it): each record's body
 * decoded once, its entry JSON and CSV row handed to `push`, and counted in the catalogue.
 */
import type { StoredRecord } from '../store/types.ts'
import type { CatalogueBuilder } from './catalogue.ts'
import { decodeAuditBody } from './entries.ts'
import { exportLogTexts } from './log-line.ts'

/**
 * Exports the records of one page, in order.
 * @example exportRecords(unpackRecords(page.packed, page.count), (json, csv) => log.push(json, csv), catalogue)
 */
export function exportRecords(records: readonly StoredRecord[], push: (entryJson: string, csvRow: string) => void, catalogue: CatalogueBuilder): void {
  for (const s of records) {
    const r = decodeAuditBody(s.body)
    const texts = exportLogTexts(s, r)
    push(texts.json, texts.csv)
    if (r) catalogue.add(s, r)
  }
}
