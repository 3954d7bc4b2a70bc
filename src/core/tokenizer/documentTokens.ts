import type { BpeTokenizer } from './bpeTokenizer';
import { LOOKAHEAD } from './pretokenizer';
import { TokenBuffer } from './tokenBuffer';
import { isHighSurrogate, isLowSurrogate } from './utf8';

/** Target text length of a block (UTF-16 units). An edit rebuilds O(1) blocks of this size. */
const DEFAULT_BLOCK_TARGET = 4096;

export interface DocumentTokensOptions {
  /** Block size in UTF-16 units (tests use tiny blocks to exercise splices across blocks). */
  readonly blockTarget?: number;
}
/** Ranges up to this length are counted by encoding their text directly (UTF-16 units). */
const DIRECT_COUNT_LIMIT = 65536;

/**
 * A run of whole pre-tokenizer chunks with their tokens.
 * chunkEnds[k]: end of chunk k in `text` (UTF-16); tokenEnds[k]: tokens in chunks 0..k.
 */
interface Block {
  readonly text: string;
  readonly chunkEnds: Int32Array;
  readonly tokenEnds: Int32Array;
  readonly ids: Uint32Array;
}

/** A token located in the document. Offsets are UTF-16; see `DocumentTokens.tokensInRange`. */
export interface TokenSpan {
  /** Token id (rank). */
  readonly id: number;
  /** Index of the token in the document (0-based). */
  readonly index: number;
  readonly start: number;
  readonly end: number;
  /** The token starts or ends inside a character (its bytes are part of a multi-byte character). */
  readonly partial: boolean;
}

type SpanSink = (id: number, index: number, start: number, end: number, partial: boolean) => void;

/** Chunk k of block b. Mutable, so walking chunks allocates nothing. */
interface ChunkPos {
  b: number;
  k: number;
}

/**
 * Growable arrays that every edit of every document builds its blocks in, reused from one edit to
 * the next. Why: each typed array above 64 bytes is a malloc'd ArrayBuffer outside V8's heap, freed
 * only when a GC finds it dead. An edit used to allocate ~14 of them (scratch arrays doubling from
 * 256 entries, then exact-size copies), ~60 malloc calls per keystroke with their bookkeeping; in
 * the extension host that churn, interleaved with long-lived blocks, grew the native heap by
 * ~0.5-1 MB per 1,000 edits that were freed but never returned (heaptrack: live allocations flat;
 * test/integration/soak.test.ts). Now an edit allocates one buffer per block it writes. Safe to
 * share: applyEdit runs to completion synchronously and its scratch is dead when it returns.
 */
class EditScratch {
  readonly chunkEnds = new TokenBuffer(SCRATCH_CHUNKS);
  readonly tokenEnds = new TokenBuffer(SCRATCH_CHUNKS);
  readonly blockIds = new TokenBuffer(SCRATCH_IDS);
  readonly relexIds = new TokenBuffer(SCRATCH_IDS);

  /**
   * After an edit: lets go of arrays a huge chunk grew (a 1 MB minified line is one block of ~300 K
   * ids), so that what stays allocated between edits is bounded (≈ 260 KB).
   */
  release(): void {
    this.chunkEnds.shrinkTo(SCRATCH_KEEP, SCRATCH_CHUNKS);
    this.tokenEnds.shrinkTo(SCRATCH_KEEP, SCRATCH_CHUNKS);
    this.blockIds.shrinkTo(SCRATCH_KEEP, SCRATCH_IDS);
    this.relexIds.shrinkTo(SCRATCH_KEEP, SCRATCH_IDS);
  }
}

/** Scratch capacities (entries): what a block of DEFAULT_BLOCK_TARGET code units of code needs, and the most kept between edits. */
const SCRATCH_CHUNKS = 4096;
const SCRATCH_IDS = 4096;
const SCRATCH_KEEP = 16384;
const EDIT_SCRATCH = new EditScratch();

/**
 * What step 2 of applyEdit re-lexed, for step 3 (one per edit, in place of the closures and lists
 * the single function had). Offsets are UTF-16, relative to `window`, which is the new text from
 * document offset `start` (the restart chunk's start) on.
 */
class RelexedChunks {
  window = '';
  /** Code units of old text after the deleted range that `window` holds. */
  tail = 0;
  /** `window` reaches the end of the document. */
  windowAtEnd = false;
  /** End of each re-lexed chunk, and its number of tokens (whose ids follow each other in `ids`). */
  readonly chunkEnds: number[] = [];
  readonly chunkTokens: number[] = [];
  /** The re-lexed chunks' ids: the shared scratch buffer (read before the next edit starts). */
  readonly ids = EDIT_SCRATCH.relexIds;
  /** The last old chunk that the re-lexed ones replace. */
  readonly lastOld: ChunkPos = { b: 0, k: 0 };

  constructor(readonly start: number) {
    this.ids.clear();
  }

  /** End of the re-lexed text (window-relative). */
  get end(): number {
    return this.chunkEnds.length === 0 ? 0 : this.chunkEnds[this.chunkEnds.length - 1]!;
  }

