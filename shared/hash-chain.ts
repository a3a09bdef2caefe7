/**
 * Hash-chained JSON lines: an append-only log whose lines each carry `prev` (the `hash` of the
 * line before; 64 zeros for the first) and `hash` (SHA-256 over the line's canonical JSON without
 * `hash`). Canonical JSON sorts object keys and has no whitespace; a line's text must BE the
 * canonical JSON of its object, so any change to any byte of a line is caught.
 *
 * Pruning (retention) replaces the oldest lines by ONE checkpoint line at the top of the file:
 * `{ checkpoint: { prunedCount, head, seq }, … }` where `head` is the hash of the last pruned
 * line and `seq` its sequence number. The first kept line's `prev` then equals the checkpoint's
 * `head`, so the rest still verifies; a checkpoint may be signed (Ed25519 over its hash) so that
 * nobody can cut the head of a log and forge one.
 *
 * Pure except `ChainFile`, which appends to and prunes a file under a lock directory.
 */
import * as nodeCrypto from 'node:crypto'
import { createHash } from 'node:crypto'
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmdirSync, rmSync, statSync, writeSync } from 'node:fs'
import { dirname } from 'node:path'
import { AdxError } from './errors.ts'
import { signBytes, verifyBytes } from './signature.ts'

/** `prev` of the first line of a chain that was never pruned. */
export const GENESIS = '0'.repeat(64)

/** One line of a chain. */
export interface ChainLine<E = Record<string, unknown>> {
  /** 1 for the first line ever written; +1 per line; pruning does not renumber. */
  seq: number
  /** When the line was appended (epoch ms). */
  at: number
  entry?: E
  checkpoint?: Checkpoint
  prev: string
  hash: string
}

/** What a checkpoint line says about the lines it replaced. */
export interface Checkpoint {
  /** Lines pruned since the chain began (all prunings together). */
  prunedCount: number
  /** Hash of the last pruned line: the first kept line's `prev`. */
  head: string
  /** Ed25519 key id and signature (hex) over the checkpoint line's hash, when signed. */
  keyId?: string
  sig?: string
}

/** Where a chain stands after verification. */
export type ChainVerdict =
  | { ok: true; count: number; head: string; lastSeq: number; prunedCount: number }
  | { ok: false; /** 1-based line number. */ line: number; reason: string }

/** The JSON of a value with object keys sorted, no whitespace. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value))
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys)
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {}
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k]
      if (x !== undefined) out[k] = sortKeys(x)
    }
    return out
  }
  return v
}

// crypto.hash (one shot, Node >= 20.12) is much cheaper than createHash for short inputs; the
// agent also runs on Node 18, which lacks it.
const oneShot = (nodeCrypto as { hash?: (alg: string, data: string | Uint8Array, enc: 'hex') => string }).hash

/** Hex SHA-256 of a string or bytes. */
export function sha256Hex(data: string | Uint8Array): string {
  return oneShot ? oneShot('sha256', data, 'hex') : createHash('sha256').update(data).digest('hex')
}

/** The hash a line must carry: SHA-256 over its canonical JSON without `hash`. */
export function lineHash(line: Omit<ChainLine<unknown>, 'hash'> & { hash?: string }): string {
  const { hash: _h, ...rest } = line
  return sha256Hex(canonicalJson(rest))
}

/** Where the next line continues from. */
export interface ChainTip {
  seq: number
  hash: string
}

/** The tip of an empty chain. */
export const EMPTY_TIP: ChainTip = { seq: 0, hash: GENESIS }

/**
 * Builds the next line after `tip`.
 * @example const l = chainLine(EMPTY_TIP, { event: 'detected' }, Date.now()); text = serializeLine(l)
 */
export function chainLine<E>(tip: ChainTip, entry: E, at: number): ChainLine<E> {
  const base = { seq: tip.seq + 1, at, entry, prev: tip.hash }
  return { ...base, hash: lineHash(base) }
}

/**
 * The next line after `tip` as text, given its entry's canonical JSON: exactly
 * `serializeLine(chainLine(tip, entry, at))` when `entryJson === canonicalJson(entry)` (and the
 * entry is not undefined), without serialising anything twice. For writers of long chains.
 * @example const { text, tip: next } = chainLineText(tip, canonicalJson(entry), Date.now())
 */
