/**
 * llama.cpp's byte-level BPE merge step (`llm_tokenizer_bpe_session`), on raw bytes.
 *
 * llama.cpp works on GPT-2 byte-encoded strings (every byte shown as one printable character)
 * and merges adjacent symbols by the rank of the pair in `tokenizer.ggml.merges`, lowest rank
 * first, leftmost first on ties. Here every string that can appear as a symbol — each token text,
 * and each merge half or merge result that is *not* a token — gets an integer id (tokens keep
 * theirs; the others get "virtual" ids ≥ vocab size), and the merges become a hash table
 * (left id, right id) → (rank, result id), built from the merges' bytes without decoding them
 * (the result id is looked up when a merge first applies). A word is then merged on int arrays.
 *
 * A final symbol that is not a token falls back, as in llama.cpp, to the tokens whose stored text
 * is a single byte of the symbol's byte-encoded (UTF-8) text; bytes without such a token vanish.
 */
import { ITEMS_PER_STEP, runSteps, type Steps } from '../../../common/steps';
import { IntRecords } from '../intRecords';
import { KeyedMinHeap } from '../keyedMinHeap';
import type { TokenBuffer } from '../tokenBuffer';
import { ByteStringTable } from './byteStringTable';
import type { GgufVocab } from './ggufVocab';

/** GPT-2's bytes → printable characters table: byte b is shown as BYTE_CHARS[b]. */
export const BYTE_CHARS: readonly string[] = (() => {
  const chars = new Array<string>(256);
  let next = 256;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    chars[b] = String.fromCharCode(printable ? b : next++);
  }
  return chars;
})();

/** Inverse of BYTE_CHARS over the code units U+0000..U+0143; -1 elsewhere. */
export const CHAR_BYTES: Int16Array = (() => {
  const t = new Int16Array(0x144).fill(-1);
  BYTE_CHARS.forEach((c, b) => (t[c.charCodeAt(0)] = b));
  return t;
})();

const NO_RANK = 0x7fffffff;
const UNRESOLVED = -2;
/** Words up to this many bytes merge by rescanning the live pairs (O(n²), no heap upkeep). */
const LINEAR_MAX = 48;
/** Fields of a merge candidate: left position, its symbol, right position, its symbol, the merged symbol. */
const LEFT = 0;
const LEFT_SYM = 1;
const RIGHT = 2;
const RIGHT_SYM = 3;
const MERGED = 4;
const CANDIDATE_FIELDS = 5;

export class ByteLevelBpe {
  /** Token ids of the single bytes (or virtual ids for bytes that are not tokens). */
  readonly byteSymbol = new Int32Array(256);
  private readonly vocabSize: number;
  /** Stored (byte-encoded UTF-8) text of virtual symbol v at entry v − vocabSize. */
  private readonly virtualSymbols: ByteStringTable;
  /** Token id whose stored text is exactly one byte, by that byte; -1 if none. */
  private readonly singleByteToken = new Int32Array(256).fill(-1);
  /** Open-addressing pair table: left, right, rank, result; left = -1 marks an empty slot. */
  private readonly pairLeft: Int32Array;
  private readonly pairRight: Int32Array;
  private readonly pairRank: Int32Array;
  private readonly pairResult: Int32Array;
  private readonly pairShift: number;
  private readonly pairMask: number;
  // Scratch for one word (grown on demand).
  private sym = new Int32Array(256);
  private next = new Int32Array(256);
  private prev = new Int32Array(256);
  private rank = new Int32Array(256);
  private result = new Int32Array(256);
  /** Merge candidates by (rank, left index), values = candidate records (CANDIDATE_FIELDS). */
  private readonly heap = new KeyedMinHeap();
  private readonly candidates = new IntRecords(CANDIDATE_FIELDS, 256);

  /**
   * Cost: one pass over the merges' bytes with two hash lookups per merge, no strings (≈40 ms for
   * 280k merges). The result symbol of a merge is looked up the first time the merge applies.
   * `deferMerges`: the merge table is left empty for `insertMerges()` to fill in steps (the
   * instance encodes nothing right until those steps ran out).
   */
  constructor(
    private readonly vocab: GgufVocab,
    options: { readonly deferMerges?: boolean } = {},
  ) {
    const n = vocab.size;
    this.vocabSize = n;
    this.virtualSymbols = new ByteStringTable(1024, 16384);
    for (let b = 0; b < 256; b++) {
      const u = BYTE_UTF8[b]!;
      this.byteSymbol[b] = this.symbolOf(u, 0, u.length, u, 0, 0);
    }
    for (let id = n - 1; id >= 0; id--) {
      if (vocab.rawTexts.byteLength(id) === 1) this.singleByteToken[vocab.rawTexts.bytesAt(id)[0]!] = id;
    }

    const merges = vocab.merges!;
    let cap = 1024;
    while (cap < merges.length * 2) cap <<= 1;
    this.pairShift = 32 - Math.log2(cap);
    this.pairMask = cap - 1;
    this.pairLeft = new Int32Array(cap).fill(-1);
    this.pairRight = new Int32Array(cap);
    this.pairRank = new Int32Array(cap);
    this.pairResult = new Int32Array(cap);
    if (!options.deferMerges) runSteps(this.insertMerges());
  }

