/**
 * Tokenizer for a local model's own vocabulary, read from its GGUF file; exact against llama.cpp's
 * `llama_tokenize(text, add_special = false, parse_special = false)` for byte-level BPE (`gpt2`)
 * and SentencePiece (`llama`) vocabularies.
 *
 * Pipeline per `encode`: make the string well-formed (lone surrogates → U+FFFD, as TextEncoder
 * and llama.cpp's UTF-8 input see them) → split out user-defined tokens → per text fragment:
 *  - BPE: llama.cpp's pre-tokenizer for the vocab's pre type → per word: bounded cache of
 *    word → ids, else UTF-8 bytes → byte-level merges;
 *  - SPM: (space prefix) + spaces as U+2581 → per segment that no token can span: cache, else
 *    score-ordered merges.
 */
import * as path from 'path';
import { inRanges, runSteps, type Steps } from '../../../common/steps';
import { ChunkCache } from '../chunkCache';
import { TokenBuffer } from '../tokenBuffer';
import type { Tokenizer } from '../tokenizer';
import { encodeUtf8Into } from '../utf8';
import { GgufFile } from '../../gguf/ggufFile';
import { BYTE_UTF8, ByteLevelBpe, CHAR_BYTES, isByteEncoded } from './byteLevelBpe';
import { GgufVocab, TokenAttr, type SpecialTokenIds, type VocabKind } from './ggufVocab';
import { LlamaPretokenizer } from './llamaPretokenizer';
import { SentencePieceBpe } from './sentencePieceBpe';
import { SpecialTokenPartition } from './specialTokenPartition';

/** Words / segments cached (code repeats identifiers, indentation and operators). */
const CACHE_ENTRIES = 65_536;
/** Longer words are not cached (a minified line would pin its ids). UTF-16 units. */
const CACHE_MAX_LENGTH = 256;
const SPM_SPACE = '\u2581';
const utf8Encoder = new TextEncoder();

export interface GgufTokenizerOptions {
  /** Tokenizer name (default: `gguf:<file name>` from `load`, `gguf:<model>:<pre type>` from the constructor). */
  readonly name?: string;
}

type WellFormed = (this: string) => string;
const toWellFormed = (String.prototype as { toWellFormed?: WellFormed }).toWellFormed;

export class GgufTokenizer implements Tokenizer {
  readonly name: string;
  private readonly partition: SpecialTokenPartition;
  private readonly pretokenizer: LlamaPretokenizer | undefined;
  private readonly bpe: ByteLevelBpe | undefined;
  private readonly spm: SentencePieceBpe | undefined;
  /** SPM: whether a segment boundary before every "▁" that follows a non-"▁" is safe. */
  private readonly spmSplitAtSpaces: boolean;
  private readonly cache = new ChunkCache(CACHE_ENTRIES);
  private readonly countBuffer = new TokenBuffer(4096);
  private wordBytes = new Uint8Array(1024);
  private storedBytes = new Uint8Array(2048);
  private pieceScratch = new Uint8Array(256);
  private pieces: { bytes: Uint8Array; offsets: Uint32Array } | undefined;

  constructor(
    readonly vocab: GgufVocab,
    options: GgufTokenizerOptions = {},
    /** Leaves the BPE merge table to `createInSteps` (private use). */
    deferMerges = false,
  ) {
    this.name = options.name ?? `gguf:${vocab.model}:${vocab.pre}`;
    this.partition = new SpecialTokenPartition(vocab.partitionIds, (id) => vocab.text(id), vocab.attrs);
    if (vocab.kind === 'bpe') {
      this.pretokenizer = new LlamaPretokenizer(vocab.pre);
      this.bpe = new ByteLevelBpe(vocab, { deferMerges });
      this.spmSplitAtSpaces = false;
    } else {
      this.spm = new SentencePieceBpe(vocab);
      this.spmSplitAtSpaces = !vocab.texts.some((t) => hasSpaceAfterNonSpace(t));
    }
  }

  /**
   * The tokenizer built in steps (the BPE merge table yields every ITEMS_PER_STEP merges: ≈35 ms
   * in one go for the shipped model's 49k merges, ×3 for a 150k-merge vocabulary).
   */
  static *createInSteps(vocab: GgufVocab, options: GgufTokenizerOptions = {}): Steps<GgufTokenizer> {
    // SentencePiece's constructor reads every token's text (spmSplitAtSpaces): decoded in steps first
    if (vocab.kind === 'spm') {
      yield* vocab.decodeAllInSteps();
      yield;
    }
    const t = new GgufTokenizer(vocab, options, true);
    if (t.bpe) yield* t.bpe.insertMerges();
    yield;
    // decoding is needed by every completion: built here, in steps, not on the first reply's task
    // (the texts' decoding and the pieces were one 35 ms task on the extension host)
    yield* t.buildPiecesInSteps();
    return t;
  }

