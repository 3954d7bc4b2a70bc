/** The peer tokenizers, each wrapped to "ids of ordinary text" (special-token strings as text). */
/** The part of js-tiktoken's Tiktoken class used here (its package is ESM-typed). */
interface JsTiktoken {
  encode(text: string, allowed: string[], disallowed: string[]): number[];
}

export interface PeerEncoder {
  readonly name: string;
  encode(text: string): ArrayLike<number>;
  dispose(): void;
}

/* eslint-disable @typescript-eslint/no-require-imports */
export function gptTokenizer(): PeerEncoder {
  const g = require('gpt-tokenizer/encoding/o200k_base') as { encode(t: string, o: object): number[] };
  const none = new Set<string>();
  return { name: 'gpt-tokenizer', encode: (t) => g.encode(t, { disallowedSpecial: none }), dispose: () => undefined };
}

export function tiktokenWasm(encoding: 'o200k_base' | 'cl100k_base' = 'o200k_base'): PeerEncoder {
  const { get_encoding } = require('tiktoken') as typeof import('tiktoken');
  const e = get_encoding(encoding);
  return { name: 'tiktoken WASM', encode: (t) => e.encode_ordinary(t), dispose: () => e.free() };
}

export function jsTiktoken(): PeerEncoder {
  const { Tiktoken } = require('js-tiktoken/lite') as { Tiktoken: new (ranks: unknown) => JsTiktoken };
  const ranks = require('js-tiktoken/ranks/o200k_base') as { default?: unknown };
  const t = new Tiktoken(ranks.default ?? ranks);
  return { name: 'js-tiktoken', encode: (s) => t.encode(s, [], []), dispose: () => undefined };
}
/* eslint-enable @typescript-eslint/no-require-imports */