  /** Fills the merge table, yielding every ITEMS_PER_STEP merges; once, for an instance built with `deferMerges`. */
  *insertMerges(): Steps<void> {
    const merges = this.vocab.merges!;
    const mb = merges.bytes;
    const mo = merges.offsets;
    for (let r = 0; r < merges.length; r++) {
      if (r % ITEMS_PER_STEP === ITEMS_PER_STEP - 1) yield;
      const a = mo[r]!;
      const z = mo[r + 1]!;
      // llama.cpp splits at the first space from byte 1 on
      let sp = a + 1;
      while (sp < z && mb[sp] !== 0x20) sp++;
      if (sp >= z) continue; // llama.cpp keeps an ("", "") pair; empty symbols never occur
      if (!isByteEncoded(mb, a, sp) || !isByteEncoded(mb, sp + 1, z)) continue; // can never match a byte-encoded word
      this.insertPair(this.symbolOf(mb, a, sp, mb, sp, sp), this.symbolOf(mb, sp + 1, z, mb, z, z), r);
    }
  }

  /** Id of the symbol spelled a[s1, e1) ++ b[s2, e2) (stored encoding): its token, else a virtual id (created on first use). */
  private symbolOf(a: Uint8Array, s1: number, e1: number, b: Uint8Array, s2: number, e2: number): number {
    let id = this.vocab.textIndex.get2(a, s1, e1, b, s2, e2);
    if (id >= 0) return id;
    id = this.virtualSymbols.get2(a, s1, e1, b, s2, e2);
    if (id >= 0) return id;
    id = this.vocabSize + this.virtualSymbols.size;
    this.virtualSymbols.set2(a, s1, e1, b, s2, e2, id);
    return id;
  }

  /** Stored text of a symbol (token or virtual). */
  private symbolText(id: number): Uint8Array {
    return id < this.vocabSize ? this.vocab.textBytes(id) : this.virtualSymbols.keyOf(id - this.vocabSize);
  }

  /** Result symbol of the merge in slot h, resolved and remembered on first use. */
  private resultOf(h: number): number {
    let r = this.pairResult[h]!;
    if (r === UNRESOLVED) {
      const left = this.symbolText(this.pairLeft[h]!);
      const right = this.symbolText(this.pairRight[h]!);
      // symbolText views may move when a virtual symbol is added; both are read before that
      r = this.symbolOf(left, 0, left.length, right, 0, right.length);
      this.pairResult[h] = r;
    }
    return r;
  }

  /** Number of distinct symbols, tokens plus virtual. */
  get symbolCount(): number {
    return this.vocabSize + this.virtualSymbols.size;
  }

  private slot(left: number, right: number): number {
    return (Math.imul(left, 0x9e3779b1) ^ Math.imul(right + 0x7f4a7c15, 0x85ebca77)) >>> this.pairShift;
  }

  private insertPair(left: number, right: number, rank: number): void {
    let h = this.slot(left, right);
    for (;;) {
      const l = this.pairLeft[h]!;
      if (l === -1) break;
      if (l === left && this.pairRight[h] === right) return; // the first (lowest-rank) occurrence wins, as in llama.cpp
      h = (h + 1) & this.pairMask;
    }
    this.pairLeft[h] = left;
    this.pairRight[h] = right;
    this.pairRank[h] = rank;
    this.pairResult[h] = UNRESOLVED;
  }

  /** Slot of the pair, or -1 when the pair is not a merge. */
  private findPair(left: number, right: number): number {
    let h = this.slot(left, right);
    for (;;) {
      const l = this.pairLeft[h]!;
      if (l === -1) return -1;
      if (l === left && this.pairRight[h] === right) return h;
      h = (h + 1) & this.pairMask;
    }
  }

  /** Appends the ids of one pre-tokenized word, given as bytes[start, end), to `out`. */
  encodeWord(bytes: Uint8Array, start: number, end: number, out: TokenBuffer): void {
    const n = end - start;
    if (n === 0) return;
    if (n === 1) {
      this.emit(this.byteSymbol[bytes[start]!]!, out);
      return;
    }
    this.reserve(n);
    const sym = this.sym;
    for (let i = 0; i < n; i++) sym[i] = this.byteSymbol[bytes[start + i]!]!;
    if (n <= LINEAR_MAX) this.mergeLinear(n);
    else this.mergeWithHeap(n);
    for (let i = 0; i !== -1; i = this.next[i]!) this.emit(sym[i]!, out);
  }