export function chainLineText(tip: ChainTip, entryJson: string, at: number): { text: string; tip: ChainTip } {
  // Canonical key order of a line: at, entry, hash, prev, seq.
  const seq = tip.seq + 1
  const head = `{"at":${JSON.stringify(at)},"entry":${entryJson}`
  const tail = `"prev":${JSON.stringify(tip.hash)},"seq":${seq}}`
  const hash = sha256Hex(`${head},${tail}`)
  return { text: `${head},"hash":"${hash}",${tail}`, tip: { seq, hash } }
}

/** Builds lines for entries from `tip` on; returns the lines and the new tip. */
export function chainLines<E>(tip: ChainTip, entries: readonly E[], at: number): { lines: ChainLine<E>[]; tip: ChainTip } {
  const lines: ChainLine<E>[] = []
  let t = tip
  for (const e of entries) {
    const l = chainLine(t, e, at)
    lines.push(l)
    t = { seq: l.seq, hash: l.hash }
  }
  return { lines, tip: t }
}

/** A line's text (canonical JSON, no newline). */
export function serializeLine(line: ChainLine<unknown>): string {
  return canonicalJson(line)
}

/** A signer for checkpoints. */
export interface CheckpointSigner {
  privateKeyPem: string
  keyId: string
}

function checkpointLine(pruned: ChainLine<unknown>, prunedCount: number, at: number, signer?: CheckpointSigner): ChainLine<unknown> {
  const checkpoint: Checkpoint = { prunedCount, head: pruned.hash }
  if (signer) checkpoint.keyId = signer.keyId
  const base = { seq: pruned.seq, at, checkpoint, prev: pruned.hash }
  // The signature covers the line without it; the line's hash covers the signature too.
  if (signer) checkpoint.sig = Buffer.from(signBytes(signer.privateKeyPem, Buffer.from(lineHash(base), 'utf8'))).toString('hex')
  return { ...base, hash: lineHash(base) }
}

/** Hash a checkpoint line's signature covers (its hash computed without `sig`). */
function checkpointSignedHash(l: ChainLine<unknown>): string {
  const { sig: _s, ...cp } = l.checkpoint!
  return lineHash({ seq: l.seq, at: l.at, checkpoint: cp, prev: l.prev })
}

/**
 * Drops the lines that `prune(line)` selects from the START of the chain (stopping at the first
 * line it keeps) and puts one checkpoint line in their place. Returns the lines unchanged when
 * nothing is pruned. The newest line is never pruned, so the chain's head stays on file.
 * @example pruneLines(lines, (l) => l.at < cutoffMs, Date.now(), signer)
 */
export function pruneLines(
  texts: readonly string[],
  prune: (line: ChainLine<unknown>) => boolean,
  at: number,
  signer?: CheckpointSigner,
): { lines: string[]; pruned: number } {
  // Parse only as far as the first kept line: a long log is not parsed whole.
  const at_ = (i: number) => JSON.parse(texts[i]!) as ChainLine<unknown>
  let prior = 0
  let start = 0
  const first = texts.length ? at_(0) : undefined
  if (first?.checkpoint) {
    prior = first.checkpoint.prunedCount
    start = 1
  }
  let n = 0
  let last: ChainLine<unknown> | undefined
  for (let i = start; i < texts.length - 1; i++) {
    const l = at_(i)
    if (!prune(l)) break
    last = l
    n++
  }
  if (n === 0 || !last) return { lines: [...texts], pruned: 0 }
  const cp = checkpointLine(last, prior + n, at, signer)
  return { lines: [serializeLine(cp), ...texts.slice(start + n)], pruned: n }
}

/** Splits file text into lines; a final newline is expected and not a line. */
export function splitLines(text: string): string[] {
  if (text === '') return []
  const lines = text.split('\n')
  if (lines[lines.length - 1] === '') lines.pop()
  return lines
}

/** Options of verifyChain. */
export interface VerifyChainOptions {
  /** Checkpoint lines must be signed by this key (SPKI PEM); unsigned ones fail. */
  publicKeyPem?: string
}

/**
 * Verifies a chain given as lines (or file text); names the first bad line (1-based).
 * @example const v = verifyChain(readFileSync(f, 'utf8')); if (!v.ok) console.error(`line ${v.line}: ${v.reason}`)
 */
export function verifyChain(input: string | readonly string[], opts: VerifyChainOptions = {}): ChainVerdict {
  let texts: readonly string[]
  if (typeof input === 'string') {
    if (input !== '' && !input.endsWith('\n')) {
      const n = splitLines(input).length
      return { ok: false, line: n, reason: 'the last line is not terminated by a newline (truncated or appended to)' }
    }
    texts = splitLines(input)
  } else texts = input
  const v = chainVerifier(opts)
  for (const text of texts) if (!v.push(text)) break
  return v.verdict()
}

