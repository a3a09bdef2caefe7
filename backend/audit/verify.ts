/**
 * Verifies an audit export: the manifest's signature (and, when given, that it is the expected
 * key), every file's SHA-256 and size, every hash chain and its head, and that export-log.csv
 * says exactly what export-log.jsonl says. Names every file that fails and why.
 */
import { createHash, type Hash } from 'node:crypto'
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { AdxError } from '../../shared/errors.ts'
import { type ChainVerdict, chainBytesVerifier } from '../../shared/hash-chain.ts'
import { keyIdFromPem, verifyBytes } from '../../shared/signature.ts'
import { csvRow, exportLogColumns, type ExportLogEntry } from './entries.ts'
import { AUDIT_FORMAT, type AuditFiles, auditFileNames, chainedFiles } from './export.ts'
import { type LogScan, scanLogInThreads } from './verify-parallel.ts'

/** One failure, naming the file. */
export interface AuditProblem {
  file: string
  reason: string
}

/** The verifier's answer. */
export interface AuditVerdict {
  ok: boolean
  problems: AuditProblem[]
  /** Key that signed the manifest (when readable). */
  keyId?: string
  range?: unknown
}

interface Manifest {
  format: string
  range: unknown
  files: Record<string, { sha256: string; bytes: number }>
  chains: Record<string, { count: number; head: string }>
  signer: { keyId: string; publicKeyPem: string }
}

/** One file of an export, read as a sequence of chunks (a Buffer in memory or a file read piecewise). */
export interface AuditSource {
  size: number
  chunks(): Iterable<Buffer>
}

/** Options of the verifiers. */
export interface VerifyAuditOptions {
  /** The key the manifest must be signed with (SPKI PEM). */
  publicKeyPem?: string
  /** Bytes read per chunk from a folder's files (default 1 MiB). */
  chunkBytes?: number
  /**
   * A folder's export-log.jsonl of at least this many bytes is checked on two threads
   * (verify-parallel.ts; default 16 MiB); smaller ones in this thread.
   */
  threadFromBytes?: number
  /** Bytes per segment on the two-thread path (default 4 MiB; tests make segments small). */
  threadSegmentBytes?: number
}

/** A scan done ahead (by the two-thread path) for a file, when there is one. */
type PreScan = (name: string) => Scan | undefined

/** Longest line a chained file may have (a longer one fails instead of filling memory). */
const MAX_LINE_BYTES = 16 * 2 ** 20
/** Largest manifest.json / manifest.sig read. */
const MAX_MANIFEST_BYTES = 16 * 2 ** 20

const bufferSource = (b: Buffer): AuditSource => ({ size: b.length, chunks: () => [b] })

/** A file read in chunks of `chunkBytes` (opened when iterated, closed when done). */
function fileSource(path: string, size: number, chunkBytes: number): AuditSource {
  return {
    size,
    *chunks() {
      const fd = openSync(path, 'r')
      try {
        for (;;) {
          const buf = Buffer.allocUnsafe(chunkBytes)
          const n = readSync(fd, buf, 0, chunkBytes, null)
          if (n === 0) return
          yield n === chunkBytes ? buf : buf.subarray(0, n)
        }
      } finally {
        closeSync(fd)
      }
    },
  }
}

/** Reads a source whole (small files only). */
function readWhole(src: AuditSource): Buffer {
  return Buffer.concat([...src.chunks()])
}

/** The lines of a source split on \n: each line's bytes, and whether it ended with \n. */
function* linesOf(chunks: Iterable<Buffer>): Generator<{ line: Buffer; terminated: boolean } | { tooLong: true }> {
  let carry: Buffer[] = []
  let carried = 0
  for (const chunk of chunks) {
    let start = 0
    for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
      const piece = chunk.subarray(start, nl)
      if (carried) {
        carry.push(piece)
        yield { line: Buffer.concat(carry), terminated: true }
        carry = []
        carried = 0
      } else yield { line: piece, terminated: true }
      start = nl + 1
    }
    if (start < chunk.length) {
      // Copy: the chunk's buffer is not ours to keep.
      carry.push(Buffer.from(chunk.subarray(start)))
      carried += chunk.length - start
      if (carried > MAX_LINE_BYTES) {
        yield { tooLong: true }
        return
      }
    }
  }
  if (carried) yield { line: Buffer.concat(carry), terminated: false }
}

