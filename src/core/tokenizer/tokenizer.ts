export { ENCODING_NAMES, isEncodingName, type EncodingName } from './encodings';

/**
 * A tokenizer of document text. All text is *ordinary* text: special-token strings such as
 * `<|endoftext|>` are encoded as the characters they are, never as the special token and never
 * rejected (a document may legitimately contain them).
 */
export interface Tokenizer {
  /** Stable id, used in labels and caches, e.g. `o200k_base`. */
  readonly name: string;
  /** Token ids of `text`. Cost: O(text length) plus BPE merges per pre-token. */
  encode(text: string): Uint32Array;
  /** Number of tokens of `text`; same cost as `encode`. */
  count(text: string): number;
  /** Raw bytes of the tokens; a token may be a partial UTF-8 sequence. */
  decodeBytes(ids: ArrayLike<number>): Uint8Array;
  dispose(): void;
}
