/**
 * Where one file of an audit export goes: text appended in order, encoded into one reusable
 * buffer, hashed and handed on chunk by chunk (to a file, or kept in memory for the API bundle).
 */
import { createHash, type Hash } from 'node:crypto'
import { closeSync, openSync, writeSync } from 'node:fs'

/** SHA-256 (hex) and size of a file as written. */
export interface FileDigest {
  sha256: string
  bytes: number
}

/** Where one file of an export goes: text appended in order, then closed. */
export interface FileSink {
  write(text: string): void
  /** Flushes and closes; the file's SHA-256 (hex) and size. */
  end(): FileDigest
}

/**
 * A sink that encodes text straight into one reusable buffer of `chunkBytes`; when it is full the
 * bytes are hashed and handed to `flush` (which must copy them if it keeps them: the buffer is
 * reused). No text outlives its write call, so a long export leaves the young heap nothing to copy.
 * @example const sink = chunkedSink(1 << 20, (b) => chunks.push(Buffer.from(b)))
 */
export function chunkedSink(chunkBytes: number, flush: (b: Buffer) => void, close: () => void = () => {}): FileSink {
  const hash: Hash = createHash('sha256')
  const buf = Buffer.allocUnsafe(Math.max(chunkBytes, 1024))
  let used = 0
  let bytes = 0
  const emit = (b: Buffer) => {
    if (b.length === 0) return
    hash.update(b)
    bytes += b.length
    flush(b)
  }
  const drain = () => {
    emit(buf.subarray(0, used))
    used = 0
  }
  return {
    write(text) {
      // A UTF-16 code unit is at most 3 UTF-8 bytes.
      if (text.length * 3 > buf.length - used) {
        drain()
        if (text.length * 3 > buf.length) {
          emit(Buffer.from(text, 'utf8'))
          return
        }
      }
      used += buf.write(text, used, 'utf8')
    },
    end() {
      drain()
      close()
      return { sha256: hash.digest('hex'), bytes }
    },
  }
}

/**
 * A sink writing to a file (created or truncated), chunk by chunk; its descriptor is kept in
 * `open` until it is ended, so a failed export can close what is left.
 * @example const sink = fileSink('out/.summary.json.partial', 4 << 20, fds)
 */
export function fileSink(path: string, chunkBytes: number, open: Set<number>): FileSink {
  const fd = openSync(path, 'w')
  open.add(fd)
  return chunkedSink(
    chunkBytes,
    (b) => {
      for (let off = 0; off < b.length; ) off += writeSync(fd, b, off, b.length - off)
    },
    () => {
      open.delete(fd)
      closeSync(fd)
    },
  )
}
