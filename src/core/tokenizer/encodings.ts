import type { PatternName } from './pretokenizer';

/** The OpenAI encodings Tokenscope offers. */
export const ENCODING_NAMES = ['o200k_base', 'o200k_harmony', 'cl100k_base', 'p50k_base', 'r50k_base'] as const;
export type EncodingName = (typeof ENCODING_NAMES)[number];

export function isEncodingName(s: unknown): s is EncodingName {
  return typeof s === 'string' && (ENCODING_NAMES as readonly string[]).includes(s);
}

export interface EncodingSpec {
  readonly name: EncodingName;
  readonly pattern: PatternName;
  /** Base name of the rank table (dist/ranks/<rankFile>.tkr, tiktoken/encoders/<rankFile>.json). */
  readonly rankFile: 'o200k_base' | 'cl100k_base' | 'p50k_base' | 'r50k_base';
  readonly specialTokens: Readonly<Record<string, number>>;
  /** Models that use it, for labels. */
  readonly models: string;
}

/**
 * o200k_harmony (gpt-oss): o200k_base's ranks and pattern with the harmony chat-format special
 * tokens, ids 199998–201087 (as defined in OpenAI's tiktoken `openai_public.py`). Ordinary text
 * encodes exactly as under o200k_base; only special tokens differ.
 */
function harmonySpecials(): Record<string, number> {
  const s: Record<string, number> = {
    '<|startoftext|>': 199998,
    '<|endoftext|>': 199999,
    '<|reserved_200000|>': 200000,
    '<|reserved_200001|>': 200001,
    '<|return|>': 200002,
    '<|constrain|>': 200003,
    '<|reserved_200004|>': 200004,
    '<|channel|>': 200005,
    '<|start|>': 200006,
    '<|end|>': 200007,
    '<|message|>': 200008,
    '<|reserved_200009|>': 200009,
    '<|reserved_200010|>': 200010,
    '<|reserved_200011|>': 200011,
    '<|call|>': 200012,
  };
  for (let i = 200013; i < 201088; i++) s[`<|reserved_${i}|>`] = i;
  // o200k_base's own <|endofprompt|> stays valid: id 200018 has two names (it decodes as this one).
  return { '<|endofprompt|>': 200018, ...s };
}

export const ENCODINGS: Readonly<Record<EncodingName, EncodingSpec>> = {
  o200k_base: {
    name: 'o200k_base',
    pattern: 'o200k',
    rankFile: 'o200k_base',
    specialTokens: { '<|endoftext|>': 199999, '<|endofprompt|>': 200018 },
    models: 'GPT-4o, GPT-4.1, o1/o3/o4, GPT-5',
  },
  o200k_harmony: { name: 'o200k_harmony', pattern: 'o200k', rankFile: 'o200k_base', specialTokens: harmonySpecials(), models: 'gpt-oss' },
  cl100k_base: {
    name: 'cl100k_base',
    pattern: 'cl100k',
    rankFile: 'cl100k_base',
    specialTokens: { '<|endoftext|>': 100257, '<|fim_prefix|>': 100258, '<|fim_middle|>': 100259, '<|fim_suffix|>': 100260, '<|endofprompt|>': 100276 },
    models: 'GPT-4, GPT-3.5-turbo, text-embedding-3',
  },
  p50k_base: { name: 'p50k_base', pattern: 'gpt2', rankFile: 'p50k_base', specialTokens: { '<|endoftext|>': 50256 }, models: 'Codex, text-davinci-002/003' },
  r50k_base: { name: 'r50k_base', pattern: 'gpt2', rankFile: 'r50k_base', specialTokens: { '<|endoftext|>': 50256 }, models: 'GPT-3, GPT-2' },
};
