/**
 * Verifies an audit export: the manifest's signature (and, when given, that it is the expected
 * key), every file's SHA-256 and size, every hash chain and its head, and that export-log.csv
 * says exactly what export-log.jsonl says. Names every file that fails and why.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { AdxError } from '../../shared/errors.ts'
import { type ChainLine, sha256Hex, splitLines, verifyChain } from '../../shared/hash-chain.ts'
import { keyIdFromPem, verifyBytes } from '../../shared/signature.ts'
import type { ExportLogEntry } from './entries.ts'
import { AUDIT_FORMAT, type AuditFiles, auditFileNames, chainedFiles, exportLogCsv } from './export.ts'

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

/**
 * Verifies the files of an export (name → bytes).
 * @example const v = verifyAuditExport(readAuditDir('out/2026')); if (!v.ok) for (const p of v.problems) console.error(`${p.file}: ${p.reason}`)
 */
export function verifyAuditExport(files: ReadonlyMap<string, Buffer>, opts: { publicKeyPem?: string } = {}): AuditVerdict {
  const problems: AuditProblem[] = []
  const fail = (file: string, reason: string) => problems.push({ file, reason })
  const manifestBytes = files.get('manifest.json')
  if (!manifestBytes) return { ok: false, problems: [{ file: 'manifest.json', reason: 'missing' }] }
  let m: Manifest
  try {
    m = JSON.parse(manifestBytes.toString('utf8')) as Manifest
    if (m.format !== AUDIT_FORMAT || !m.files || !m.chains || !m.signer?.publicKeyPem) throw new Error(`not an ${AUDIT_FORMAT} manifest`)
  } catch (e) {
    return { ok: false, problems: [{ file: 'manifest.json', reason: `unreadable: ${(e as Error).message}` }] }
  }

  // Signature over the manifest's exact bytes.
  const sigText = files.get('manifest.sig')?.toString('utf8')
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
    const sig = /^[A-Za-z0-9+/]{86}==$/.test(b64) ? Buffer.from(b64, 'base64') : undefined
    if (!sig) fail('manifest.sig', 'not a base64 Ed25519 signature')
    else if (keyId && !verifyBytes(m.signer.publicKeyPem, manifestBytes, sig)) {
      // The signature cannot say which of the two changed: name both.
      fail('manifest.json', 'manifest.sig does not verify over it: manifest.json or manifest.sig was altered')
      fail('manifest.sig', 'does not verify over manifest.json: manifest.json or manifest.sig was altered')
    }
  }

  // Every file: present, listed, hash and size.
  for (const name of auditFileNames) if (!m.files[name]) fail(name, 'not listed in the manifest')
  for (const [name, want] of Object.entries(m.files)) {
    const bytes = files.get(name)
    if (!bytes) {
      fail(name, 'missing')
      continue
    }
    if (bytes.length !== want.bytes || sha256Hex(bytes) !== want.sha256) fail(name, `SHA-256 or size differs from the manifest (${bytes.length} bytes, manifest ${want.bytes})`)
  }
  for (const name of files.keys()) if (name !== 'manifest.json' && name !== 'manifest.sig' && !m.files[name]) fail(name, 'not listed in the manifest')

  // Chains and their heads.
  for (const name of chainedFiles) {
    const bytes = files.get(name)
    if (!bytes) continue
    const v = verifyChain(bytes.toString('utf8'))
    const want = m.chains[name]
    if (!v.ok) fail(name, `chain broken at line ${v.line}: ${v.reason}`)
    else if (!want || v.count !== want.count || v.head !== want.head) fail(name, `chain head or length differs from the manifest (${v.count} lines)`)
  }

  // The CSV says what the chained log says.
  const csv = files.get('export-log.csv')
  const jsonl = files.get('export-log.jsonl')
  if (csv && jsonl) {
    try {
      const entries = splitLines(jsonl.toString('utf8')).map((l) => (JSON.parse(l) as ChainLine<ExportLogEntry>).entry!)
      if (exportLogCsv(entries) !== csv.toString('utf8')) fail('export-log.csv', 'rows differ from export-log.jsonl')
    } catch {
      // the chain check above already named export-log.jsonl
    }
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