/** What one pass over a file found. */
interface Scan {
  bytes: number
  sha256: string
  chain?: ChainVerdict
  /**
   * For export-log.jsonl: SHA-256 and size of the export-log.csv its entries imply (undefined
   * when a line did not parse or was too long: the chain check names the log then).
   */
  impliedCsv?: { sha256: string; bytes: number }
}

const CSV_HEADER = Buffer.from(`${exportLogColumns.join(',')}\r\n`, 'utf8')

/**
 * One pass over a file: SHA-256 and size; for a chained file its chain, each line's exact bytes
 * hashed once (shared/hash-chain.ts chainBytesVerifier); for export-log.jsonl (`csv`) the CSV
 * rows its entries imply, hashed as they are made: export-log.csv matches iff its own SHA-256
 * and size (computed when it is scanned) are these. Nothing is read twice, nothing is
 * re-serialised but the CSV rows.
 */
function scanFile(src: AuditSource, chained: boolean, csv: boolean): Scan {
  let hash = createHash('sha256')
  let bytes = 0
  const hashed = function* (): Generator<Buffer> {
    for (const c of src.chunks()) {
      hash.update(c)
      bytes += c.length
      yield c
    }
  }
  if (!chained) {
    for (const _ of hashed());
    return { bytes, sha256: hash.digest('hex') }
  }
  const chain = chainBytesVerifier()
  let lines = 0
  let unterminated = false
  let tooLong = false
  let csvHash: Hash | undefined
  let csvBytes = 0
  if (csv) {
    csvHash = createHash('sha256').update(CSV_HEADER)
    csvBytes = CSV_HEADER.length
  }
  // CSV rows are gathered into one buffer and hashed in large pieces.
  const rows = csv ? Buffer.allocUnsafe(1 << 20) : Buffer.alloc(0)
  let rowsUsed = 0
  const rowsFlush = () => {
    csvHash!.update(rows.subarray(0, rowsUsed))
    csvBytes += rowsUsed
    rowsUsed = 0
  }
  for (const l of linesOf(hashed())) {
    if ('tooLong' in l) {
      tooLong = true
      csvHash = undefined
      break
    }
    lines++
    if (!l.terminated) unterminated = true
    const parsed = chain.push(l.line)
    if (csvHash) {
      // After a chain failure the rest is not parsed: the chain check names export-log.jsonl and
      // the CSV is not compared with a log that does not verify.
      const entry = parsed?.entry as ExportLogEntry | undefined
      let row: string | undefined
      try {
        if (entry && typeof entry === 'object') row = `${csvRow(entry)}\r\n`
      } catch {
        row = undefined
      }
      if (row === undefined) csvHash = undefined
      else if (row.length * 3 > rows.length - rowsUsed) {
        rowsFlush()
        if (row.length * 3 > rows.length) {
          const b = Buffer.from(row, 'utf8')
          csvHash.update(b)
          csvBytes += b.length
        } else rowsUsed += rows.write(row, rowsUsed, 'utf8')
      } else rowsUsed += rows.write(row, rowsUsed, 'utf8')
    }
  }
  if (tooLong) {
    // The hash and size still cover the whole file: one more pass for them alone.
    hash = createHash('sha256')
    bytes = 0
    for (const _ of hashed());
  }
  let impliedCsv: Scan['impliedCsv']
  if (csvHash) {
    rowsFlush()
    impliedCsv = { sha256: csvHash.digest('hex'), bytes: csvBytes }
  }
  let verdict: ChainVerdict
  if (tooLong) verdict = { ok: false, line: lines + 1, reason: `line longer than ${MAX_LINE_BYTES} bytes` }
  else if (unterminated) verdict = { ok: false, line: lines, reason: 'the last line is not terminated by a newline (truncated or appended to)' }
  else verdict = chain.verdict()
  return { bytes, sha256: hash.digest('hex'), chain: verdict, impliedCsv }
}

/**
 * Verifies the files of an export (name → bytes).
 * @example const v = verifyAuditExport(readAuditExport('bundle.json')); if (!v.ok) for (const p of v.problems) console.error(`${p.file}: ${p.reason}`)
 */
export function verifyAuditExport(files: ReadonlyMap<string, Buffer>, opts: VerifyAuditOptions = {}): AuditVerdict {
  return verifyAuditSources(new Map([...files].map(([n, b]) => [n, bufferSource(b)])), opts)
}

/**
 * Verifies an export folder reading every file in chunks (memory bounded whatever the size).
 * @example const v = verifyAuditDir('out/2026')
 */