  /** Encodes window[i, e) as the next chunk. */
  add(tokenizer: BpeTokenizer, i: number, e: number): void {
    const before = this.ids.length;
    tokenizer.encodeChunk(this.window, i, e, this.ids);
    this.chunkEnds.push(e);
    this.chunkTokens.push(this.ids.length - before);
  }
}

/** Token spans in parallel typed arrays, reused across calls (see `tokensInRangeInto`). */
export class SpanBuffer {
  ids = new Uint32Array(1024);
  indexes = new Float64Array(1024);
  starts = new Float64Array(1024);
  ends = new Float64Array(1024);
  partial = new Uint8Array(1024);
  length = 0;

  clear(): void {
    this.length = 0;
  }

  push(id: number, index: number, start: number, end: number, partial: boolean): void {
    if (this.length === this.ids.length) this.grow();
    const i = this.length++;
    this.ids[i] = id;
    this.indexes[i] = index;
    this.starts[i] = start;
    this.ends[i] = end;
    this.partial[i] = partial ? 1 : 0;
  }

  private grow(): void {
    const n = this.ids.length * 2;
    const g = <T extends Uint32Array | Float64Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const b = make(n);
      b.set(a);
      return b;
    };
    this.ids = g(this.ids, (k) => new Uint32Array(k));
    this.indexes = g(this.indexes, (k) => new Float64Array(k));
    this.starts = g(this.starts, (k) => new Float64Array(k));
    this.ends = g(this.ends, (k) => new Float64Array(k));
    this.partial = g(this.partial, (k) => new Uint8Array(k));
  }
}

export interface EditStats {
  /** Chunks lexed again (the edit's neighbourhood until the old chunking resumes). */
  readonly relexedChunks: number;
  /** The re-lexed region in the new text (UTF-16): tokens outside it are unchanged, only shifted. */
  readonly relexStart: number;
  readonly relexEnd: number;
  /** Tokens before → after, for the whole document. */
  readonly tokensBefore: number;
  readonly tokensAfter: number;
}

/** Rust's `\s` (Unicode White_Space), the class the tokenizer patterns use. */
export function isWhiteSpace(c: number): boolean {
  return (
    (c >= 9 && c <= 13) ||
    c === 32 ||
    c === 0x85 ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000
  );
}

/**
 * Accumulates chunks into blocks of about `target` code units, in the shared edit scratch (one writer
 * at a time); each flushed block owns one exact-size buffer.
 */
class BlockWriter {
  readonly blocks: Block[] = [];
  private parts: string[] = [];
  private textLen = 0;
  /** The current block's chunk ends, cumulative token counts and ids (the shared scratch). */
  private readonly chunkEnds = EDIT_SCRATCH.chunkEnds;
  private readonly tokenEnds = EDIT_SCRATCH.tokenEnds;
  private readonly ids = EDIT_SCRATCH.blockIds;
  /** Code units of all blocks flushed so far. */
  private flushedLength = 0;

  constructor(private readonly target: number) {
    this.chunkEnds.clear();
    this.tokenEnds.clear();
    this.ids.clear();
  }

  /** Adds one chunk: its text and the ids in ids[from, to). */
  add(text: string, ids: ArrayLike<number>, from: number, to: number): void {
    this.parts.push(text);
    this.textLen += text.length;
    for (let i = from; i < to; i++) this.ids.push(ids[i]!);
    this.pushChunk(this.textLen, this.ids.length);
    if (this.textLen >= this.target) this.flush();
  }

  /** Adds chunks k0..k1-1 of an existing block in bulk: one slice and one id copy per output block. */
  addChunks(blk: Block, k0: number, k1: number): void {
    let k = k0;
    while (k < k1) {
      const t0 = k === 0 ? 0 : blk.chunkEnds[k - 1]!;
      const i0 = k === 0 ? 0 : blk.tokenEnds[k - 1]!;
      let j = k;
      while (j < k1) {
        const ce = blk.chunkEnds[j]!;
        this.pushChunk(this.textLen + (ce - t0), this.ids.length + (blk.tokenEnds[j]! - i0));
        j++;
        if (this.textLen + (ce - t0) >= this.target) break;
      }
      const t1 = blk.chunkEnds[j - 1]!;
      this.parts.push(blk.text.slice(t0, t1));
      this.textLen += t1 - t0;
      this.ids.pushAll(blk.ids.subarray(i0, blk.tokenEnds[j - 1]));
      if (this.textLen >= this.target) this.flush();
      k = j;
    }
  }

  /** Code units added so far, flushed or not. */
  get length(): number {
    return this.flushedLength + this.textLen;
  }

  private pushChunk(end: number, tokenEnd: number): void {
    this.chunkEnds.push(end);
    this.tokenEnds.push(tokenEnd);
  }

