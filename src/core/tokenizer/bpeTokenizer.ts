import { BytePairEncoder } from './bytePairEncoder';
import { ChunkCache } from './chunkCache';
import type { EncodingSpec } from './encodings';
import { createPretokenizer, type Pretokenizer } from './pretokenizer';
import { NO_TOKEN, NOT_ASCII, type RankTable } from './rankTable';
import { TokenBuffer } from './tokenBuffer';
import type { Tokenizer } from './tokenizer';

/** Multi-token chunks kept (most code repeats its identifiers and indentation). */
const CHUNK_CACHE_ENTRIES = 65_536;
/** Chunks longer than this are not cached (a 1 MB line would pin its ids forever). UTF-16 units. */
const CHUNK_CACHE_MAX_LENGTH = 256;

/**
 * tiktoken-exact BPE tokenizer in plain TypeScript, faster than tiktoken's WASM build:
 * - hand-written pre-tokenizer with an ASCII fast path (regex only where non-ASCII decides);
 * - a chunk that is itself a token (most of them) is found by hashing its UTF-16 code units in
 *   place — no substring, no UTF-8 encoding;
 * - other chunks go through a bounded cache of chunk → ids, then BPE (heap-based for long chunks).
 * Every id equals tiktoken's `encode_ordinary` for the same text (tested on corpora and random text).
 */
export class BpeTokenizer implements Tokenizer {
  readonly name: string;
  readonly pretokenizer: Pretokenizer;
  private readonly bpe: BytePairEncoder;
  private readonly cache = new ChunkCache(CHUNK_CACHE_ENTRIES);
  private readonly countBuffer = new TokenBuffer(4096);
  private readonly specialsById: Map<number, string>;

  constructor(
    readonly spec: EncodingSpec,
    readonly table: RankTable,
  ) {
    this.name = spec.name;
    this.pretokenizer = createPretokenizer(spec.pattern);
    this.bpe = new BytePairEncoder(table);
    this.specialsById = new Map();
    for (const [text, id] of Object.entries(spec.specialTokens)) {
      if (!this.specialsById.has(id)) this.specialsById.set(id, text);
    }
  }

  encode(text: string): Uint32Array {
    const out = new TokenBuffer(Math.max(16, text.length >> 2));
    this.encodeRange(text, 0, text.length, out);
    return out.toArray();
  }

  count(text: string): number {
    const out = this.countBuffer;
    out.clear();
    this.encodeRange(text, 0, text.length, out);
    return out.length;
  }

  /**
   * Appends the ids of text[start, end) to `out`, lexing as if the text ended at `end` only when
   * `end === text.length`; otherwise the caller guarantees `end` is a chunk boundary.
   */
  encodeRange(text: string, start: number, end: number, out: TokenBuffer): void {
    const pre = this.pretokenizer;
    for (let i = start; i < end; ) {
      const e = pre.chunkEnd(text, i);
      this.encodeChunk(text, i, e, out);
      i = e;
    }
  }

  /** Appends the ids of one pre-tokenizer chunk text[start, end). */
  encodeChunk(text: string, start: number, end: number, out: TokenBuffer): void {
    const table = this.table;
    const r = table.rankOfAscii(text, start, end);
    if (r >= 0) {
      out.push(r);
      return;
    }
    let bytes: Uint8Array | undefined;
    let n = 0;
    if (r === NOT_ASCII) {
      bytes = table.utf8Scratch(text, start, end);
      n = table.lastScratchLength;
      const whole = table.rankOfBytes(bytes, 0, n);
      if (whole !== NO_TOKEN) {
        out.push(whole);
        return;
      }
    }
    const cacheable = end - start <= CHUNK_CACHE_MAX_LENGTH;
    if (cacheable && this.cache.appendTo(text, start, end, out)) return;
    if (!bytes) {
      bytes = table.utf8Scratch(text, start, end);
      n = table.lastScratchLength;
    }
    const from = out.length;
    this.bpe.encode(bytes, 0, n, out);
    if (cacheable) this.cache.set(text, start, end, out.data, from, out.length);
  }

  /** Ids of the UTF-8 bytes of one chunk, through BPE only (no cache): for tests and tools. */
  encodeBytes(bytes: Uint8Array): Uint32Array {
    const out = new TokenBuffer(bytes.length);
    this.bpe.encode(bytes, 0, bytes.length, out);
    return out.toArray();
  }

  decodeBytes(ids: ArrayLike<number>): Uint8Array {
    let n = 0;
    for (let i = 0; i < ids.length; i++) n += this.tokenByteLength(ids[i]!);
    const out = new Uint8Array(n);
    let at = 0;
    for (let i = 0; i < ids.length; i++) {
      const b = this.tokenBytes(ids[i]!);
      out.set(b, at);
      at += b.length;
    }
    return out;
  }

  /** Bytes of one token (special tokens: their text). Throws for ids outside the vocabulary. */
  tokenBytes(id: number): Uint8Array {
    if (this.table.hasRank(id)) return this.table.tokenBytes(id);
    const special = this.specialsById.get(id);
    if (special !== undefined) return new TextEncoder().encode(special);
    throw new RangeError(`${this.name}: no token with id ${id}`);
  }

  tokenByteLength(id: number): number {
    return this.table.hasRank(id) ? this.table.tokenLength(id) : this.tokenBytes(id).length;
  }

  isSpecial(id: number): boolean {
    return this.specialsById.has(id);
  }

  dispose(): void {
    this.cache.clear();
  }
}
