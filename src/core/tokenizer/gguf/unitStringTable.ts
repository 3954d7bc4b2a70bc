/**
 * Hash table from strings to int values whose lookups take a range of a larger string and hash its
 * UTF-16 code units in place: no substring, no allocation per lookup (a `Map<string, number>`
 * lookup of `text.slice(a, b)` allocates, then hashes). Keys are copied into a Uint16Array pool.
 */
const EMPTY = -1;
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
/** Per-entry metadata, interleaved: hash, pool start, length, value. */
const STRIDE = 4;

export class UnitStringTable {
  private slots: Int32Array;
  private mask: number;
  private meta: Int32Array;
  private entries = 0;
  private pool: Uint16Array;
  private poolTop = 0;

  constructor(expectedEntries: number) {
    let cap = 1024;
    while (cap < expectedEntries * 2) cap <<= 1;
    this.slots = new Int32Array(cap).fill(EMPTY);
    this.mask = cap - 1;
    this.meta = new Int32Array(Math.max(16, expectedEntries) * STRIDE);
    this.pool = new Uint16Array(Math.max(1024, expectedEntries * 8));
  }

  /** Value of text[start, end), or -1. */
  get(text: string, start: number, end: number): number {
    const len = end - start;
    const hash = hashUnits(text, start, end);
    const meta = this.meta;
    const pool = this.pool;
    let h = hash & this.mask;
    for (;;) {
      const e = this.slots[h]!;
      if (e === EMPTY) return -1;
      const m = e * STRIDE;
      if (meta[m] === hash && meta[m + 2] === len) {
        const p = meta[m + 1]!;
        let i = 0;
        while (i < len && pool[p + i] === text.charCodeAt(start + i)) i++;
        if (i === len) return meta[m + 3]!;
      }
      h = (h + 1) & this.mask;
    }
  }

  /** Sets the value of `key` (replacing an existing one). */
  set(key: string, value: number): void {
    const len = key.length;
    const hash = hashUnits(key, 0, len);
    let h = hash & this.mask;
    for (;;) {
      const e = this.slots[h]!;
      if (e === EMPTY) break;
      const m = e * STRIDE;
      if (this.meta[m] === hash && this.meta[m + 2] === len) {
        const p = this.meta[m + 1]!;
        let i = 0;
        while (i < len && this.pool[p + i] === key.charCodeAt(i)) i++;
        if (i === len) {
          this.meta[m + 3] = value;
          return;
        }
      }
      h = (h + 1) & this.mask;
    }
    if ((this.entries + 1) * 2 > this.slots.length) {
      this.rehash();
      this.set(key, value);
      return;
    }
    if (this.poolTop + len > this.pool.length) {
      const next = new Uint16Array(Math.max(this.poolTop + len, this.pool.length * 2));
      next.set(this.pool.subarray(0, this.poolTop));
      this.pool = next;
    }
    if ((this.entries + 1) * STRIDE > this.meta.length) {
      const next = new Int32Array(this.meta.length * 2);
      next.set(this.meta);
      this.meta = next;
    }
    const e = this.entries++;
    const p = this.poolTop;
    for (let i = 0; i < len; i++) this.pool[p + i] = key.charCodeAt(i);
    this.poolTop += len;
    const m = e * STRIDE;
    this.meta[m] = hash;
    this.meta[m + 1] = p;
    this.meta[m + 2] = len;
    this.meta[m + 3] = value;
    this.slots[h] = e;
  }

  private rehash(): void {
    const cap = this.slots.length * 2;
    this.slots = new Int32Array(cap).fill(EMPTY);
    this.mask = cap - 1;
    for (let e = 0; e < this.entries; e++) {
      let h = this.meta[e * STRIDE]! & this.mask;
      while (this.slots[h] !== EMPTY) h = (h + 1) & this.mask;
      this.slots[h] = e;
    }
  }
}

function hashUnits(s: string, start: number, end: number): number {
  let h = FNV_OFFSET;
  for (let i = start; i < end; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
  return h;
}