  /** Ends the current block: its chunk ends, token ends and ids are views of one new buffer. */
  flush(): void {
    const n = this.chunkEnds.length;
    if (n === 0) return;
    const nIds = this.ids.length;
    const buf = new ArrayBuffer((2 * n + nIds) * 4);
    const chunkEnds = new Int32Array(buf, 0, n);
    chunkEnds.set(this.chunkEnds.data.subarray(0, n));
    const tokenEnds = new Int32Array(buf, 4 * n, n);
    tokenEnds.set(this.tokenEnds.data.subarray(0, n));
    const ids = new Uint32Array(buf, 8 * n, nIds);
    ids.set(this.ids.data.subarray(0, nIds));
    this.blocks.push({ text: this.parts.length === 1 ? this.parts[0]! : this.parts.join(''), chunkEnds, tokenEnds, ids });
    this.flushedLength += this.textLen;
    this.parts = [];
    this.textLen = 0;
    this.chunkEnds.clear();
    this.tokenEnds.clear();
    this.ids.clear();
  }
}

/**
 * The tokens of a document, kept up to date under edits by re-lexing only the chunks around each
 * edit. Tokens never cross pre-tokenizer chunks, so the document's tokens are the concatenation of
 * its chunks' tokens; after an edit, lexing restarts at a chunk boundary whose chunk decisions could
 * not have looked at the edited text (chunks end at most LOOKAHEAD code units before what they
 * examine, except whitespace runs, which depend on the whole run) and stops as soon as a new chunk
 * boundary at or after the inserted text coincides with a shifted old one: from there on the text,
 * and so the chunking, is unchanged (the patterns have no lookbehind).
 *
 * Storage: blocks of ≈4 K code units of whole chunks (text, chunk ends, cumulative token counts, ids),
 * with prefix sums over blocks. Memory ≈ text + 8 bytes/chunk + 4 bytes/token. An edit costs
 * O(BLOCK_TARGET + edit size + number of blocks) — the last term is a loop of additions (≈ 10 µs at
 * 50 MB).
 */
export class DocumentTokens {
  private blocks: Block[];
  /** textStart[b] / tokenStart[b]: document offset / token index where block b starts; [n] = totals. */
  private textStart = new Float64Array(1);
  private tokenStart = new Float64Array(1);
  private totalLength = 0;
  private totalTokens = 0;

  private constructor(
    readonly tokenizer: BpeTokenizer,
    blocks: Block[],
    private readonly blockTarget: number,
  ) {
    this.blocks = blocks;
    for (const b of blocks) {
      this.totalLength += b.text.length;
      this.totalTokens += b.ids.length;
    }
    this.rebuildPrefix();
  }

  /** Tokenizes `text` on the calling thread. Cost ≈ text length / (50 MB/s) for code. */
  static build(tokenizer: BpeTokenizer, text: string, options: DocumentTokensOptions = {}): DocumentTokens {
    const target = options.blockTarget ?? DEFAULT_BLOCK_TARGET;
    return DocumentTokens.fromBlockArrays(tokenizer, text, lexToBlockArrays(tokenizer, text, target), { blockTarget: target });
  }

  /**
   * Adopts a tokenization done elsewhere (a worker, see tokenizeWorker.ts). Blocks are views into the
   * given arrays (no copy: copying them per block was 350 ms on the extension host for a 10 MB file,
   * 7,000 small buffers and 35 MB memcpy); an edited block gets arrays of its own, the shared buffer
   * lives while any block still views it. Cost: ~1 ms for 10 MB.
   */
  static fromBlockArrays(tokenizer: BpeTokenizer, text: string, a: BlockArrays, options: DocumentTokensOptions = {}): DocumentTokens {
    const target = options.blockTarget ?? DEFAULT_BLOCK_TARGET;
    const blocks: Block[] = [];
    const n = a.blocks.length / BLOCK_FIELDS;
    let textEnd = 0;
    let idsEnd = 0;
    for (let i = 0; i < n; i++) {
      const o = i * BLOCK_FIELDS;
      const [c0, c1, t0, t1, k0, k1] = [a.blocks[o]!, a.blocks[o + 1]!, a.blocks[o + 2]!, a.blocks[o + 3]!, a.blocks[o + 4]!, a.blocks[o + 5]!];
      blocks.push({ text: text.slice(t0, t1), chunkEnds: a.chunkEnds.subarray(c0, c1), tokenEnds: a.tokenEnds.subarray(c0, c1), ids: a.ids.subarray(k0, k1) });
      textEnd = t1;
      idsEnd = k1;
    }
    if (textEnd !== text.length || idsEnd !== a.ids.length) throw new Error(`block arrays cover ${textEnd}/${text.length} code units, ${idsEnd}/${a.ids.length} ids`);
    return new DocumentTokens(tokenizer, blocks, target);
  }

  /** Document length in UTF-16 code units. */
  get length(): number {
    return this.totalLength;
  }

  get tokenCount(): number {
    return this.totalTokens;
  }