  /** Reads the vocabulary of the GGUF file at `file` (tensor data is not read). */
  static load(file: string, options: GgufTokenizerOptions = {}): GgufTokenizer {
    const g = GgufFile.open(file);
    return new GgufTokenizer(GgufVocab.fromGguf(g), { ...options, name: options.name ?? GgufTokenizer.nameOf(file) });
  }

  /** The name `load` gives the tokenizer of the file at `file`. */
  static nameOf(file: string): string {
    return `gguf:${path.basename(file)}`;
  }

  get vocabSize(): number {
    return this.vocab.size;
  }
  /** 'bpe' (byte-level, `gpt2`) or 'spm' (SentencePiece, `llama`). */
  get modelType(): VocabKind {
    return this.vocab.kind;
  }
  /** `tokenizer.ggml.pre` ('default' when absent or for SentencePiece). */
  get preType(): string {
    return this.vocab.pre;
  }
  get special(): SpecialTokenIds {
    return this.vocab.special;
  }
  get bosId(): number | undefined {
    return this.vocab.special.bos;
  }
  get eosId(): number | undefined {
    return this.vocab.special.eos;
  }
  get fimPrefixId(): number | undefined {
    return this.vocab.special.fimPre;
  }
  get fimSuffixId(): number | undefined {
    return this.vocab.special.fimSuf;
  }
  get fimMiddleId(): number | undefined {
    return this.vocab.special.fimMid;
  }

  encode(text: string): Uint32Array {
    const out = new TokenBuffer(Math.max(16, text.length >> 2));
    this.encodeInto(text, out);
    return out.toArray();
  }

  count(text: string): number {
    const out = this.countBuffer;
    out.clear();
    this.encodeInto(text, out);
    return out.length;
  }

  /**
   * Appends llama.cpp's tokenization of `text` to `out`: no BOS/EOS; control-token text is plain
   * text, user-defined tokens are split out (as llama.cpp does even without special parsing).
   */
  encodeInto(text: string, out: TokenBuffer): void {
    if (text.length === 0) return;
    if (toWellFormed) text = toWellFormed.call(text);
    else text = text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
    const frags = this.partition.split(text);
    if (!frags) {
      this.encodeFragment(text, 0, text.length, true, out);
      return;
    }
    let afterToken = true; // SPM adds its space prefix at the start and after every split-out token
    for (let i = 0; i < frags.count; i++) {
      const id = frags.token[i]!;
      if (id >= 0) {
        out.push(id);
        afterToken = true;
      } else {
        this.encodeFragment(text, frags.start[i]!, frags.end[i]!, afterToken, out);
        afterToken = false;
      }
    }
  }

  private encodeFragment(text: string, start: number, end: number, afterToken: boolean, out: TokenBuffer): void {
    if (this.bpe) this.encodeBpeFragment(text, start, end, out);
    else this.encodeSpmFragment(text, start, end, afterToken, out);
  }

  private encodeBpeFragment(text: string, start: number, end: number, out: TokenBuffer): void {
    const ends = this.pretokenizer!.split(text, start, end);
    const cache = this.cache;
    let from = start;
    for (let k = 0; k < ends.length; k++) {
      const to = ends[k]!;
      if (!cache.appendTo(text, from, to, out)) {
        const before = out.length;
        this.encodeWord(text, from, to, out);
        if (to - from <= CACHE_MAX_LENGTH) cache.set(text, from, to, out.data, before, out.length);
      }
      from = to;
    }
  }

  private encodeWord(text: string, start: number, end: number, out: TokenBuffer): void {
    const need = (end - start) * 3;
    if (this.wordBytes.length < need) this.wordBytes = new Uint8Array(Math.max(need, this.wordBytes.length * 2));
    const n = encodeUtf8Into(text, start, end, this.wordBytes, 0);
    if (this.pretokenizer!.ignoreMerges) {
      // A word that is itself a token is emitted whole, merges or not (llama.cpp `ignore_merges`).
      const id = this.storedTokenOfBytes(n);
      if (id >= 0) {
        out.push(id);
        return;
      }
    }
    this.bpe!.encodeWord(this.wordBytes, 0, n, out);
  }

  /** Token whose stored (byte-encoded) text spells wordBytes[0, n), or -1. */
  private storedTokenOfBytes(n: number): number {
    if (this.storedBytes.length < 2 * n) this.storedBytes = new Uint8Array(Math.max(2 * n, this.storedBytes.length * 2));
    const s = this.storedBytes;
    let m = 0;
    for (let i = 0; i < n; i++) {
      const u = BYTE_UTF8[this.wordBytes[i]!]!;
      s[m++] = u[0]!;
      if (u.length === 2) s[m++] = u[1]!;
    }
    return this.vocab.textIndex.get(s, 0, m);
  }

