/**
 * The open-addressing mechanism shared by the tokenizers' string tables (RankTable, ChunkCache,
 * ByteStringTable, UnitStringTable): FNV-1a hashing of a key range in place (bytes or UTF-16 code
 * units, no string or array built), a linear-probing slot array of (tag, entry) pairs, and key
 * comparisons against a pool. Entries themselves live in the owner (IntRecords, or RankTable's
 * rank order).
 *
 * A slot holds the entry number and a 32-bit tag chosen by the owner (the key's hash, or for
 * RankTable the key's length and first bytes), interleaved so a probe reads one cache line and
 * rejects most non-matching entries without touching their keys. Owners walk the entries whose
 * tag matches and compare keys themselves, since only they know where keys are stored:
 *
 *   slots.probe(hash);
 *   while ((e = slots.nextMatch(tag)) >= 0) if (keyOfEntryEquals(e, …)) return e;
 *
 * (or `for (e = slots.firstMatch(hash, tag); e >= 0; e = slots.nextMatch(tag))`, see firstMatch).
 *
 * Cost: a lookup is O(key length) to hash plus O(1) expected probes (load ≤ 3/4; 8 slots share a
 * cache line, so a longer run costs little next to a smaller table).
 */
export const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a over bytes[start, end), continuing from `h` (FNV_OFFSET for a fresh hash). */
export function fnv1aBytes(bytes: Uint8Array, start: number, end: number, h = FNV_OFFSET): number {
  for (let i = start; i < end; i++) h = Math.imul(h ^ bytes[i]!, FNV_PRIME);
  return h;
}

/** FNV-1a over the UTF-16 code units of text[start, end). */
export function fnv1aUnits(text: string, start: number, end: number): number {
  let h = FNV_OFFSET;
  for (let i = start; i < end; i++) h = Math.imul(h ^ text.charCodeAt(i), FNV_PRIME);
  return h;
}

const EMPTY = 0;

export class HashSlots {
  /** slots[2s] = tag, slots[2s + 1] = entry + 1 (EMPTY = free slot). */
  private slots: Int32Array;
  private mask: number;
  /** Entries added by insertGrowing (what its load check counts). */
  private used = 0;
  /** The last slot examined: `nextMatch` resumes after it. */
  private cursor = 0;

  /** At least `minSlots` slots (a power of two). */
  constructor(minSlots: number) {
    let cap = 1;
    while (cap < minSlots) cap <<= 1;
    this.slots = new Int32Array(cap * 2);
    this.mask = cap - 1;
  }

  get capacity(): number {
    return this.mask + 1;
  }

  /** First slot probed for `hash` (the hash's high bits are folded in: FNV-1a's low bits are weak). */
  private home(hash: number): number {
    return (hash ^ (hash >>> 15)) & this.mask;
  }

  /**
   * Starts the probe run of `hash` for `nextMatch`. Owners whose tags rarely collide (tag = the
   * hash) call `nextMatch` from one place, a `while` loop: a second call site, reached only on a
   * collision, had no type feedback and deoptimised the lookup the first time it ran (151k cold
   * lookups: 68 instead of 48 ms).
   */
  probe(hash: number): void {
    this.cursor = (this.home(hash) - 1) & this.mask;
  }

  /**
   * `probe` and the first `nextMatch` in one call: for RankTable, whose tags (length and first
   * bytes) often collide, so both call sites of its loop are warm; 2–4% faster per rank lookup.
   */
  firstMatch(hash: number, tag: number): number {
    this.cursor = this.home(hash);
    return this.matchFromCursor(tag);
  }

  /** The next entry tagged `tag` in the probe run, or -1 once a free slot ends the run. */
  nextMatch(tag: number): number {
    this.cursor = (this.cursor + 1) & this.mask;
    return this.matchFromCursor(tag);
  }

  private matchFromCursor(tag: number): number {
    const slots = this.slots;
    let s = this.cursor;
    for (;;) {
      const v = slots[2 * s + 1]!;
      if (v === EMPTY) return -1;
      if (slots[2 * s] === tag) {
        this.cursor = s;
        return v - 1;
      }
      s = (s + 1) & this.mask;
    }
  }

  /**
   * Adds `entry` under `hash` (the caller has checked it is not there). The table must have a free
   * slot: size it up front (RankTable, ChunkCache), or use `insertGrowing`.
   */
  insert(hash: number, tag: number, entry: number): void {
    let s = this.home(hash);
    while (this.slots[2 * s + 1] !== EMPTY) s = (s + 1) & this.mask;
    this.slots[2 * s] = tag;
    this.slots[2 * s + 1] = entry + 1;
  }

  /** `insert` with the hash as the tag, doubling the slots first when they would pass load 3/4. */
  insertGrowing(hash: number, entry: number): void {
    if (++this.used * 4 > this.capacity * 3) this.reserve(this.used);
    this.insert(hash, hash, entry);
  }

  /**
   * Doubles the slots until `entries` fit at load ≤ 3/4. Entries are re-placed by their tags, so
   * only tables whose tag is the key's hash may grow. O(capacity) per doubling. (At load ≤ 1/2,
   * twice the slots, indexing qwen2's 151k token texts took 1.67× as long: 16.1 against 9.9 ms.)
   */
  reserve(entries: number): void {
    if (entries * 4 <= this.capacity * 3) return;
    const old = this.slots;
    let cap = this.capacity;
    while (entries * 4 > cap * 3) cap <<= 1;
    this.slots = new Int32Array(cap * 2);
    this.mask = cap - 1;
    for (let s = 0; s < old.length; s += 2) if (old[s + 1] !== EMPTY) this.insert(old[s]!, old[s]!, old[s + 1]! - 1);
  }

  /** Frees every slot. O(capacity). */
  clear(): void {
    this.slots.fill(EMPTY);
    this.used = 0;
  }
}

/** Whether pool[at, at + len) equals the UTF-16 code units text[start, start + len). */
export function unitsEqual(pool: Uint16Array, at: number, text: string, start: number, len: number): boolean {
  let i = 0;
  while (i < len && pool[at + i] === text.charCodeAt(start + i)) i++;
  return i === len;
}

/** Whether pool[at, at + len) equals bytes[start, start + len). */
export function bytesEqual(pool: Uint8Array, at: number, bytes: Uint8Array, start: number, len: number): boolean {
  let i = 0;
  while (i < len && pool[at + i] === bytes[start + i]) i++;
  return i === len;
}

/** Whether the bytes pool[at, at + len) equal the code units text[start, start + len) (ASCII text). */
export function bytesEqualUnits(pool: Uint8Array, at: number, text: string, start: number, len: number): boolean {
  let i = 0;
  while (i < len && pool[at + i] === text.charCodeAt(start + i)) i++;
  return i === len;
}