  getText(start = 0, end = this.totalLength): string {
    start = clamp(start, 0, this.totalLength);
    end = clamp(end, start, this.totalLength);
    if (start === end) return '';
    let b = this.blockAt(start);
    const parts: string[] = [];
    let pos = start;
    while (pos < end) {
      const bs = this.textStart[b]!;
      const blk = this.blocks[b]!;
      const to = Math.min(end, bs + blk.text.length);
      parts.push(blk.text.slice(pos - bs, to - bs));
      pos = to;
      b++;
    }
    return parts.join('');
  }

  /** All token ids, in document order (a copy). */
  ids(): Uint32Array {
    const out = new Uint32Array(this.totalTokens);
    let at = 0;
    for (const b of this.blocks) {
      out.set(b.ids, at);
      at += b.ids.length;
    }
    return out;
  }

  /**
   * Applies one edit: replace text[offset, offset + deleteLength) with `insert` (UTF-16 units, as
   * VS Code's `rangeOffset`/`rangeLength`/`text`). Edits of one change event are applied in order.
   */
  applyEdit(offset: number, deleteLength: number, insert: string): EditStats {
    const tokensBefore = this.totalTokens;
    if (offset < 0 || deleteLength < 0 || offset + deleteLength > this.totalLength) {
      throw new RangeError(`edit [${offset}, +${deleteLength}) outside the document (length ${this.totalLength})`);
    }
    if (deleteLength === 0 && insert.length === 0) return { relexedChunks: 0, relexStart: offset, relexEnd: offset, tokensBefore, tokensAfter: tokensBefore };
    if (this.blocks.length === 0) {
      const fresh = DocumentTokens.build(this.tokenizer, insert, { blockTarget: this.blockTarget });
      this.replaceAll(fresh.blocks);
      return { relexedChunks: fresh.blocks.reduce((n, b) => n + b.chunkEnds.length, 0), relexStart: 0, relexEnd: this.totalLength, tokensBefore, tokensAfter: this.totalTokens };
    }
    const newLength = this.totalLength + insert.length - deleteLength;
    const first = this.restartChunk(offset, { b: 0, k: 0 });
    const relexed = this.relexUntilResync(first, offset, deleteLength, insert);
    this.spliceRelexed(first, relexed);
    if (this.totalLength !== newLength) throw new Error(`internal: length ${this.totalLength} after edit, expected ${newLength}`);
    return { relexedChunks: relexed.chunkEnds.length, relexStart: relexed.start, relexEnd: relexed.start + relexed.end, tokensBefore, tokensAfter: this.totalTokens };
  }

  /**
   * Tokens that overlap [start, end) (UTF-16), in order, at most `max`. A token's range covers every
   * character that holds any of its bytes, so tokens that split a multi-byte character (or a
   * surrogate pair) both cover it and are marked `partial`. Cost O(tokens returned + one block).
   */
  tokensInRange(start: number, end: number, max = Infinity): TokenSpan[] {
    const out: TokenSpan[] = [];
    this.visitTokens(start, end, max, (id, index, s, e, partial) => {
      out.push({ id, index, start: s, end: e, partial });
    });
    return out;
  }

  /**
   * Like `tokensInRange`, into reusable typed arrays: no object per token (decorations are recomputed
   * on every keystroke; garbage there turns into GC pauses in the extension host).
   */
  tokensInRangeInto(start: number, end: number, max: number, out: SpanBuffer): void {
    out.clear();
    this.visitTokens(start, end, max, (id, index, s, e, partial) => out.push(id, index, s, e, partial));
  }

  private visitTokens(start: number, end: number, max: number, sink: SpanSink): void {
    start = clamp(start, 0, this.totalLength);
    end = clamp(end, start, this.totalLength);
    if (this.blocks.length === 0 || start === end) return;
    const at = this.locateChunk(start, { b: 0, k: 0 });
    let left = max;
    for (let b = at.b, k = at.k; b < this.blocks.length; ) {
      const blk = this.blocks[b]!;
      const bs = this.textStart[b]!;
      const cs = k === 0 ? 0 : blk.chunkEnds[k - 1]!;
      if (bs + cs >= end) break;
      const ts = k === 0 ? 0 : blk.tokenEnds[k - 1]!;
      left = this.spansOfChunk(blk, cs, blk.chunkEnds[k]!, ts, blk.tokenEnds[k]!, bs, this.tokenStart[b]!, start, end, sink, left);
      if (left <= 0) break;
      if (++k === blk.chunkEnds.length) {
        k = 0;
        b++;
      }
    }
  }

  /** The token covering the code unit at `offset` (the first one, if a character is split). */
  tokenAt(offset: number): TokenSpan | undefined {
    if (offset < 0 || offset >= this.totalLength) return undefined;
    return this.tokensInRange(offset, offset + 1, 1)[0];
  }