/** An incremental chain verifier: lines in order, one at a time (bounded memory). */
export interface ChainVerifier {
  /** Checks the next line; false once the chain has failed (further lines are ignored). */
  push(text: string): boolean
  /** The verdict over the lines pushed so far. */
  verdict(): ChainVerdict
}

/**
 * Verifies a chain line by line, as verifyChain does over a whole text.
 * @example const v = chainVerifier(); for await (const l of lines) if (!v.push(l)) break; v.verdict()
 */
export function chainVerifier(opts: VerifyChainOptions = {}): ChainVerifier {
  let tip: ChainTip = EMPTY_TIP
  let prunedCount = 0
  let i = 0
  let failed: ChainVerdict | undefined
  const check = (text: string, n: number): ChainVerdict | undefined => {
    let l: ChainLine<unknown>
    try {
      l = JSON.parse(text) as ChainLine<unknown>
    } catch {
      return { ok: false, line: n, reason: 'not JSON' }
    }
    if (!l || typeof l !== 'object' || Array.isArray(l)) return { ok: false, line: n, reason: 'not a JSON object' }
    if (canonicalJson(l) !== text) return { ok: false, line: n, reason: 'not in canonical form (altered)' }
    if (typeof l.hash !== 'string' || lineHash(l) !== l.hash) return { ok: false, line: n, reason: 'hash does not match the line' }
    if (!Number.isSafeInteger(l.seq) || typeof l.at !== 'number') return { ok: false, line: n, reason: 'seq or at missing' }
    if (l.checkpoint) {
      if (n !== 1) return { ok: false, line: n, reason: 'a checkpoint line may only be the first line' }
      const cp = l.checkpoint
      if (!Number.isSafeInteger(cp.prunedCount) || cp.prunedCount < 1 || cp.head !== l.prev || l.seq < cp.prunedCount)
        return { ok: false, line: n, reason: 'checkpoint is inconsistent' }
      if (opts.publicKeyPem) {
        const sig = typeof cp.sig === 'string' && /^[0-9a-f]{128}$/.test(cp.sig) ? Buffer.from(cp.sig, 'hex') : undefined
        if (!sig || !verifyBytes(opts.publicKeyPem, Buffer.from(checkpointSignedHash(l), 'utf8'), sig))
          return { ok: false, line: n, reason: 'checkpoint signature is missing or invalid' }
      }
      prunedCount = cp.prunedCount
      // The next line continues from the pruned head, not from the checkpoint's own hash.
      tip = { seq: l.seq, hash: cp.head }
      return undefined
    }
    if (l.prev !== tip.hash) return { ok: false, line: n, reason: n === 1 ? 'first line does not start the chain (lines before it are missing)' : 'prev does not match the previous line (a line is missing, inserted or moved)' }
    if (l.seq !== tip.seq + 1) return { ok: false, line: n, reason: `seq ${l.seq} does not follow ${tip.seq}` }
    tip = { seq: l.seq, hash: l.hash }
    return undefined
  }
  return {
    push(text) {
      if (failed) return false
      failed = check(text, ++i)
      return !failed
    },
    verdict: () => failed ?? { ok: true, count: i, head: tip.hash, lastSeq: tip.seq, prunedCount },
  }
}

/** An incremental verifier over each line's exact bytes (see chainBytesVerifier). */
export interface ChainBytesVerifier {
  /**
   * Checks the next line (its bytes, without the newline); returns the parsed line, or undefined
   * once the chain has failed (further lines are ignored).
   */
  push(line: Uint8Array): ChainLine<unknown> | undefined
  /** The verdict over the lines pushed so far. */
  verdict(): ChainVerdict
}

const HASH_MEMBER = 8 + 64 + 2 // "hash":"<64 hex>",

/**
 * Verifies a chain line by line like chainVerifier, but hashes each line's exact bytes instead of
 * re-serialising it: a line's `hash` must be the SHA-256 of the line's bytes with its
 * `"hash":"…",` member taken out, and the line must end `"hash":"<64 hex>","prev":"<64 hex>","seq":<n>}`
 * (the canonical layout: at, entry, hash, prev, seq). For a line in canonical form that is the
 * very hash chainLine computed (canonical JSON without `hash`), so both verifiers accept the same
 * chains as written; a changed byte anywhere in a line changes the bytes hashed and fails.
 * Checkpoint lines (pruned logs) are checked as chainVerifier checks them. With `after`, the lines
 * are checked as the continuation of a chain whose last line so far is `after` (line numbers in
 * the verdict count from the first line pushed).
 * @example const v = chainBytesVerifier(); for (const l of lines) if (!v.push(l)) break; v.verdict()
 */
