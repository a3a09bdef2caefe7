/**
 * PURE: the catalogue's distinct sets. A year's export counts about 1,000,000 records, each with
 * a vehicle and a few person pseudonyms, and every group counts them distinct. Names are interned
 * once as small integer ids and every group keeps a bitmap of ids, so a record that counts in
 * several groups costs a bit test per group, not a string hash per group.
 *
 * NameTable interns names by their UTF-8 BYTES, where they lie (a record body): no string is
 * made for a name seen before, and a lookup is one probe of a flat table plus one comparison of
 * bytes. A Map<string, number> of 200,000 pseudonyms cost about 0.8 µs per lookup in the export
 * (a fresh string, its hash, and a chain of cache misses through the map and the key strings),
 * 12 % of each export thread.
 */

/** A set of small integer ids (a bitmap). */
export class DistinctIds {
  private bits = new Uint32Array(1024)
  size = 0
  add(id: number): void {
    const w = id >>> 5
    if (w >= this.bits.length) {
      const grown = new Uint32Array(Math.max(w + 1, this.bits.length * 2))
      grown.set(this.bits)
      this.bits = grown
    }
    const m = 1 << (id & 31)
    if ((this.bits[w]! & m) === 0) {
      this.bits[w]! |= m
      this.size++
    }
  }
  /** The ids in the set, ascending. */
  *ids(): Generator<number> {
    for (let w = 0; w < this.bits.length; w++) {
      const v = this.bits[w]!
      if (v !== 0) for (let b = 0; b < 32; b++) if (v & (1 << b)) yield w * 32 + b
    }
  }
}

const EMPTY = -1
/** FNV-1a (32-bit), the names' hash. */
const FNV_OFFSET = 0x811c9dc5 | 0
const FNV_PRIME = 0x01000193

/**
 * Interns names by their UTF-8 bytes as small integer ids (0, 1, 2, … in order of first sight):
 * an open-addressing table of (hash, entry) pairs over an arena of the names' ids and bytes.
 * @example const t = new NameTable(); t.idOfBytes(body, 10, 36) === t.id('psn:phone:…')
 */
export class NameTable {
  /**
   * Slot i: [2i] the name's hash, [2i+1] where its entry starts in the arena (EMPTY: free). An
   * entry is the id (4 bytes), the length (4 bytes) and the bytes of the name: a lookup touches
   * its slot and its entry, two places in memory (a table of 200,000 names is far larger than
   * the caches, and a year's export streams 900 MB past them).
   */
  private slots = new Int32Array(2 * 4096).fill(EMPTY)
  private mask = 4095
  private arena: Buffer = Buffer.allocUnsafeSlow(64 * 1024)
  /** The arena as 32-bit words (entries start on a word). */
  private words = new Int32Array(this.arena.buffer, 0, this.arena.length >> 2)
  private used = 0
  /** Where name id's entry starts in the arena (for name()). */
  private starts = new Int32Array(4096)
  private count = 0
  private scratch: Buffer = Buffer.allocUnsafe(256)

  /** Names interned. */
  get size(): number {
    return this.count
  }

  /**
   * The id of the name whose UTF-8 bytes are b[start, end). Bytes that are not ASCII are read as
   * text first (as a string of them would be, invalid sequences as U+FFFD), so that a name has
   * one id whether it comes as bytes or as a string.
   */
  idOfBytes(b: Uint8Array, start: number, end: number): number {
    let h = FNV_OFFSET
    let high = 0
    for (let k = start; k < end; k++) {
      const c = b[k]!
      high |= c
      h = Math.imul(h ^ c, FNV_PRIME)
    }
    if (high >= 128) return this.id(Buffer.from(b.buffer, b.byteOffset + start, end - start).toString('utf8'))
    return this.probe(b, start, end, h)
  }

  /** The id of a name given as a string. */
  id(s: string): number {
    if (s.length * 3 > this.scratch.length) this.scratch = Buffer.allocUnsafe(s.length * 3)
    const b = this.scratch
    const n = b.write(s, 0, 'utf8')
    let h = FNV_OFFSET
    for (let k = 0; k < n; k++) h = Math.imul(h ^ b[k]!, FNV_PRIME)
    return this.probe(b, 0, n, h)
  }

  /** The id of the name whose bytes (well-formed UTF-8) are b[start, end), h their hash. */
  private probe(b: Uint8Array, start: number, end: number, h: number): number {
    const n = end - start
    const { slots, arena, words, mask } = this
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const at = slots[2 * i + 1]!
      if (at === EMPTY) return this.add(b, start, end, h, i)
      if (slots[2 * i] !== h || words[(at >> 2) + 1] !== n) continue
      const a = at + 8
      let k = 0
      while (k < n && arena[a + k] === b[start + k]) k++
      if (k === n) return words[at >> 2]!
    }
  }

  /** The name of an id. */
  name(id: number): string {
    const at = this.starts[id]!
    return this.arena.toString('utf8', at + 8, at + 8 + this.words[(at >> 2) + 1]!)
  }

  private add(b: Uint8Array, start: number, end: number, h: number, slot: number): number {
    const n = end - start
    // The next entry starts on a word.
    const size = (8 + n + 3) & ~3
    if (this.used + size > this.arena.length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(this.arena.length * 2, this.used + size))
      this.arena.copy(grown, 0, 0, this.used)
      this.arena = grown
      this.words = new Int32Array(grown.buffer, 0, grown.length >> 2)
    }
    const id = this.count++
    const at = this.used
    this.words[at >> 2] = id
    this.words[(at >> 2) + 1] = n
    this.arena.set(b.subarray(start, end), at + 8)
    this.used += size
    if (id + 1 > this.starts.length) {
      const grown = new Int32Array(this.starts.length * 2)
      grown.set(this.starts)
      this.starts = grown
    }
    this.starts[id] = at
    this.slots[2 * slot] = h
    this.slots[2 * slot + 1] = at
    // At most half full: probes stay short.
    if (this.count * 2 > this.mask) this.grow()
    return id
  }

  private grow(): void {
    const old = this.slots
    this.mask = this.mask * 2 + 1
    const slots = new Int32Array(2 * (this.mask + 1)).fill(EMPTY)
    for (let j = 0; j < old.length; j += 2) {
      const at = old[j + 1]!
      if (at === EMPTY) continue
      let i = old[j]! & this.mask
      while (slots[2 * i + 1] !== EMPTY) i = (i + 1) & this.mask
      slots[2 * i] = old[j]!
      slots[2 * i + 1] = at
    }
    this.slots = slots
  }
}