  /**
   * Number of tokens of text[start, end) encoded on its own (as if it were the whole input): equal to
   * `tokenizer.count(getText(start, end))`. Long ranges reuse the document's chunk counts between a
   * re-lexed head and tail, so selecting all of a 50 MB file is not a 50 MB re-encode.
   */
  countRange(start: number, end: number): number {
    start = clamp(start, 0, this.totalLength);
    end = clamp(end, start, this.totalLength);
    if (end - start <= DIRECT_COUNT_LIMIT) return this.tokenizer.count(this.getText(start, end));
    // Tail: restart point for "the text ends at `end`" (the same rule as an edit at `end`).
    const tail = this.restartChunk(end, { b: 0, k: 0 });
    const T = this.chunkStartOf(tail.b, tail.k);
    // Head: lex from `start` until a boundary coincides with a document chunk boundary.
    const pre = this.tokenizer.pretokenizer;
    let windowLen = 1024;
    let window = this.getText(start, Math.min(end, start + windowLen));
    const head = this.locateChunk(start, { b: 0, k: 0 });
    let docEnd = this.chunkEndOf(head.b, head.k);
    let i = 0;
    let count = 0;
    const buf = new TokenBuffer(64);
    for (;;) {
      if (start + i >= T) return this.tokenizer.count(this.getText(start, end)); // no shared middle
      let e = pre.chunkEnd(window, i);
      while (start + window.length < end && !this.isFinal(window, i, e)) {
        windowLen *= 2;
        window = this.getText(start, Math.min(end, start + windowLen));
        e = pre.chunkEnd(window, i);
      }
      buf.clear();
      this.tokenizer.encodeChunk(window, i, e, buf);
      count += buf.length;
      i = e;
      const pos = start + i;
      while (docEnd < pos && this.toNextChunk(head)) docEnd = this.chunkEndOf(head.b, head.k);
      if (docEnd === pos) break;
    }
    const H = start + i;
    if (H >= T) return this.tokenizer.count(this.getText(start, end));
    // Middle: document tokens of chunks in [H, T).
    const middle = this.tokenIndexOfChunk(tail.b, tail.k) - this.tokenIndexOfChunkEnd(head.b, head.k);
    // Tail: text[T, end) lexed as the end of the input.
    return count + middle + this.tokenizer.count(this.getText(T, end));
  }

  /** Structural self-check for tests: prefix sums, block invariants. Throws on inconsistency. */
  checkInvariants(): void {
    let len = 0;
    let toks = 0;
    for (const b of this.blocks) {
      if (b.chunkEnds.length === 0) throw new Error('empty block');
      if (b.chunkEnds[b.chunkEnds.length - 1] !== b.text.length) throw new Error('chunk ends do not cover the block text');
      if (b.tokenEnds[b.tokenEnds.length - 1] !== b.ids.length) throw new Error('token ends do not cover the ids');
      for (let k = 0; k < b.chunkEnds.length; k++) {
        const cs = k === 0 ? 0 : b.chunkEnds[k - 1]!;
        if (b.chunkEnds[k]! <= cs) throw new Error('empty chunk');
      }
      len += b.text.length;
      toks += b.ids.length;
    }
    if (len !== this.totalLength || toks !== this.totalTokens) throw new Error(`totals ${this.totalLength}/${this.totalTokens}, blocks sum to ${len}/${toks}`);
  }

  get blockCount(): number {
    return this.blocks.length;
  }

  // ---- internals -------------------------------------------------------------------------------

  private replaceAll(blocks: Block[]): void {
    this.blocks = blocks;
    this.totalLength = 0;
    this.totalTokens = 0;
    for (const b of blocks) {
      this.totalLength += b.text.length;
      this.totalTokens += b.ids.length;
    }
    this.rebuildPrefix();
  }

  private rebuildPrefix(): void {
    const n = this.blocks.length;
    this.reserve(n + 1);
    this.textStart[0] = 0;
    this.tokenStart[0] = 0;
    for (let b = 0; b < n; b++) {
      this.textStart[b + 1] = this.textStart[b]! + this.blocks[b]!.text.length;
      this.tokenStart[b + 1] = this.tokenStart[b]! + this.blocks[b]!.ids.length;
    }
  }

  private reserve(entries: number): void {
    if (this.textStart.length >= entries) return;
    const cap = Math.max(entries, this.textStart.length * 2, 16);
    const ts = new Float64Array(cap);
    ts.set(this.textStart);
    const tk = new Float64Array(cap);
    tk.set(this.tokenStart);
    this.textStart = ts;
    this.tokenStart = tk;
  }