  private encodeSpmFragment(text: string, start: number, end: number, afterToken: boolean, out: TokenBuffer): void {
    const prefix = afterToken && this.vocab.addSpacePrefix;
    if (!this.spmSplitAtSpaces) {
      const escaped = ((prefix ? ' ' : '') + text.slice(start, end)).replaceAll(' ', SPM_SPACE);
      this.encodeSpmSegment(escaped, 0, escaped.length, out);
      return;
    }
    // Segments start at every space (escaped or already "▁") that follows a non-space: no token
    // contains "▁" after another character, so no merge crosses such a boundary and the merge
    // order inside a segment does not depend on the others. Segments are cached by their
    // original text; the prefixed first one, which differs from its text, by its escaped form.
    let from = start;
    let first = true;
    for (let i = start + 1; i <= end; i++) {
      if (i < end && !(isSpmSpace(text.charCodeAt(i)) && !isSpmSpace(text.charCodeAt(i - 1)))) continue;
      if (first && prefix) {
        const escaped = (' ' + text.slice(from, i)).replaceAll(' ', SPM_SPACE);
        this.encodeSpmSegment(escaped, 0, escaped.length, out);
      } else if (i - from > CACHE_MAX_LENGTH || !this.cache.appendTo(text, from, i, out)) {
        const before = out.length;
        const escaped = text.slice(from, i).replaceAll(' ', SPM_SPACE);
        this.spm!.encode(escaped, 0, escaped.length, out);
        if (i - from <= CACHE_MAX_LENGTH) this.cache.set(text, from, i, out.data, before, out.length);
      }
      first = false;
      from = i;
    }
  }

  /** Encodes escaped[start, end) through the cache (keyed by the escaped text). */
  private encodeSpmSegment(escaped: string, start: number, end: number, out: TokenBuffer): void {
    if (end - start > CACHE_MAX_LENGTH) {
      this.spm!.encode(escaped, start, end, out);
    } else if (!this.cache.appendTo(escaped, start, end, out)) {
      const before = out.length;
      this.spm!.encode(escaped, start, end, out);
      this.cache.set(escaped, start, end, out.data, before, out.length);
    }
  }

  /**
   * The bytes llama.cpp renders for token `id` (its piece with special = true: control and
   * user-defined tokens as their text, byte tokens as the byte, normal tokens decoded). Empty
   * for unused tokens and for ids outside the vocabulary. A view into a shared buffer; do not modify.
   */
  tokenBytes(id: number): Uint8Array {
    const p = this.piecesTable();
    if (!(id >= 0 && id < this.vocab.size)) return new Uint8Array(0);
    return p.bytes.subarray(p.offsets[id], p.offsets[id + 1]);
  }

