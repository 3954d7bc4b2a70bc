import { ITEMS_PER_STEP, runStepsPaused, type Steps } from '../../common/steps';
import { HashSlots, bytesEqual, bytesEqualUnits, fnv1aBytes } from './hashSlots';
import { encodeUtf8Into } from './utf8';

/** Returned by lookups that find no token. */
export const NO_TOKEN = -1;
/** Returned by `rankOfAscii` when the range contains a non-ASCII code unit. */
export const NOT_ASCII = -2;

/**
 * The mergeable ranks of a BPE vocabulary (token bytes → rank), in typed arrays: an open-addressing
 * hash table (HashSlots) over a byte pool. Lookups hash the bytes in place (no string or array
 * allocation), which is what makes per-chunk lookups cheap. Each slot's tag, next to the rank, is a
 * key made of the token's length and first three bytes: tokens of up to three bytes are found with
 * one memory access (the table is larger than the CPU caches; the pool and offsets are only touched
 * to verify longer tokens), and most mismatches are rejected without touching the pool.
 * Memory: pool bytes + 4 bytes/token + 8 bytes/slot (≈ 6.5 MB for o200k).
 */
export class RankTable {
  /** Token bytes in rank order. */
  readonly pool: Uint8Array;
  /** offsets[r]..offsets[r + 1] is token r in `pool`; equal offsets mean "no token with this rank". */
  readonly offsets: Uint32Array;
  readonly size: number;
  readonly maxTokenLength: number;
  /** Entry = rank, tag = keyOf(token); sized for every token up front (never grown). */
  private readonly slots: HashSlots;
  private scratch = new Uint8Array(1024);

  /**
   * `lengths[r]` = byte length of token r, or -1 where no token has rank r. With `fill` false the
   * hash slots stay empty until `fillSlots` covers every rank (fromTkrSliced).
   */
  constructor(pool: Uint8Array, lengths: ArrayLike<number>, fill = true) {
    this.pool = pool;
    this.size = lengths.length;
    this.offsets = new Uint32Array(this.size + 1);
    let off = 0;
    let max = 0;
    let present = 0;
    for (let r = 0; r < this.size; r++) {
      this.offsets[r] = off;
      const len = lengths[r]!;
      if (len >= 0) {
        off += len;
        present++;
        if (len > max) max = len;
      }
    }
    this.offsets[this.size] = off;
    if (off !== pool.length) throw new Error(`rank table: pool has ${pool.length} bytes, lengths sum to ${off}`);
    this.maxTokenLength = max;
    this.slots = new HashSlots(present * 2.5);
    if (fill) this.fillSlots(0, this.size);
  }

  /** Indexes ranks [from, to) in the hash slots: ~0.2 µs each (o200k: 200k ranks, 30–50 ms in all). */
  private fillSlots(from: number, to: number): void {
    const pool = this.pool;
    for (let r = from; r < to; r++) {
      const s = this.offsets[r]!;
      const e = this.offsets[r + 1]!;
      if (e > s) this.slots.insert(fnv1aBytes(pool, s, e), keyOf(pool, s, e), r);
    }
  }

  /** Parses a `.tkr` file (see scripts/buildRanks.mjs). */
  static fromTkr(data: Uint8Array): RankTable {
    const { pool, lengths } = parseTkr(data);
    return new RankTable(pool, lengths);
  }

  /**
   * `fromTkr` in slices of `sliceRanks` ranks with `pause()` awaited between them, for a thread
   * that must stay responsive (the extension host: o200k's table in one go is a 30–75 ms task).
   */
  static fromTkrSliced(data: Uint8Array, pause: () => Promise<void>, sliceRanks = ITEMS_PER_STEP): Promise<RankTable> {
    return runStepsPaused(RankTable.fromTkrInSteps(data, sliceRanks), pause);
  }

  private static *fromTkrInSteps(data: Uint8Array, sliceRanks: number): Steps<RankTable> {
    const { pool, lengths } = parseTkr(data);
    const table = new RankTable(pool, lengths, false);
    for (let r = 0; r < table.size; r += sliceRanks) {
      yield;
      table.fillSlots(r, Math.min(table.size, r + sliceRanks));
    }
    return table;
  }

  hasRank(rank: number): boolean {
    return rank >= 0 && rank < this.size && this.offsets[rank + 1]! > this.offsets[rank]!;
  }