  /**
   * Replaces `removeCount` blocks at b0 with `added`, keeping the prefix sums exact: the tail's
   * entries move (memmove) and shift by the length/token delta — a tight loop over two typed arrays,
   * ≈ 10 µs for the 15,000 blocks of a 50 MB document, instead of walking the blocks themselves.
   */
  private spliceBlocks(b0: number, removeCount: number, added: Block[]): void {
    const n = this.blocks.length;
    let dLen = 0;
    let dTok = 0;
    for (let b = b0; b < b0 + removeCount; b++) {
      dLen -= this.blocks[b]!.text.length;
      dTok -= this.blocks[b]!.ids.length;
    }
    for (const nb of added) {
      dLen += nb.text.length;
      dTok += nb.ids.length;
    }
    const newN = n - removeCount + added.length;
    this.reserve(newN + 1);
    const from = b0 + removeCount;
    const to = b0 + added.length;
    this.textStart.copyWithin(to, from, n + 1);
    this.tokenStart.copyWithin(to, from, n + 1);
    for (let i = to; i <= newN; i++) {
      this.textStart[i] = this.textStart[i]! + dLen;
      this.tokenStart[i] = this.tokenStart[i]! + dTok;
    }
    let ts = this.textStart[b0]!;
    let tk = this.tokenStart[b0]!;
    for (let j = 0; j < added.length; j++) {
      this.textStart[b0 + j] = ts;
      this.tokenStart[b0 + j] = tk;
      ts += added[j]!.text.length;
      tk += added[j]!.ids.length;
    }
    this.blocks.splice(b0, removeCount, ...added);
    this.totalLength += dLen;
    this.totalTokens += dTok;
  }

  /** Block holding `offset` (the last block for offset === length). Requires prefix sums. */
  private blockAt(offset: number): number {
    let lo = 0;
    let hi = this.blocks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.textStart[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Moves `pos` to the chunk holding the code unit at `offset` (clamped into the document). O(log blocks + log chunks). */
  private locateChunk(offset: number, pos: ChunkPos): ChunkPos {
    const b = this.blockAt(Math.min(offset, this.totalLength - 1));
    const rel = offset - this.textStart[b]!;
    const ends = this.blocks[b]!.chunkEnds;
    let lo = 0;
    let hi = ends.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ends[mid]! > rel) hi = mid;
      else lo = mid + 1;
    }
    pos.b = b;
    pos.k = lo;
    return pos;
  }

  /** Moves `pos` to the chunk before it; false (and `pos` unchanged) at the first chunk. */
  private toPrevChunk(pos: ChunkPos): boolean {
    if (pos.k > 0) pos.k--;
    else if (pos.b > 0) pos.k = this.blocks[--pos.b]!.chunkEnds.length - 1;
    else return false;
    return true;
  }

  /** Moves `pos` to the chunk after it; false (and `pos` unchanged) at the last chunk. */
  private toNextChunk(pos: ChunkPos): boolean {
    if (pos.k + 1 < this.blocks[pos.b]!.chunkEnds.length) pos.k++;
    else if (pos.b + 1 < this.blocks.length) {
      pos.b++;
      pos.k = 0;
    } else return false;
    return true;
  }

  /**
   * Step 1 of an edit at `offset`, and the tail rule of countRange: moves `pos` to the chunk to
   * restart lexing from. That is the chunk holding the code unit before `offset`, then back over
   * chunks whose end decision may have examined text at or after `offset` (a chunk ends at most
   * LOOKAHEAD code units before what it examined, except a whitespace run, which depends on the
   * whole run), then one more for margin; chunk (0, 0) for offset 0. O(chunks stepped over + the
   * whitespace they hold).
   */
  private restartChunk(offset: number, pos: ChunkPos): ChunkPos {
    pos.b = 0;
    pos.k = 0;
    if (offset === 0) return pos;
    this.locateChunk(offset - 1, pos);
    for (;;) {
      const end = this.chunkStartOf(pos.b, pos.k); // of the chunk before `pos`
      if (!this.toPrevChunk(pos)) return pos;
      const start = this.chunkStartOf(pos.b, pos.k);
      const mayHaveExamined = end + LOOKAHEAD > offset || (isWhiteSpace(this.charAt(start)) && this.allWhiteSpace(start, offset));
      if (!mayHaveExamined) return pos; // this earlier chunk is the margin
    }
  }

  /**
   * Step 2 of applyEdit: lexes the new text from the restart chunk `first` until a chunk boundary
   * at or after the inserted text meets a shifted old one (from there on text and chunking are
   * unchanged); the result's `lastOld` is the last old chunk the new ones replace. The window of
   * new text widens (doubling its old-text tail) while a chunk's end is undecided.
   * Cost: O(re-lexed text), encoding included.
   */
  private relexUntilResync(first: ChunkPos, offset: number, deleteLength: number, insert: string): RelexedChunks {
    const r = new RelexedChunks(this.chunkStartOf(first.b, first.k));
    this.readWindow(r, offset, deleteLength, insert, 256);
    const delta = insert.length - deleteLength;
    const newLength = this.totalLength + delta;
    const insEnd = offset + insert.length;
    const old = r.lastOld; // old chunks walked forward from `first` (old coordinates)
    old.b = first.b;
    old.k = first.k;
    let oldEnd = this.chunkEndOf(old.b, old.k);
    let oldExhausted = false;
    const pre = this.tokenizer.pretokenizer;
    for (let i = 0; r.start + i < newLength; ) {
      let e = pre.chunkEnd(r.window, i);
      while (!r.windowAtEnd && !this.isFinal(r.window, i, e)) {
        this.readWindow(r, offset, deleteLength, insert, r.tail * 2);
        e = pre.chunkEnd(r.window, i);
      }
      r.add(this.tokenizer, i, e);
      i = e;
      const pos = r.start + i;
      if (pos >= insEnd && pos < newLength && !oldExhausted) {
        while (oldEnd < pos - delta && !oldExhausted) {
          if (this.toNextChunk(old)) oldEnd = this.chunkEndOf(old.b, old.k);
          else oldExhausted = true;
        }
        if (!oldExhausted && oldEnd === pos - delta) return r;
      }
    }
    // Not resynced: the new chunks replace every old one through the end.
    old.b = this.blocks.length - 1;
    old.k = this.blocks[old.b]!.chunkEnds.length - 1;
    return r;
  }

