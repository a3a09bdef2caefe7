/**
 * SSH wire-format keys (not DER): the binary that `ssh-rsa AAAAB3NzaC1yc2E...` and the body of
 * an `OPENSSH PRIVATE KEY` PEM decode to. Recognised by structure:
 *
 *   ssh-public        string keytype ("ssh-*", "ecdsa-sha2-*", "sk-*"), then the type's fields:
 *                     ssh-rsa: mpint e, mpint n; ssh-ed25519 / ssh-ed448: string key;
 *                     ecdsa-sha2-*: string curve, string Q; ssh-dss: 4 mpints; others: >= 1 string.
 *   openssh-private   "openssh-key-v1\0" string cipher, string kdf, string kdfopts,
 *                     uint32 nkeys (1..16), nkeys x string pubkey, string private-section.
 */

export type SshKind = 'ssh-public' | 'openssh-private'

export interface SshHit {
  kind: SshKind
  start: number
  end: number
}

const MAGIC = [0x6f, 0x70, 0x65, 0x6e, 0x73, 0x73, 0x68, 0x2d, 0x6b, 0x65, 0x79, 0x2d, 0x76, 0x31, 0x00] // openssh-key-v1\0

function u32(b: Uint8Array, p: number): number {
  return ((b[p]! << 24) >>> 0) + (b[p + 1]! << 16) + (b[p + 2]! << 8) + b[p + 3]!
}

/** End of an SSH `string` at p, or -1. */
function str(b: Uint8Array, p: number, maxLen: number): number {
  if (p + 4 > b.length) return -1
  const l = u32(b, p)
  if (l > maxLen || p + 4 + l > b.length) return -1
  return p + 4 + l
}

function startsWithAscii(b: Uint8Array, p: number, end: number, s: string): boolean {
  if (end - p < s.length) return false
  for (let i = 0; i < s.length; i++) if (b[p + i] !== s.charCodeAt(i)) return false
  return true
}

function printableName(b: Uint8Array, p: number, end: number): boolean {
  for (let i = p; i < end; i++) {
    const c = b[i]!
    if (c < 0x21 || c > 0x7e) return false
  }
  return true
}

/** SSH public key blob at p: returns its end or -1. */
export function sshPublicBlobAt(b: Uint8Array, p: number): number {
  const tEnd = str(b, p, 64)
  if (tEnd < 0) return -1
  const t = p + 4
  if (tEnd - t < 7 || !printableName(b, t, tEnd)) return -1
  const isRsa = startsWithAscii(b, t, tEnd, 'ssh-rsa') && tEnd - t === 7
  const isEd = startsWithAscii(b, t, tEnd, 'ssh-ed25519') || startsWithAscii(b, t, tEnd, 'ssh-ed448')
  const isEcdsa = startsWithAscii(b, t, tEnd, 'ecdsa-sha2-')
  const isDss = startsWithAscii(b, t, tEnd, 'ssh-dss') && tEnd - t === 7
  const isSk = startsWithAscii(b, t, tEnd, 'sk-')
  const isOther = startsWithAscii(b, t, tEnd, 'ssh-')
  if (!(isRsa || isEd || isEcdsa || isDss || isSk || isOther)) return -1
  let q = tEnd
  if (isRsa) {
    q = str(b, q, 16) // e
    if (q < 0) return -1
    const nStart = q
    q = str(b, q, 2048) // n
    if (q < 0 || q - nStart - 4 < 64) return -1
    return q
  }
  if (isDss) {
    for (let k = 0; k < 4; k++) {
      q = str(b, q, 2048)
      if (q < 0) return -1
    }
    return q
  }
  if (isEcdsa) {
    q = str(b, q, 64)
    if (q < 0) return -1
    const qStart = q
    q = str(b, q, 256)
    if (q < 0 || q - qStart - 4 < 32) return -1
    return isSk ? skTail(b, q) : q
  }
  if (isEd) {
    const kStart = q
    q = str(b, q, 128)
    if (q < 0 || q - kStart - 4 < 32) return -1
    return isSk ? skTail(b, q) : q
  }
  // unknown ssh-* / sk-* type: require one more string of >= 16 bytes
  const kStart = q
  q = str(b, q, 4096)
  if (q < 0 || q - kStart - 4 < 16) return -1
  return q
}

function skTail(b: Uint8Array, q: number): number {
  const r = str(b, q, 256) // application string
  return r < 0 ? q : r
}

/** openssh-key-v1 container at p: returns its end, or the end of the buffer when cut off. */
export function opensshPrivateAt(b: Uint8Array, p: number): number {
  for (let i = 0; i < MAGIC.length; i++) if (b[p + i] !== MAGIC[i]) return -1
  let q = p + MAGIC.length
  for (let k = 0; k < 3; k++) {
    q = str(b, q, 1024)
    if (q < 0) return b.length // truncated after the magic: still a private key container
  }
  if (q + 4 > b.length) return b.length
  const n = u32(b, q)
  if (n < 1 || n > 16) return b.length
  q += 4
  for (let k = 0; k < n; k++) {
    q = str(b, q, 8192)
    if (q < 0) return b.length
  }
  q = str(b, q, 1 << 20)
  return q < 0 ? b.length : q
}

/**
 * Find SSH keys in bytes. Public blobs are searched at every `00 00 00 LL` length prefix
 * followed by a plausible type name (cheap gate first), private containers by their magic.
 */
export function findSsh(b: Uint8Array): SshHit[] {
  const out: SshHit[] = []
  const n = b.length
  // private containers
  let i = b.indexOf(0x6f) // 'o'
  while (i >= 0 && i + MAGIC.length <= n) {
    if (b[i + 1] === 0x70 && b[i + 7] === 0x2d) {
      const end = opensshPrivateAt(b, i)
      if (end > 0) {
        out.push({ kind: 'openssh-private', start: i, end })
        i = b.indexOf(0x6f, end)
        continue
      }
    }
    i = b.indexOf(0x6f, i + 1)
  }
  // public blobs: 00 00 00 LL then 's' / 'e' (ssh-*, sk-*, ecdsa-*)
  i = 0
  while (i + 8 <= n) {
    i = b.indexOf(0, i)
    if (i < 0 || i + 8 > n) break
    if (b[i + 1] === 0 && b[i + 2] === 0) {
      const l = b[i + 3]!
      const c0 = b[i + 4]
      if (l >= 7 && l <= 64 && (c0 === 0x73 || c0 === 0x65)) {
        const end = sshPublicBlobAt(b, i)
        if (end > 0 && !overlaps(out, i, end)) {
          out.push({ kind: 'ssh-public', start: i, end })
          i = end
          continue
        }
      }
    }
    i++
  }
  out.sort((a, b2) => a.start - b2.start)
  return out
}

function overlaps(hits: SshHit[], s: number, e: number): boolean {
  for (const h of hits) if (s < h.end && h.start < e) return true
  return false
}
