import type { BpeTokenizer } from '../tokenizer/bpeTokenizer';
import type { GgufTokenizer } from '../tokenizer/gguf/ggufTokenizer';
import { TokenAttr } from '../tokenizer/gguf/ggufVocab';

/** What a vocabulary entry is, for structural analysis. */
export type TokenKind = 'normal' | 'special' | 'byte' | 'unused' | 'absent';

/** The part of a tokenizer structural analysis needs; adapters below for both kinds. */
export interface VocabularyView {
  readonly name: string;
  /** Ids are 0..size-1 (holes are 'absent'). */
  readonly size: number;
  kindOf(id: number): TokenKind;
  tokenBytes(id: number): Uint8Array;
  /**
   * The ids the tokenizer produces for `text` when it is the whole input, or undefined when a
   * round trip is not a meaningful test for this token (see the SentencePiece adapter).
   */
  roundTrip(id: number, text: string): ArrayLike<number> | undefined;
}

export interface StructuralReport {
  readonly name: string;
  readonly size: number;
  /** Ordinary tokens whose bytes are not valid UTF-8 on their own (pieces of characters). */
  readonly partial: readonly number[];
  /** Ordinary tokens the tokenizer never produces: encoding their own text gives other ids. */
  readonly unreachable: readonly number[];
  /** Control / user-defined / unknown tokens (their text in a document is text, not the token). */
  readonly special: readonly number[];
  /** Tokens the vocabulary marks unused (GGUF token type 5). */
  readonly unused: readonly number[];
  /** Ordinary tokens for which no round trip was possible (SentencePiece word continuations). */
  readonly untested: number;
  readonly ms: number;
}

/** Keeps a leading BOM (cl100k has BOM-prefixed tokens; stripping it would fake "unreachable"). */
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Structural glitch analysis of a vocabulary from the tokenizer alone (no weights): partial UTF-8
 * tokens, unreachable tokens (decode, re-encode, compare), special and unused tokens. O(vocabulary)
 * encodes of short strings: ≈0.5 s for o200k — run it off the UI thread and cache it.
 */
export function analyzeStructure(v: VocabularyView, onProgress?: (fraction: number) => void, signal?: AbortSignal): StructuralReport {
  const t0 = performance.now();
  const partial: number[] = [];
  const unreachable: number[] = [];
  const special: number[] = [];
  const unused: number[] = [];
  let untested = 0;
  const step = Math.max(1, Math.floor(v.size / 50));
  for (let id = 0; id < v.size; id++) {
    if (id % step === 0) {
      if (signal?.aborted) throw abortError();
      onProgress?.(id / v.size);
    }
    const kind = v.kindOf(id);
    if (kind === 'absent' || kind === 'byte') continue;
    if (kind === 'special') {
      special.push(id);
      continue;
    }
    if (kind === 'unused') {
      unused.push(id);
      continue;
    }
    let text: string;
    try {
      text = strictUtf8.decode(v.tokenBytes(id));
    } catch {
      partial.push(id);
      continue;
    }
    const back = v.roundTrip(id, text);
    if (back === undefined) {
      untested++;
      continue;
    }
    if (back.length !== 1 || back[0] !== id) unreachable.push(id);
  }
  onProgress?.(1);
  return { name: v.name, size: v.size, partial, unreachable, special, unused, untested, ms: performance.now() - t0 };
}

/** A tiktoken-style encoding (Tokenscope's BPE engine). */
export function vocabularyOfBpe(tok: BpeTokenizer): VocabularyView {
  let maxSpecial = -1;
  for (const id of Object.values(tok.spec.specialTokens)) maxSpecial = Math.max(maxSpecial, id);
  return {
    name: tok.name,
    size: Math.max(tok.table.size, maxSpecial + 1),
    kindOf: (id) => (tok.table.hasRank(id) ? 'normal' : tok.isSpecial(id) ? 'special' : 'absent'),
    tokenBytes: (id) => tok.tokenBytes(id),
    roundTrip: (_id, text) => tok.encode(text),
  };
}

/**
 * A local model's vocabulary. SentencePiece vocabularies that prefix a space to the input re-add
 * the space a piece like "▁foo" carries, so the round trip encodes the text without it; pieces
 * without a leading space only ever follow another piece and cannot be tested in isolation.
 */
export function vocabularyOfGguf(tok: GgufTokenizer): VocabularyView {
  const vocab = tok.vocab;
  const spmPrefix = vocab.kind === 'spm' && vocab.addSpacePrefix;
  return {
    name: tok.name,
    size: vocab.size,
    kindOf: (id) => {
      const a = vocab.attrs[id] ?? 0;
      if (a & TokenAttr.Byte) return 'byte';
      if (a & TokenAttr.Unused) return 'unused';
      if (a & (TokenAttr.Control | TokenAttr.UserDefined | TokenAttr.Unknown)) return 'special';
      return 'normal';
    },
    tokenBytes: (id) => tok.tokenBytes(id),
    roundTrip: (_id, text) => {
      if (!spmPrefix) return tok.encode(text);
      return text.startsWith(' ') ? tok.encode(text.slice(1)) : undefined;
    },
  };
}

function abortError(): Error {
  const e = new Error('analysis cancelled');
  e.name = 'AbortError';
  return e;
}
