/**
 * Single-owner lock for an outbox file, and recovery of the lock node-sqlite3-wasm leaves
 * behind when its process dies.
 *
 * node-sqlite3-wasm locks a database by creating the directory `<db>.lock` (mkdir) and removes
 * it on unlock. A process killed while it holds the lock (always, in the EXCLUSIVE locking mode
 * the outbox uses) leaves that directory behind, and every later open fails with "database is
 * locked" forever. To tell a stale lock from a live one, the outbox writes `<db>.owner` before
 * opening the database: pid, Linux boot id and the process start time. On open, an owner file
 * whose process is gone (dead pid, other boot, or pid reused by a younger process) is stale:
 * it is taken over and the `.lock` directory is removed. A live owner makes open fail with
 * ADX_ERR_OUTBOX_LOCKED.
 */
import { closeSync, existsSync, linkSync, openSync, readdirSync, readFileSync, renameSync, rmdirSync, unlinkSync, writeSync, fsyncSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { basename, dirname, join } from 'node:path'
import { OutboxError } from './errors.ts'

/** Who owns an outbox file. */
export interface OwnerRecord {
  pid: number
  /** /proc/sys/kernel/random/boot_id, or '' where there is no /proc. */
  bootId: string
  /** Process start time in clock ticks since boot (/proc/<pid>/stat field 22), or -1. */
  startTicks: number
}

/** A held owner lock: release() it after closing the database. */
export interface OwnerLock {
  readonly ownerPath: string
  /** True when a stale owner (a crashed process) was taken over. */
  readonly tookOver: boolean
  release(): void
}

function readBootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()
  } catch {
    return ''
  }
}

function readStartTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // comm (field 2) may contain spaces and parentheses: fields after it follow the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const ticks = Number(rest[19]) // field 22 overall; rest[0] is field 3
    return Number.isFinite(ticks) ? ticks : -1
  } catch {
    return -1
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM' // exists, owned by someone else
  }
}

/** The record describing the current process. */
export function currentOwner(): OwnerRecord {
  return { pid: process.pid, bootId: readBootId(), startTicks: readStartTicks(process.pid) }
}

/** True when the process described by `rec` is still running (conservative when unsure). */
export function ownerAlive(rec: OwnerRecord): boolean {
  const bootId = readBootId()
  if (rec.bootId && bootId && rec.bootId !== bootId) return false // written before a reboot
  if (!pidAlive(rec.pid)) return false
  if (rec.startTicks >= 0) {
    const now = readStartTicks(rec.pid)
    if (now >= 0 && now !== rec.startTicks) return false // pid reused by another process
  }
  return true
}

function parseOwner(text: string): OwnerRecord | null {
  try {
    const v = JSON.parse(text) as Partial<OwnerRecord>
    if (typeof v.pid !== 'number' || !Number.isInteger(v.pid) || v.pid <= 0) return null
    return { pid: v.pid, bootId: typeof v.bootId === 'string' ? v.bootId : '', startTicks: typeof v.startTicks === 'number' ? v.startTicks : -1 }
  } catch {
    return null
  }
}

/** Create `path` with `content` atomically: readers see either no file or the whole content. */
function createAtomically(path: string, content: string): boolean {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`
  const fd = openSync(tmp, 'wx')
  try {
    writeSync(fd, content)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  try {
    linkSync(tmp, path) // fails with EEXIST instead of replacing: an atomic create-if-absent
    return true
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw e
  } finally {
    unlinkSync(tmp)
  }
}

function removeIfPresent(fn: () => void): void {
  try {
    fn()
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
  }
}

/** Remove `<owner>.tmp-<pid>-*` / `<owner>.stale-<pid>-*` files left by processes that died mid-way. */
function sweepLitter(ownerPath: string): void {
  const dir = dirname(ownerPath)
  const prefix = `${basename(ownerPath)}.`
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return
  }
  for (const name of names) {
    const m = name.startsWith(prefix) ? /^(?:tmp|stale)-(\d+)-[0-9a-f]+$/.exec(name.slice(prefix.length)) : null
    if (!m) continue
    const pid = Number(m[1])
    if (pid !== process.pid && !pidAlive(pid)) removeIfPresent(() => unlinkSync(join(dir, name)))
  }
}

/**
 * Become the owner of `dbPath`, taking over from a dead owner (and removing the stale
 * `<db>.lock` directory it left). Throws ADX_ERR_OUTBOX_LOCKED when a live process owns it, or
 * when `<db>.lock` exists without any owner file (some other program has the database open).
 */
export function acquireOwnerLock(dbPath: string): OwnerLock {
  const ownerPath = `${dbPath}.owner`
  const sqliteLockDir = `${dbPath}.lock`
  const me = currentOwner()
  let tookOver = false
  for (let round = 0; round < 20; round++) {
    let text: string
    try {
      text = readFileSync(ownerPath, 'utf8')
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
      // No owner. A `.lock` directory now belongs to a program that is not an outbox.
      if (existsSync(sqliteLockDir)) {
        throw new OutboxError('ADX_ERR_OUTBOX_LOCKED', `${sqliteLockDir} exists but no outbox owns ${dbPath}`)
      }
      if (createAtomically(ownerPath, JSON.stringify(me))) {
        sweepLitter(ownerPath)
        return {
          ownerPath,
          tookOver,
          release: () => removeIfPresent(() => unlinkSync(ownerPath)),
        }
      }
      continue // lost a race with another opener: look again
    }
    const rec = parseOwner(text)
    // Our own pid in the record is either this very process (opened twice) or a dead process
    // whose pid we inherited (typical after a reboot on a box with a deterministic boot).
    const isSelf = rec !== null && rec.pid === me.pid && rec.bootId === me.bootId && rec.startTicks === me.startTicks
    if (rec && (isSelf || (rec.pid !== me.pid && ownerAlive(rec)))) {
      throw new OutboxError('ADX_ERR_OUTBOX_LOCKED', `${dbPath} is open in process ${rec.pid}`, [`pid=${rec.pid}`])
    }
    // Stale owner. Move its file aside first: of two processes taking over, only one renames it.
    const aside = `${ownerPath}.stale-${process.pid}-${randomBytes(4).toString('hex')}`
    try {
      renameSync(ownerPath, aside)
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue
      throw e
    }
    removeIfPresent(() => rmdirSync(sqliteLockDir))
    removeIfPresent(() => unlinkSync(aside))
    tookOver = true
  }
  throw new OutboxError('ADX_ERR_OUTBOX_LOCKED', `${dbPath}: could not settle ownership (contended)`)
}