  /**
   * The new text from the restart chunk's start through `tail` code units of the old text after the
   * deleted range (fewer at the document's end), into r.window. O(window length).
   */
  private readWindow(r: RelexedChunks, offset: number, deleteLength: number, insert: string, tail: number): void {
    const oldTailStart = offset + deleteLength;
    const tailEnd = Math.min(this.totalLength, oldTailStart + tail);
    r.window = this.getText(r.start, offset) + insert + this.getText(oldTailStart, tailEnd);
    r.windowAtEnd = tailEnd === this.totalLength;
    r.tail = tail;
  }

  /**
   * Step 3 of applyEdit: blocks first.b..(last old block) become the chunks before `first` + the
   * re-lexed chunks + the chunks after `relexed.lastOld`, re-split into blocks; a short result
   * absorbs the next block (no trail of tiny blocks). O(block size + re-lexed text + blocks).
   */
  private spliceRelexed(first: ChunkPos, relexed: RelexedChunks): void {
    const w = new BlockWriter(this.blockTarget);
    w.addChunks(this.blocks[first.b]!, 0, first.k);
    let pos = 0;
    let t = 0;
    for (let c = 0; c < relexed.chunkEnds.length; c++) {
      const e = relexed.chunkEnds[c]!;
      const n = relexed.chunkTokens[c]!;
      w.add(relexed.window.slice(pos, e), relexed.ids.data, t, t + n);
      pos = e;
      t += n;
    }
    const lastOld = relexed.lastOld;
    const last = this.blocks[lastOld.b]!;
    w.addChunks(last, lastOld.k + 1, last.chunkEnds.length);
    let b2 = lastOld.b;
    if (b2 + 1 < this.blocks.length && w.length < this.blockTarget / 4) {
      b2++;
      const next = this.blocks[b2]!;
      w.addChunks(next, 0, next.chunkEnds.length);
    }
    w.flush();
    this.spliceBlocks(first.b, b2 - first.b + 1, w.blocks);
    EDIT_SCRATCH.release();
  }

  private chunkStartOf(b: number, k: number): number {
    return this.textStart[b]! + (k === 0 ? 0 : this.blocks[b]!.chunkEnds[k - 1]!);
  }

  private chunkEndOf(b: number, k: number): number {
    return this.textStart[b]! + this.blocks[b]!.chunkEnds[k]!;
  }

  /** Document index of the first token of chunk (b, k). */
  private tokenIndexOfChunk(b: number, k: number): number {
    return this.tokenStart[b]! + (k === 0 ? 0 : this.blocks[b]!.tokenEnds[k - 1]!);
  }

  /** Document index just past the last token of chunk (b, k). */
  private tokenIndexOfChunkEnd(b: number, k: number): number {
    return this.tokenStart[b]! + this.blocks[b]!.tokenEnds[k]!;
  }

  private charAt(offset: number): number {
    const b = this.blockAt(offset);
    return this.blocks[b]!.text.charCodeAt(offset - this.textStart[b]!);
  }

  /** Whether text[from, to) is all whitespace. Walks blocks; O(to - from). */
  private allWhiteSpace(from: number, to: number): boolean {
    let b = this.blockAt(from);
    let pos = from;
    while (pos < to) {
      const blk = this.blocks[b]!;
      const bs = this.textStart[b]!;
      const stop = Math.min(to, bs + blk.text.length);
      for (; pos < stop; pos++) if (!isWhiteSpace(blk.text.charCodeAt(pos - bs))) return false;
      b++;
    }
    return true;
  }

  /**
   * Whether the chunk [i, e) of a window that is not the end of the text is decided by the window's
   * content: what its match examined (LOOKAHEAD past its end; for a chunk starting with whitespace,
   * the whole whitespace run and the code unit after it) lies inside the window.
   */
  private isFinal(window: string, i: number, e: number): boolean {
    if (e + LOOKAHEAD > window.length) return false;
    if (isWhiteSpace(window.charCodeAt(i))) {
      let q = i;
      while (q < window.length && isWhiteSpace(window.charCodeAt(q))) q++;
      if (q >= window.length) return false;
    }
    return true;
  }

