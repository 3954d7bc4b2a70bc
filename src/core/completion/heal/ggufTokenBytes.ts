import type { GgufTokenizer } from '../../tokenizer/gguf/ggufTokenizer';
import { TokenAttr } from '../../tokenizer/gguf/ggufVocab';
import { TokenByteIndex, type TokenBytesSource } from './tokenByteIndex';

/** Tokens generation may emit as text: normal, byte (`<0xNN>`) and user-defined; never control, unused or unknown. */
const TEXT_ATTRS = TokenAttr.Normal | TokenAttr.Byte | TokenAttr.UserDefined;
const NON_TEXT_ATTRS = TokenAttr.Control | TokenAttr.Unused | TokenAttr.Unknown;

/** The GGUF vocabulary as a TokenBytesSource (raw bytes as llama.cpp renders them). */
export function ggufTokenBytes(tokenizer: GgufTokenizer): TokenBytesSource {
  const attrs = tokenizer.vocab.attrs;
  return {
    vocabSize: tokenizer.vocabSize,
    tokenBytes: (id) => tokenizer.tokenBytes(id),
    isText: (id) => {
      const a = attrs[id] ?? 0;
      return (a & TEXT_ATTRS) !== 0 && (a & NON_TEXT_ATTRS) === 0;
    },
  };
}

/** Whether a token is never removed by healing (control, unused, unknown: FIM markers and the like). */
export function ggufIsSpecial(tokenizer: GgufTokenizer): (id: number) => boolean {
  const attrs = tokenizer.vocab.attrs;
  return (id) => ((attrs[id] ?? 0) & NON_TEXT_ATTRS) !== 0;
}

export function ggufTokenByteIndex(tokenizer: GgufTokenizer): TokenByteIndex {
  return new TokenByteIndex(ggufTokenBytes(tokenizer));
}