  tokenLength(rank: number): number {
    return this.offsets[rank + 1]! - this.offsets[rank]!;
  }

  tokenBytes(rank: number): Uint8Array {
    return this.pool.subarray(this.offsets[rank], this.offsets[rank + 1]);
  }

  /** Rank of bytes[start, end), or NO_TOKEN. O(end - start). */
  rankOfBytes(bytes: Uint8Array, start: number, end: number): number {
    const len = end - start;
    if (len <= 0 || len > this.maxTokenLength) return NO_TOKEN;
    const key = keyOf(bytes, start, end);
    const slots = this.slots;
    for (let r = slots.firstMatch(fnv1aBytes(bytes, start, end), key); r >= 0; r = slots.nextMatch(key)) {
      if (len <= 3 || bytesEqual(this.pool, this.offsets[r]! + 3, bytes, start + 3, len - 3)) return r;
    }
    return NO_TOKEN;
  }

  /**
   * Rank of the ASCII text[start, end) (its UTF-16 code units are its bytes), NO_TOKEN, or
   * NOT_ASCII if a code unit ≥ 0x80 occurs. No allocation. O(end - start).
   */
  rankOfAscii(text: string, start: number, end: number): number {
    const len = end - start;
    // fnv1aBytes of the same bytes, fused with the ASCII check and keyOf in one pass; its constants
    // are written out because the imported ones (and a per-unit fnv1aStep call) measured 6–12% slower
    // on this, the hottest lookup (one per chunk).
    let h = 0x811c9dc5;
    let key = len;
    for (let i = start; i < end; i++) {
      const c = text.charCodeAt(i);
      if (c >= 0x80) return NOT_ASCII;
      h = Math.imul(h ^ c, 0x01000193);
      if (i - start < 3) key |= c << (8 * (i - start + 1));
    }
    if (len > this.maxTokenLength || len === 0) return NO_TOKEN;
    const slots = this.slots;
    for (let r = slots.firstMatch(h, key); r >= 0; r = slots.nextMatch(key)) {
      if (len <= 3 || bytesEqualUnits(this.pool, this.offsets[r]! + 3, text, start + 3, len - 3)) return r;
    }
    return NO_TOKEN;
  }

  /** Rank of the UTF-8 encoding of text[start, end), or NO_TOKEN. */
  rankOfText(text: string, start: number, end: number): number {
    const r = this.rankOfAscii(text, start, end);
    if (r !== NOT_ASCII) return r;
    const bytes = this.utf8Scratch(text, start, end);
    return this.rankOfBytes(bytes, 0, this.scratchLength);
  }

  private scratchLength = 0;
  /** UTF-8 of text[start, end) in a reused buffer (valid until the next call); length in scratchLength. */
  utf8Scratch(text: string, start: number, end: number): Uint8Array {
    const need = (end - start) * 3;
    if (this.scratch.length < need) this.scratch = new Uint8Array(Math.max(need, this.scratch.length * 2));
    this.scratchLength = encodeUtf8Into(text, start, end, this.scratch, 0);
    return this.scratch;
  }
  get lastScratchLength(): number {
    return this.scratchLength;
  }
}

/** Length and first three bytes of a token (an Int32: length in the low byte). */
function keyOf(b: Uint8Array, start: number, end: number): number {
  const len = end - start;
  let key = len;
  for (let k = 0; k < 3 && k < len; k++) key |= b[start + k]! << (8 * (k + 1));
  return key;
}

/** The token bytes and per-rank lengths of a `.tkr` file (see scripts/buildRanks.mjs). */
function parseTkr(data: Uint8Array): { pool: Uint8Array; lengths: Int32Array } {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (data.length < 8 || view.getUint32(0, false) !== 0x544b5231 /* "TKR1" */) throw new Error('not a TKR1 rank file');
  const count = view.getUint32(4, true);
  const lengths = new Int32Array(count);
  let total = 0;
  for (let r = 0; r < count; r++) {
    const l = view.getUint16(8 + 2 * r, true);
    lengths[r] = l === 0xffff ? -1 : l;
    if (l !== 0xffff) total += l;
  }
  const start = 8 + 2 * count;
  if (data.length !== start + total) throw new Error(`corrupt rank file: ${data.length} bytes, expected ${start + total}`);
  return { pool: data.slice(start), lengths };
}
