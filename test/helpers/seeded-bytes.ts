/**
 * Deterministic "random" bytes for tests: SHA-256 in counter mode over a per-file label.
 * Detector tests that used `crypto.randomBytes` passed or failed by chance (a random token
 * can look like an identifier once in a few thousand draws); the same bytes every run turn
 * such a test into one that pins behaviour. Statistical properties are checked by the
 * calibration tests over many draws of this stream.
 */
import { createHash } from 'node:crypto'

/** A stream of deterministic bytes; each call returns the next `n`. */
export function seededBytes(label: string): (n: number) => Buffer {
  let counter = 0
  return (n: number): Buffer => {
    const out = Buffer.alloc(n)
    for (let o = 0; o < n; o += 32) {
      createHash('sha256').update(`${label}:${counter++}`).digest().copy(out, o, 0, Math.min(32, n - o))
    }
    return out
  }
}
