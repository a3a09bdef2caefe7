/**
 * Tiny decoding helpers shared by the detectors (no dependencies, tolerant decoders).
 */

/** base64 value of a char code, accepting both alphabets ('+' '-' = 62, '/' '_' = 63); -1 otherwise. */
export const B64_VALUE: Int8Array = (() => {
  const t = new Int8Array(128).fill(-1)
  const a = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
  for (let i = 0; i < a.length; i++) t[a.charCodeAt(i)] = i
  t[43] = 62 // +
  t[45] = 62 // -
  t[47] = 63 // /
  t[95] = 63 // _
  return t
})()

/** Hex digit value or -1. */
export function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48
  const l = c | 0x20
  if (l >= 97 && l <= 102) return l - 87
  return -1
}

/**
 * Decode a sequence of 6-bit values (vals[from..to)) into bytes; trailing bits that do not
 * make a whole byte are dropped.
 */
export function decodeSextets(vals: Uint8Array, from: number, to: number): Uint8Array {
  const out = new Uint8Array((Math.max(0, to - from) * 6) >> 3)
  const o = sextetsInto(vals, from, to, out)
  return o === out.length ? out : out.subarray(0, o)
}

/** Decode 6-bit values vals[from..to) into `out` (room for (to-from)*6/8 bytes); returns the byte count. */
export function sextetsInto(vals: Uint8Array, from: number, to: number, out: Uint8Array): number {
  let o = 0
  let acc = 0
  let bits = 0
  for (let i = from; i < to; i++) {
    acc = ((acc << 6) | vals[i]!) & 0xffffff
    bits += 6
    if (bits >= 8) {
      bits -= 8
      out[o++] = (acc >> bits) & 0xff
    }
  }
  return o
}

/** Decode base64/base64url text[start..end) (padding and invalid chars skipped). */
export function decodeBase64Range(text: string, start: number, end: number): Uint8Array {
  const vals = new Uint8Array(Math.max(0, end - start))
  let n = 0
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i)
    const v = c < 128 ? B64_VALUE[c]! : -1
    if (v >= 0) vals[n++] = v
  }
  return decodeSextets(vals, 0, n)
}

const utf8 = new TextDecoder('utf-8', { ignoreBOM: true })

/** Is this well-formed UTF-8 (no overlongs, surrogates or values > U+10FFFF)? No exceptions thrown. */
export function isValidUtf8(b: Uint8Array): boolean {
  const n = b.length
  let i = 0
  while (i < n) {
    const c = b[i]!
    if (c < 0x80) {
      i++
      continue
    }
    let need: number
    let min: number
    if (c >= 0xc2 && c <= 0xdf) {
      need = 1
      min = 0x80
    } else if (c >= 0xe0 && c <= 0xef) {
      need = 2
      min = 0x800
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3
      min = 0x10000
    } else return false
    if (i + need >= n) return false
    let cp = c & (0x3f >> need)
    for (let k = 1; k <= need; k++) {
      const d = b[i + k]
      if (d === undefined || (d & 0xc0) !== 0x80) return false
      cp = (cp << 6) | (d & 0x3f)
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false
    i += need + 1
  }
  return true
}

/** Strict UTF-8 decode; undefined when invalid. */
export function utf8OrUndefined(bytes: Uint8Array): string | undefined {
  return isValidUtf8(bytes) ? utf8.decode(bytes) : undefined
}

/** Bytes -> string with one char per byte (indices map 1:1). */
export function latin1(bytes: Uint8Array, start = 0, end = bytes.length): string {
  let s = ''
  const CH = 8192
  for (let i = start; i < end; i += CH) {
    s += String.fromCharCode.apply(null, bytes.subarray(i, Math.min(end, i + CH)) as unknown as number[])
  }
  return s
}

/**
 * The bytes as a string when they are mostly text: at most 2% control bytes (other than
 * TAB/CR/LF) and, when any byte is >= 0x80, valid UTF-8. Pure ASCII is returned 1:1.
 */
export function bytesAsText(b: Uint8Array): { text: string; ascii: boolean } | undefined {
  if (b.length === 0) return undefined
  let ctl = 0
  let high = 0
  const maxCtl = b.length * 0.02
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!
    if (c >= 0x80) high++
    else if ((c < 0x20 && c !== 9 && c !== 10 && c !== 13) || c === 0x7f) {
      if (++ctl > maxCtl) return undefined
    }
  }
  if (high === 0) return { text: latin1(b), ascii: true }
  const t = utf8OrUndefined(b)
  return t === undefined ? undefined : { text: t, ascii: false }
}
