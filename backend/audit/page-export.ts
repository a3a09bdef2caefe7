/**
 * PURE: what the audit export does with each page of export records, wherever it runs (the main
 * thread, or the export-log writer thread for the pages handed to it): each record's body
 * decoded once, its entry JSON and CSV row handed to `push`, and counted in the catalogue.
 */
import { eachPackedRecord } from '../store/record-pack.ts'
import type { CatalogueBuilder } from './catalogue.ts'
import { decodeAuditBody } from './entries.ts'
import { exportLogTexts } from './log-line.ts'

/**
 * Exports the records of one packed page (store/record-pack.ts), in order.
 * @throws AdxError ADX_ERR_STORE when the page does not unpack.
 * @example exportPage(page.packed, page.count, (json, csv) => log.push(json, csv), catalogue)
 */
export function exportPage(packed: Uint8Array | null, count: number, push: (entryJson: string, csvRow: string) => void, catalogue: CatalogueBuilder): void {
  eachPackedRecord(packed, count, (s) => {
    const r = decodeAuditBody(s.body, catalogue.persons)
    const texts = exportLogTexts(s, r)
    push(texts.json, texts.csv)
    if (r) catalogue.add(s, r)
  })
}
