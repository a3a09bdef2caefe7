/**
 * PURE: what the audit export does with each page of export records, wherever it runs (the main
 * thread, or the export-log writer thread for the pages handed to it): each record's body
 * decoded once (its pseudonyms interned in the catalogue's table), its entry JSON and CSV row
 * written as bytes into `sink`, and counted in the catalogue.
 */
import { eachPackedRow } from '../store/record-pack.ts'
import type { CatalogueBuilder } from './catalogue.ts'
import { decodeAuditBody } from './entries.ts'
import type { LineEncoder, LineSink } from './line-encoder.ts'

/**
 * Exports the records of one packed page (store/record-pack.ts), in order.
 * @throws AdxError ADX_ERR_STORE when the page does not unpack.
 * @example exportPage(page.packed, page.count, log, catalogue, encoder)
 */
export function exportPage(packed: Uint8Array | null, count: number, sink: LineSink, catalogue: CatalogueBuilder, encoder: LineEncoder): void {
  eachPackedRow(packed, count, (row) => {
    const r = decodeAuditBody(row.body, catalogue.persons)
    encoder.encode(row, r, sink.json, sink.csv)
    sink.added()
    if (r) catalogue.add(row, r)
  })
}