  /** Merges sym[0, n) by repeatedly taking the lowest-rank live pair (leftmost on ties). O(n²). */
  private mergeLinear(n: number): void {
    const { sym, next, prev, rank, result } = this;
    for (let i = 0; i < n; i++) {
      next[i] = i + 1 < n ? i + 1 : -1;
      prev[i] = i - 1;
      this.lookup(i, i + 1 < n ? sym[i + 1]! : -1);
    }
    for (;;) {
      let best = -1;
      let bestRank = NO_RANK;
      for (let i = 0; i !== -1; i = next[i]!) {
        if (rank[i]! < bestRank) {
          bestRank = rank[i]!;
          best = i;
        }
      }
      if (best < 0) return;
      const j = next[best]!;
      sym[best] = result[best]!;
      const k = next[j]!;
      next[best] = k;
      if (k !== -1) prev[k] = best;
      this.lookup(best, k !== -1 ? sym[k]! : -1);
      const p = prev[best]!;
      if (p !== -1) this.lookup(p, sym[best]!);
    }
  }

  /** Sets rank[i] / result[i] for the pair (sym[i], right); NO_RANK when it is not a merge. */
  private lookup(i: number, right: number): void {
    const h = right < 0 ? -1 : this.findPair(this.sym[i]!, right);
    if (h < 0) {
      this.rank[i] = NO_RANK;
    } else {
      this.rank[i] = this.pairRank[h]!;
      this.result[i] = this.resultOf(h);
    }
  }

  /**
   * Same merge order as mergeLinear with a priority queue of candidate pairs, O(n log n): an
   * entry is stale (skipped) once either side has been merged into something else.
   */
  private mergeWithHeap(n: number): void {
    const { sym, next, prev } = this;
    const { heap, candidates } = this;
    heap.clear();
    candidates.clear();
    for (let i = 0; i < n; i++) {
      next[i] = i + 1 < n ? i + 1 : -1;
      prev[i] = i - 1;
    }
    const push = (i: number): void => {
      const j = next[i]!;
      if (i < 0 || j < 0) return;
      const h = this.findPair(sym[i]!, sym[j]!);
      if (h < 0) return;
      const c = candidates.append();
      const d = candidates.data;
      const o = c * CANDIDATE_FIELDS;
      d[o + LEFT] = i;
      d[o + LEFT_SYM] = sym[i]!;
      d[o + RIGHT] = j;
      d[o + RIGHT_SYM] = sym[j]!;
      d[o + MERGED] = this.resultOf(h);
      heap.push(this.pairRank[h]!, i, c);
    };
    for (let i = 0; i + 1 < n; i++) push(i);
    while (heap.size > 0) {
      const o = heap.pop() * CANDIDATE_FIELDS;
      const d = candidates.data;
      const i = d[o + LEFT]!;
      const j = d[o + RIGHT]!;
      // Stale unless both symbols still exist unchanged and are still adjacent.
      if (sym[i] !== d[o + LEFT_SYM] || sym[j] !== d[o + RIGHT_SYM] || next[i] !== j) continue;
      sym[i] = d[o + MERGED]!;
      sym[j] = -1;
      const k = next[j]!;
      next[i] = k;
      if (k !== -1) prev[k] = i;
      push(prev[i]!);
      push(i);
    }
  }

  private emit(symbol: number, out: TokenBuffer): void {
    if (symbol < this.vocabSize) {
      out.push(symbol);
      return;
    }
    // Not a token: the tokens of the single bytes of its byte-encoded UTF-8 text, if any.
    const text = this.virtualSymbols.keyOf(symbol - this.vocabSize);
    for (let i = 0; i < text.length; i++) {
      const t = this.singleByteToken[text[i]!]!;
      if (t >= 0) out.push(t);
    }
  }

  private reserve(n: number): void {
    if (this.sym.length >= n) return;
    const cap = Math.max(n, this.sym.length * 2);
    this.sym = new Int32Array(cap);
    this.next = new Int32Array(cap);
    this.prev = new Int32Array(cap);
    this.rank = new Int32Array(cap);
    this.result = new Int32Array(cap);
  }
}

/** The UTF-8 bytes of BYTE_CHARS[b]: how byte b appears in stored BPE token texts. */
export const BYTE_UTF8: readonly Uint8Array[] = BYTE_CHARS.map((c) => new TextEncoder().encode(c));

/** True when bytes[start, end) is UTF-8 made only of GPT-2's 256 byte characters (all below U+0144). */
export function isByteEncoded(bytes: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = bytes[i]!;
    if (c < 0x80) {
      if (CHAR_BYTES[c]! < 0) return false;
      continue;
    }
    if (c < 0xc2 || c > 0xc5 || i + 1 >= end) return false;
    const d = bytes[++i]!;
    if ((d & 0xc0) !== 0x80) return false;
    const cp = ((c & 0x1f) << 6) | (d & 0x3f);
    if (cp >= 0x144 || CHAR_BYTES[cp]! < 0) return false;
  }
  return true;
}