  private spansOfChunk(
    blk: Block,
    cs: number,
    ce: number,
    ts: number,
    te: number,
    blockStart: number,
    blockTokenStart: number,
    start: number,
    end: number,
    sink: SpanSink,
    left: number,
  ): number {
    // Walk the chunk's characters and its tokens' byte lengths together.
    const text = blk.text;
    let c = cs; // UTF-16 position of the current character
    let cBytes = 0; // bytes of chunk text before character c
    let cLen = charBytes(text, c, ce); // bytes of character c
    let tokByteStart = 0;
    for (let t = ts; t < te; t++) {
      const id = blk.ids[t]!;
      const tokByteEnd = tokByteStart + this.tokenizer.tokenByteLength(id);
      // advance to the character holding the token's first byte
      while (cBytes + cLen <= tokByteStart && c < ce) {
        cBytes += cLen;
        c += charUnits(text, c, ce);
        cLen = charBytes(text, c, ce);
      }
      const spanStart = c;
      const partialStart = cBytes !== tokByteStart;
      // advance to the character holding the token's last byte
      let d = c;
      let dBytes = cBytes;
      let dLen = cLen;
      while (dBytes + dLen < tokByteEnd && d < ce) {
        dBytes += dLen;
        d += charUnits(text, d, ce);
        dLen = charBytes(text, d, ce);
      }
      const spanEnd = Math.min(ce, d + charUnits(text, d, ce));
      const partialEnd = dBytes + dLen !== tokByteEnd;
      const s = blockStart + spanStart;
      const e = blockStart + spanEnd;
      if (e > start && s < end) {
        sink(id, blockTokenStart + t, s, e, partialStart || partialEnd);
        if (--left <= 0) return 0;
      } else if (s >= end) {
        return 0;
      }
      tokByteStart = tokByteEnd;
    }
    return left;
  }
}

/** Fields per block in BlockArrays.blocks: chunk start/end index, text start/end, token start/end. */
const BLOCK_FIELDS = 6;

/**
 * A whole document's tokenization as flat typed arrays (transferable between threads): per chunk its
 * end relative to its block's text and the cumulative token count within its block; all ids; and per
 * block BLOCK_FIELDS integers.
 */
export interface BlockArrays {
  readonly chunkEnds: Int32Array;
  readonly tokenEnds: Int32Array;
  readonly ids: Uint32Array;
  readonly blocks: Int32Array;
}

/**
 * Lexes and encodes all of `text` into block arrays. `onProgress(done)` is called about every
 * 256 K code units with the number of code units done. Cost ≈ text length / (50 MB/s) for code.
 */
export function lexToBlockArrays(tok: BpeTokenizer, text: string, blockTarget = DEFAULT_BLOCK_TARGET, onProgress?: (done: number) => void): BlockArrays {
  const pre = tok.pretokenizer;
  let chunkEnds = new Int32Array(Math.max(16, text.length >> 2));
  let tokenEnds = new Int32Array(chunkEnds.length);
  const ids = new TokenBuffer(Math.max(16, text.length >> 2));
  const blocks: number[] = [];
  let nChunks = 0;
  let blockChunk0 = 0;
  let blockText0 = 0;
  let blockTok0 = 0;
  let nextReport = 1 << 18;
  for (let i = 0; i < text.length; ) {
    const e = pre.chunkEnd(text, i);
    tok.encodeChunk(text, i, e, ids);
    if (nChunks === chunkEnds.length) {
      const ce = new Int32Array(nChunks * 2);
      ce.set(chunkEnds);
      chunkEnds = ce;
      const te = new Int32Array(nChunks * 2);
      te.set(tokenEnds);
      tokenEnds = te;
    }
    chunkEnds[nChunks] = e - blockText0;
    tokenEnds[nChunks] = ids.length - blockTok0;
    nChunks++;
    i = e;
    if (e - blockText0 >= blockTarget || e === text.length) {
      blocks.push(blockChunk0, nChunks, blockText0, e, blockTok0, ids.length);
      blockChunk0 = nChunks;
      blockText0 = e;
      blockTok0 = ids.length;
    }
    if (onProgress && i >= nextReport) {
      onProgress(i);
      nextReport = i + (1 << 18);
    }
  }
  return { chunkEnds: chunkEnds.slice(0, nChunks), tokenEnds: tokenEnds.slice(0, nChunks), ids: ids.toArray(), blocks: Int32Array.from(blocks) };
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

/** UTF-16 units of the character at i (2 for a surrogate pair). */
function charUnits(text: string, i: number, end: number): number {
  return isHighSurrogate(text.charCodeAt(i)) && i + 1 < end && isLowSurrogate(text.charCodeAt(i + 1)) ? 2 : 1;
}

/** UTF-8 bytes of the character at i (lone surrogates: 3, as U+FFFD). */
function charBytes(text: string, i: number, end: number): number {
  if (i >= end) return 0;
  const c = text.charCodeAt(i);
  if (c < 0x80) return 1;
  if (c < 0x800) return 2;
  if (isHighSurrogate(c) && i + 1 < end && isLowSurrogate(text.charCodeAt(i + 1))) return 4;
  return 3;
}
