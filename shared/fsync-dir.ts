/** Directory fsync: makes a created or renamed file's name durable (agent outbox, backend store). */
import { closeSync, fsyncSync, openSync } from 'node:fs'

/** fsync a directory; a no-op where the platform cannot (EISDIR, EPERM, EINVAL). */
export function fsyncDir(dir: string): void {
  let fd = -1
  try {
    fd = openSync(dir, 'r')
    fsyncSync(fd)
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL') throw e // platforms that cannot fsync a directory
  } finally {
    if (fd >= 0) closeSync(fd)
  }
}