  decodeBytes(ids: ArrayLike<number>): Uint8Array {
    const p = this.piecesTable();
    let n = 0;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (id >= 0 && id < this.vocab.size) n += p.offsets[id + 1]! - p.offsets[id]!;
    }
    const out = new Uint8Array(n);
    let at = 0;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (!(id >= 0 && id < this.vocab.size)) continue;
      const a = p.offsets[id]!;
      const b = p.offsets[id + 1]!;
      out.set(p.bytes.subarray(a, b), at);
      at += b - a;
    }
    return out;
  }

  dispose(): void {
    this.cache.clear();
    this.pieces = undefined;
  }

  /** Every token's piece, concatenated (`createInSteps` builds it; otherwise on first use: O(vocab bytes), ≈10–30 ms). */
  private piecesTable(): { bytes: Uint8Array; offsets: Uint32Array } {
    if (!this.pieces) runSteps(this.buildPiecesInSteps());
    return this.pieces!;
  }

  /**
   * Builds the pieces table, a step between ranges of ITEMS_PER_STEP tokens. Normal tokens are decoded from
   * their stored UTF-8 bytes (no string per token: the texts' decoding and the per-character path
   * made this one 35 ms task on the extension host at the first reply); ≈2 ms for 49k tokens.
   */
  private *buildPiecesInSteps(): Steps<void> {
    if (this.pieces) return;
    const offsets = new Uint32Array(this.vocab.size + 1);
    let bytes = new Uint8Array(this.vocab.rawTexts.bytes.length + 1024);
    let total = 0;
    yield* inRanges(this.vocab.size, (from, to) => {
      for (let id = from; id < to; id++) {
        const piece = this.piece(id);
        if (total + piece.length > bytes.length) {
          const grown = new Uint8Array(Math.max(total + piece.length, bytes.length * 2));
          grown.set(bytes.subarray(0, total));
          bytes = grown;
        }
        bytes.set(piece, total);
        total += piece.length;
        offsets[id + 1] = total;
      }
    });
    this.pieces = { bytes: bytes.slice(0, total), offsets };
  }

  /** Token `id`'s piece; may be a view of a scratch buffer that the next call overwrites. */
  private piece(id: number): Uint8Array {
    const v = this.vocab;
    const attr = v.attrs[id]!;
    if (attr & (TokenAttr.Unknown | TokenAttr.Control | TokenAttr.UserDefined)) return v.rawTexts.bytesAt(id);
    if (attr & TokenAttr.Normal) return this.normalPiece(id);
    if (attr & TokenAttr.Byte) return Uint8Array.of(parseInt(v.text(id).slice(3, 5), 16) || 0);
    return new Uint8Array(0);
  }

  /**
   * A normal token's bytes: straight from its stored UTF-8 when that is all byte characters (BPE)
   * or well-formed (SPM: "▁" → space), which is every token of a sound vocabulary; through its
   * text otherwise (empty tokens' `[EMPTY_<id>]`, malformed UTF-8, characters outside the alphabet).
   */
  private normalPiece(id: number): Uint8Array {
    const v = this.vocab;
    const raw = v.rawTexts;
    const a = raw.offsets[id]!;
    const b = raw.offsets[id + 1]!;
    if (v.kind === 'bpe') {
      if (a < b && isByteEncoded(raw.bytes, a, b)) return byteDecoded(raw.bytes, a, b, this.scratch(b - a));
      return decodeByteEncoded(v.text(id));
    }
    if (a < b && v.hasValidText(id)) return spmSpacesRestored(raw.bytes, a, b, this.scratch(b - a));
    return utf8Encoder.encode(v.text(id).replaceAll(SPM_SPACE, ' '));
  }

  /** A buffer of at least n bytes for one piece (a token's stored text is never shorter than its piece). */
  private scratch(n: number): Uint8Array {
    if (this.pieceScratch.length < n) this.pieceScratch = new Uint8Array(Math.max(n, this.pieceScratch.length * 2));
    return this.pieceScratch;
  }
}

/** GPT-2 byte characters (UTF-8 in bytes[a, b), all below U+0144) → the bytes they stand for, into `out`. */
function byteDecoded(bytes: Uint8Array, a: number, b: number, out: Uint8Array): Uint8Array {
  let n = 0;
  for (let i = a; i < b; i++) {
    const c = bytes[i]!;
    const cp = c < 0x80 ? c : ((c & 0x1f) << 6) | (bytes[++i]! & 0x3f);
    out[n++] = CHAR_BYTES[cp]!;
  }
  return out.subarray(0, n);
}

/** Well-formed UTF-8 in bytes[a, b) with each "▁" (E2 96 81) turned back into a space, into `out`. */
function spmSpacesRestored(bytes: Uint8Array, a: number, b: number, out: Uint8Array): Uint8Array {
  let n = 0;
  for (let i = a; i < b; i++) {
    if (i + 2 < b && bytes[i] === 0xe2 && bytes[i + 1] === 0x96 && bytes[i + 2] === 0x81) {
      out[n++] = 0x20;
      i += 2;
    } else out[n++] = bytes[i]!;
  }
  return out.subarray(0, n);
}

/**
 * GPT-2 byte-encoded text → bytes. A character outside the 256-character alphabet becomes
 * llama.cpp's "[UNK_BYTE_0x<utf-8 hex><text>]" marker, exactly as it renders it.
 */
function decodeByteEncoded(text: string): Uint8Array {
  const out: number[] = [];
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    const b = c < 0x144 ? CHAR_BYTES[c]! : -1;
    if (b >= 0) {
      out.push(b);
      continue;
    }
    const hex = Array.from(utf8Encoder.encode(ch), (x) => x.toString(16).padStart(2, '0')).join('');
    for (const x of utf8Encoder.encode(`[UNK_BYTE_0x${hex}${text}]`)) out.push(x);
  }
  return Uint8Array.from(out);
}

function isSpmSpace(c: number): boolean {
  return c === 0x20 || c === 0x2581;
}

/** True if `t` contains U+2581 right after a character other than U+2581. */
function hasSpaceAfterNonSpace(t: string): boolean {
  for (let i = t.indexOf(SPM_SPACE, 1); i > 0; i = t.indexOf(SPM_SPACE, i + 1)) {
    if (t.charCodeAt(i - 1) !== 0x2581) return true;
  }
  return false;
}