export function verifyAuditDir(dir: string, opts: VerifyAuditOptions = {}): AuditVerdict {
  const chunk = opts.chunkBytes ?? 2 ** 20
  const sources = new Map<string, AuditSource>()
  for (const name of readdirSync(dir)) {
    const st = statSync(join(dir, name))
    if (st.isFile()) sources.set(name, fileSource(join(dir, name), st.size, chunk))
  }
  // export-log.jsonl (and export-log.csv's hash) on two threads when it is large; asked for when
  // the verifier gets to it, once.
  let threaded: LogScan | undefined | null = null
  const log = sources.get('export-log.jsonl')
  const pre: PreScan = (name) => {
    if (!log || log.size < (opts.threadFromBytes ?? 16 * 2 ** 20) || (name !== 'export-log.jsonl' && name !== 'export-log.csv')) return undefined
    if (threaded === null)
      threaded = scanLogInThreads(join(dir, 'export-log.jsonl'), sources.has('export-log.csv') ? join(dir, 'export-log.csv') : undefined, CSV_HEADER.toString('utf8'), {
        maxLineBytes: MAX_LINE_BYTES,
        segmentBytes: opts.threadSegmentBytes,
      })
    if (!threaded) return undefined
    return name === 'export-log.jsonl' ? threaded.jsonl : threaded.csv
  }
  return verifySources(sources, opts, pre)
}

/**
 * Verifies an export given as a folder (streamed) or a JSON bundle (as the API serves it).
 * @throws AdxError ADX_ERR_AUDIT_VERIFY when the path is neither.
 * @example const v = verifyAuditPath(process.argv[2])
 */
export function verifyAuditPath(path: string, opts: VerifyAuditOptions = {}): AuditVerdict {
  if (existsSync(path) && statSync(path).isDirectory()) return verifyAuditDir(path, opts)
  return verifyAuditExport(readAuditExport(path), opts)
}

/** Verifies the files of an export given as sources (name → chunks). */
export function verifyAuditSources(files: ReadonlyMap<string, AuditSource>, opts: VerifyAuditOptions = {}): AuditVerdict {
  return verifySources(files, opts, () => undefined)
}

