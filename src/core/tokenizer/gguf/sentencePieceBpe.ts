/**
 * llama.cpp's SentencePiece tokenization (`llm_tokenizer_spm_session`): symbols start as single
 * characters; the adjacent pair whose concatenation is a token with the highest score merges first
 * (leftmost on ties), until no adjacent pair forms a token. A final symbol that is not a token is
 * emitted as byte tokens (`<0xNN>`).
 *
 * Input is already space-escaped (U+2581). Units: symbol bounds are UTF-16 offsets into the
 * caller's string; one symbol per code point initially.
 */
import { TokenscopeError } from '../../../common/errors';
import { IntRecords } from '../intRecords';
import { KeyedMinHeap } from '../keyedMinHeap';
import type { TokenBuffer } from '../tokenBuffer';
import type { GgufVocab } from './ggufVocab';
import { UnitStringTable } from './unitStringTable';

/** Segments up to this many code points merge by rescanning the live pairs (O(n²), no heap upkeep). */
const LINEAR_MAX = 48;
const NONE = -1;
/** Fields of a merge candidate: left symbol, length of the pair (UTF-16 units), the pair's token. */
const LEFT = 0;
const LENGTH = 1;
const TOKEN = 2;
const CANDIDATE_FIELDS = 3;

export class SentencePieceBpe {
  /** Token texts (valid UTF-8 only: nothing else can equal a piece of real text) → id. */
  private readonly ids: UnitStringTable;
  private readonly scores: Float32Array;
  /** Token of each byte: `<0xNN>`, else the token whose text is that single character; -1 if none. */
  private readonly byteToken = new Int32Array(256).fill(-1);
  // Scratch per segment: symbol start/end (UTF-16), token id (or -1), links, best pair per left symbol.
  private from = new Int32Array(256);
  private to = new Int32Array(256);
  private id = new Int32Array(256);
  private next = new Int32Array(256);
  private prev = new Int32Array(256);
  private pairId = new Int32Array(256);
  private readonly encoder = new TextEncoder();
  /** Merge candidates by (−score, left), values = candidate records (CANDIDATE_FIELDS). */
  private readonly heap = new KeyedMinHeap();
  private readonly candidates = new IntRecords(CANDIDATE_FIELDS, 256);

  constructor(vocab: GgufVocab) {
    this.ids = new UnitStringTable(vocab.size);
    this.ids.addAll(vocab.idByText);
    this.scores = vocab.scores;
    for (let b = 0; b < 256; b++) {
      const hex = b.toString(16).toUpperCase().padStart(2, '0');
      this.byteToken[b] = vocab.idByText.get(`<0x${hex}>`) ?? (b > 0 && b < 0x80 ? (vocab.idByText.get(String.fromCharCode(b)) ?? -1) : -1);
    }
  }

  /** Appends the ids of text[start, end) (space-escaped, well-formed) to `out`. */
  encode(text: string, start: number, end: number, out: TokenBuffer): void {
    const n = this.initSymbols(text, start, end);
    if (n === 0) return;
    if (n <= LINEAR_MAX) this.mergeLinear(text, n);
    else this.mergeWithHeap(text, n);
    for (let i = 0; i !== NONE; i = this.next[i]!) {
      const t = this.id[i]!;
      if (t >= 0) out.push(t);
      else this.emitBytes(text, this.from[i]!, this.to[i]!, out);
    }
  }

  private initSymbols(text: string, start: number, end: number): number {
    if (this.from.length < end - start) this.grow(end - start);
    const { from, to, id, next, prev } = this;
    let n = 0;
    for (let i = start; i < end; ) {
      const c = text.charCodeAt(i);
      const w = c >= 0xd800 && c <= 0xdbff && i + 1 < end ? 2 : 1;
      from[n] = i;
      to[n] = i + w;
      id[n] = this.ids.get(text, i, i + w);
      prev[n] = n - 1;
      next[n] = n + 1;
      n++;
      i += w;
    }
    if (n > 0) next[n - 1] = NONE;
    return n;
  }

  /** Token id of the concatenation of symbols i and next[i], or -1. */
  private pairToken(text: string, i: number): number {
    const j = this.next[i]!;
    if (j === NONE) return NONE;
    return this.ids.get(text, this.from[i]!, this.to[j]!);
  }

  /** Repeatedly merges the live pair with the highest score (leftmost on ties). O(n²). */
  private mergeLinear(text: string, n: number): void {
    const { id, next, prev, to, pairId, scores } = this;
    for (let i = 0; i < n; i++) pairId[i] = this.pairToken(text, i);
    for (;;) {
      let best = NONE;
      let bestScore = -Infinity;
      for (let i = 0; i !== NONE; i = next[i]!) {
        const p = pairId[i]!;
        if (p !== NONE && (best === NONE || scores[p]! > bestScore)) {
          best = i;
          bestScore = scores[p]!;
        }
      }
      if (best === NONE) return;
      const j = next[best]!;
      id[best] = pairId[best]!;
      to[best] = to[j]!;
      const k = next[j]!;
      next[best] = k;
      if (k !== NONE) prev[k] = best;
      pairId[best] = this.pairToken(text, best);
      const p = prev[best]!;
      if (p !== NONE) pairId[p] = this.pairToken(text, p);
    }
  }

  /** Same order as mergeLinear with a priority queue, O(n log n); stale entries are skipped by length. */
  private mergeWithHeap(text: string, n: number): void {
    const { id, next, prev, from, to, scores } = this;
    const { heap, candidates } = this;
    heap.clear();
    candidates.clear();
    const push = (i: number): void => {
      if (i === NONE) return;
      const p = this.pairToken(text, i);
      if (p === NONE) return;
      const c = candidates.append();
      const d = candidates.data;
      d[c * CANDIDATE_FIELDS + LEFT] = i;
      d[c * CANDIDATE_FIELDS + LENGTH] = to[next[i]!]! - from[i]!;
      d[c * CANDIDATE_FIELDS + TOKEN] = p;
      heap.push(-scores[p]!, i, c);
    };
    for (let i = 0; i < n; i++) push(i);
    while (heap.size > 0) {
      const o = heap.pop() * CANDIDATE_FIELDS;
      const d = candidates.data;
      const i = d[o + LEFT]!;
      const j = next[i]!;
      // Stale once either side has grown or been absorbed: the pair's length no longer matches.
      if (from[i]! < 0 || j === NONE || to[j]! - from[i]! !== d[o + LENGTH]) continue;
      id[i] = d[o + TOKEN]!;
      to[i] = to[j]!;
      from[j] = -1;
      const k = next[j]!;
      next[i] = k;
      if (k !== NONE) prev[k] = i;
      push(prev[i]!);
      push(i);
    }
  }

  private emitBytes(text: string, start: number, end: number, out: TokenBuffer): void {
    const bytes = this.encoder.encode(text.slice(start, end));
    for (const b of bytes) {
      const t = this.byteToken[b]!;
      if (t < 0) {
        throw new TokenscopeError('gguf-unsupported', `SentencePiece vocabulary has no byte token for 0x${b.toString(16).padStart(2, '0')}`);
      }
      out.push(t);
    }
  }

  private grow(n: number): void {
    const cap = Math.max(n, this.from.length * 2);
    this.from = new Int32Array(cap);
    this.to = new Int32Array(cap);
    this.id = new Int32Array(cap);
    this.next = new Int32Array(cap);
    this.prev = new Int32Array(cap);
    this.pairId = new Int32Array(cap);
  }
}