export function chainBytesVerifier(opts: VerifyChainOptions & { after?: ChainTip } = {}): ChainBytesVerifier {
  // `after`: the lines continue a chain from this tip (a later piece of a file checked in pieces);
  // no line of them may then be a checkpoint.
  let tip: ChainTip = opts.after ?? EMPTY_TIP
  let i = 0
  let failed: ChainVerdict | undefined
  let scratch = Buffer.allocUnsafe(4096)
  // A chain that starts with a checkpoint (a pruned live log) goes through the text verifier.
  let generic: ChainVerifier | undefined
  const fail = (line: number, reason: string) => {
    failed = { ok: false, line, reason }
    return undefined
  }
  return {
    push(bytes) {
      if (failed) return undefined
      const n = ++i
      const b = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
      const text = b.toString('utf8')
      if (n === 1 && !opts.after && text.startsWith('{"at":') && text.includes('"checkpoint":')) generic = chainVerifier(opts)
      if (generic) {
        if (!generic.push(text)) {
          failed = generic.verdict()
          return undefined
        }
        return JSON.parse(text) as ChainLine<unknown>
      }
      let l: ChainLine<unknown>
      try {
        l = JSON.parse(text) as ChainLine<unknown>
      } catch {
        return fail(n, 'not JSON')
      }
      if (!l || typeof l !== 'object' || Array.isArray(l)) return fail(n, 'not a JSON object')
      if (l.checkpoint !== undefined) return fail(n, 'a checkpoint line may only be the first line')
      if (typeof l.hash !== 'string' || typeof l.prev !== 'string' || !Number.isSafeInteger(l.seq) || typeof l.at !== 'number') return fail(n, 'seq or at missing')
      const tail = `"hash":"${l.hash}","prev":"${l.prev}","seq":${l.seq}}`
      const off = b.length - tail.length
      if (l.hash.length !== 64 || off < 1 || b[off - 1] !== 44 || b.toString('latin1', off, b.length) !== tail) return fail(n, 'not in canonical form (altered)')
      const len = b.length - HASH_MEMBER
      if (scratch.length < len) scratch = Buffer.allocUnsafe(Math.max(len, scratch.length * 2))
      b.copy(scratch, 0, 0, off)
      b.copy(scratch, off, off + HASH_MEMBER)
      if (sha256Hex(scratch.subarray(0, len)) !== l.hash) return fail(n, 'hash does not match the line')
      if (l.prev !== tip.hash)
        return fail(n, n === 1 && !opts.after ? 'first line does not start the chain (lines before it are missing)' : 'prev does not match the previous line (a line is missing, inserted or moved)')
      if (l.seq !== tip.seq + 1) return fail(n, `seq ${l.seq} does not follow ${tip.seq}`)
      tip = { seq: l.seq, hash: l.hash }
      return l
    },
    verdict: () => {
      if (failed) return failed
      if (generic) return generic.verdict()
      return { ok: true, count: i, head: tip.hash, lastSeq: tip.seq, prunedCount: 0 }
    },
  }
}

/** Tip after the last line of verified-or-trusted lines (for appending). */
export function tipOf(texts: readonly string[]): ChainTip {
  const last = texts[texts.length - 1]
  if (!last) return EMPTY_TIP
  const l = JSON.parse(last) as ChainLine<unknown>
  return l.checkpoint ? { seq: l.seq, hash: l.checkpoint.head } : { seq: l.seq, hash: l.hash }
}

const sleepSync = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)

/**
 * One chain file, shared safely by several processes (the backend and `adx` commands): every
 * append and prune runs under a lock directory `<file>.lock`, reads the tip from the file and
 * writes with fsync. A lock older than `staleLockMs` is a crash leftover and is removed.
 */
export class ChainFile {
  constructor(
    readonly path: string,
    private readonly opts: { staleLockMs?: number; lockTimeoutMs?: number } = {},
  ) {
    mkdirSync(dirname(path), { recursive: true })
  }