/** verifyAuditSources, taking the scans `pre` has for a file instead of scanning it. */
function verifySources(files: ReadonlyMap<string, AuditSource>, opts: VerifyAuditOptions, pre: PreScan): AuditVerdict {
  const problems: AuditProblem[] = []
  const fail = (file: string, reason: string) => problems.push({ file, reason })
  const manifestSrc = files.get('manifest.json')
  if (!manifestSrc) return { ok: false, problems: [{ file: 'manifest.json', reason: 'missing' }] }
  let m: Manifest
  let manifestBytes: Buffer
  try {
    if (manifestSrc.size > MAX_MANIFEST_BYTES) throw new Error(`larger than ${MAX_MANIFEST_BYTES} bytes`)
    manifestBytes = readWhole(manifestSrc)
    m = JSON.parse(manifestBytes.toString('utf8')) as Manifest
    if (m.format !== AUDIT_FORMAT || !m.files || !m.chains || !m.signer?.publicKeyPem) throw new Error(`not an ${AUDIT_FORMAT} manifest`)
  } catch (e) {
    return { ok: false, problems: [{ file: 'manifest.json', reason: `unreadable: ${(e as Error).message}` }] }
  }

  // Signature over the manifest's exact bytes.
  const sigSrc = files.get('manifest.sig')
  const sigText = sigSrc === undefined ? undefined : sigSrc.size > MAX_MANIFEST_BYTES ? '' : readWhole(sigSrc).toString('utf8')
  let keyId: string | undefined
  try {
    keyId = keyIdFromPem(m.signer.publicKeyPem)
    if (keyId !== m.signer.keyId) fail('manifest.json', `signer.keyId ${m.signer.keyId} is not the key id of signer.publicKeyPem (${keyId})`)
    if (opts.publicKeyPem && keyIdFromPem(opts.publicKeyPem) !== keyId)
      fail('manifest.json', `signed by key ${keyId}, not by the expected key ${keyIdFromPem(opts.publicKeyPem)}`)
  } catch (e) {
    fail('manifest.json', `signer key unusable: ${(e as Error).message}`)
  }
  if (sigText === undefined) fail('manifest.sig', 'missing')
  else {
    const b64 = sigText.endsWith('\n') ? sigText.slice(0, -1) : sigText
    // Canonical base64 only: the last character's unused bits could otherwise change (a changed
    // byte of manifest.sig) and still decode to the same signature.
    const decoded = /^[A-Za-z0-9+/]{86}==$/.test(b64) ? Buffer.from(b64, 'base64') : undefined
    const sig = decoded && decoded.length === 64 && decoded.toString('base64') === b64 ? decoded : undefined
    if (!sig) fail('manifest.sig', 'not a base64 Ed25519 signature')
    else if (keyId && !verifyBytes(m.signer.publicKeyPem, manifestBytes, sig)) {
      // The signature cannot say which of the two changed: name both.
      fail('manifest.json', 'manifest.sig does not verify over it: manifest.json or manifest.sig was altered')
      fail('manifest.sig', 'does not verify over manifest.json: manifest.json or manifest.sig was altered')
    }
  }

  // Every file: present, listed, hash and size; chains and the CSV cross-check in the same pass.
  const scans = new Map<string, Scan>()
  const csv = files.get('export-log.csv')
  const scan = (name: string, src: AuditSource) => {
    let s = scans.get(name)
    if (!s) {
      s = pre(name) ?? scanFile(src, (chainedFiles as readonly string[]).includes(name), name === 'export-log.jsonl' && csv !== undefined)
      scans.set(name, s)
    }
    return s
  }
  for (const name of auditFileNames) if (!m.files[name]) fail(name, 'not listed in the manifest')
  for (const [name, want] of Object.entries(m.files)) {
    const src = files.get(name)
    if (!src) {
      fail(name, 'missing')
      continue
    }
    const s = scan(name, src)
    if (s.bytes !== want.bytes || s.sha256 !== want.sha256) fail(name, `SHA-256 or size differs from the manifest (${s.bytes} bytes, manifest ${want.bytes})`)
  }
  for (const name of files.keys()) if (name !== 'manifest.json' && name !== 'manifest.sig' && !m.files[name]) fail(name, 'not listed in the manifest')

  // Chains and their heads.
  for (const name of chainedFiles) {
    const src = files.get(name)
    if (!src) continue
    const v = scan(name, src).chain!
    const want = m.chains[name]
    if (!v.ok) fail(name, `chain broken at line ${v.line}: ${v.reason}`)
    else if (!want || v.count !== want.count || v.head !== want.head) fail(name, `chain head or length differs from the manifest (${v.count} lines)`)
  }

  // The CSV says what the chained log says.
  const implied = scans.get('export-log.jsonl')?.impliedCsv
  if (csv && implied) {
    const actual = scan('export-log.csv', csv)
    if (actual.sha256 !== implied.sha256 || actual.bytes !== implied.bytes) fail('export-log.csv', 'rows differ from export-log.jsonl')
  }
  return { ok: problems.length === 0, problems, keyId, range: m.range }
}

/** Writes an export's files into a folder (created). */
export function writeAuditDir(dir: string, files: AuditFiles): void {
  mkdirSync(dir, { recursive: true })
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text)
}

/**
 * Reads an export: a folder of files, or a JSON bundle `{ format, files: { name: text } }` as the
 * API serves it.
 * @throws AdxError ADX_ERR_AUDIT_VERIFY when the path is neither.
 */
export function readAuditExport(path: string): Map<string, Buffer> {
  if (!existsSync(path)) throw new AdxError('ADX_ERR_AUDIT_VERIFY', `${path}: no such file or folder`)
  const out = new Map<string, Buffer>()
  if (statSync(path).isDirectory()) {
    for (const name of readdirSync(path)) if (statSync(join(path, name)).isFile()) out.set(name, readFileSync(join(path, name)))
    return out
  }
  let bundle: { format?: string; files?: Record<string, string> }
  try {
    bundle = JSON.parse(readFileSync(path, 'utf8')) as typeof bundle
  } catch {
    throw new AdxError('ADX_ERR_AUDIT_VERIFY', `${path}: neither a folder nor a JSON bundle`)
  }
  if (bundle.format !== AUDIT_BUNDLE_FORMAT || !bundle.files) throw new AdxError('ADX_ERR_AUDIT_VERIFY', `${path}: not an ${AUDIT_BUNDLE_FORMAT} bundle`)
  for (const [name, text] of Object.entries(bundle.files)) out.set(name, Buffer.from(text, 'utf8'))
  return out
}

/** Format id of the JSON bundle the API serves. */
export const AUDIT_BUNDLE_FORMAT = 'adx-audit-bundle/1'