  /** Runs fn holding the file's lock. */
  locked<T>(fn: () => T): T {
    const lock = `${this.path}.lock`
    const start = Date.now()
    for (;;) {
      try {
        mkdirSync(lock)
        break
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
        try {
          if (Date.now() - statSync(lock).mtimeMs > (this.opts.staleLockMs ?? 30_000)) rmSync(lock, { recursive: true, force: true })
        } catch {
          // gone meanwhile
        }
        if (Date.now() - start > (this.opts.lockTimeoutMs ?? 15_000)) throw new AdxError('ADX_ERR_LOG_LOCKED', lock)
        sleepSync(5)
      }
    }
    try {
      return fn()
    } finally {
      // The lock is an empty directory: rmdir, not rmSync's recursive walk (a third of the
      // export-log pump's file-system time per append).
      try {
        rmdirSync(lock)
      } catch {
        rmSync(lock, { recursive: true, force: true })
      }
    }
  }

  /** Lines on file. */
  read(): string[] {
    return existsSync(this.path) ? splitLines(readFileSync(this.path, 'utf8')) : []
  }

  /** The last line on file, read from the tail only (undefined when empty). */
  lastLine(): string | undefined {
    if (!existsSync(this.path)) return undefined
    const size = statSync(this.path).size
    if (size === 0) return undefined
    const fd = openSync(this.path, 'r')
    try {
      for (let chunk = 64 * 1024; ; chunk *= 4) {
        const start = Math.max(0, size - chunk)
        const buf = Buffer.alloc(size - start)
        readSync(fd, buf, 0, buf.length, start)
        const text = buf.toString('utf8')
        const body = text.endsWith('\n') ? text.slice(0, -1) : text
        const nl = body.lastIndexOf('\n')
        if (nl >= 0) return body.slice(nl + 1)
        if (start === 0) return body
      }
    } finally {
      closeSync(fd)
    }
  }

  /**
   * Appends entries built from the tip (under the lock). `build` sees the last line (to resume
   * a cursor) and returns the entries to append.
   */
  append<E>(build: (last: ChainLine<E> | undefined) => readonly E[], at: number): ChainLine<E>[] {
    return this.locked(() => {
      const lastText = this.lastLine()
      const last = lastText ? (JSON.parse(lastText) as ChainLine<E>) : undefined
      const entries = build(last)
      if (entries.length === 0) return []
      const { lines } = chainLines(tipOf(lastText ? [lastText] : []), entries, at)
      const fd = openSync(this.path, 'a')
      try {
        writeSync(fd, lines.map((l) => `${serializeLine(l)}\n`).join(''))
        fsyncSync(fd)
      } finally {
        closeSync(fd)
      }
      return lines
    })
  }

  /**
   * `append` for entries given as their canonical JSON (`canonicalJson(entry)`, e.g. from a
   * writer specialised for one kind of entry): the same lines, byte for byte (chainLineText),
   * without sorting and serialising each entry twice. Returns the lines' texts (no newline).
   */
  appendJson<E>(build: (last: ChainLine<E> | undefined) => readonly string[], at: number): string[] {
    return this.locked(() => {
      const lastText = this.lastLine()
      const last = lastText ? (JSON.parse(lastText) as ChainLine<E>) : undefined
      const jsons = build(last)
      if (jsons.length === 0) return []
      let tip = tipOf(lastText ? [lastText] : [])
      const texts: string[] = []
      for (const json of jsons) {
        const next = chainLineText(tip, json, at)
        texts.push(next.text)
        tip = next.tip
      }
      const fd = openSync(this.path, 'a')
      try {
        writeSync(fd, `${texts.join('\n')}\n`)
        fsyncSync(fd)
      } finally {
        closeSync(fd)
      }
      return texts
    })
  }

  /** Prunes lines selected from the start (see pruneLines); rewrites the file atomically. */
  prune(select: (line: ChainLine<unknown>) => boolean, at: number, signer?: CheckpointSigner): number {
    return this.locked(() => {
      const texts = this.read()
      const { lines, pruned } = pruneLines(texts, select, at, signer)
      if (pruned === 0) return 0
      const tmp = `${this.path}.tmp`
      const fd = openSync(tmp, 'w')
      try {
        writeSync(fd, lines.map((l) => `${l}\n`).join(''))
        fsyncSync(fd)
      } finally {
        closeSync(fd)
      }
      renameSync(tmp, this.path)
      return pruned
    })
  }

  /** Verifies the file. */
  verify(opts: VerifyChainOptions = {}): ChainVerdict {
    return verifyChain(existsSync(this.path) ? readFileSync(this.path, 'utf8') : '', opts)
  }
}
