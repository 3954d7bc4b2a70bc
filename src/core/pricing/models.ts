import type { EncodingName } from '../tokenizer/encodings';

export interface ModelInfo {
  readonly name: string;
  readonly encoding: EncodingName;
  /** Context window in tokens (input + output). */
  readonly contextWindow: number;
  /** USD per million input tokens (standard tier, uncached); undefined for open-weight models. */
  readonly inputPerMillion?: number;
}

/**
 * When the built-in prices were taken. They go stale: users add current ones with
 * `tokenscope.pricing.customModels`, and the tooltip always shows this date next to a cost.
 */
export const PRICES_AS_OF = '2025-08';

/** OpenAI's published context windows and standard input prices (openai.com/api/pricing, PRICES_AS_OF). */
export const OPENAI_MODELS: readonly ModelInfo[] = [
  { name: 'gpt-5', encoding: 'o200k_base', contextWindow: 400_000, inputPerMillion: 1.25 },
  { name: 'gpt-5-mini', encoding: 'o200k_base', contextWindow: 400_000, inputPerMillion: 0.25 },
  { name: 'gpt-5-nano', encoding: 'o200k_base', contextWindow: 400_000, inputPerMillion: 0.05 },
  { name: 'gpt-4.1', encoding: 'o200k_base', contextWindow: 1_047_576, inputPerMillion: 2.0 },
  { name: 'gpt-4.1-mini', encoding: 'o200k_base', contextWindow: 1_047_576, inputPerMillion: 0.4 },
  { name: 'gpt-4.1-nano', encoding: 'o200k_base', contextWindow: 1_047_576, inputPerMillion: 0.1 },
  { name: 'gpt-4o', encoding: 'o200k_base', contextWindow: 128_000, inputPerMillion: 2.5 },
  { name: 'gpt-4o-mini', encoding: 'o200k_base', contextWindow: 128_000, inputPerMillion: 0.15 },
  { name: 'o3', encoding: 'o200k_base', contextWindow: 200_000, inputPerMillion: 2.0 },
  { name: 'o4-mini', encoding: 'o200k_base', contextWindow: 200_000, inputPerMillion: 1.1 },
  { name: 'o1', encoding: 'o200k_base', contextWindow: 200_000, inputPerMillion: 15.0 },
  { name: 'gpt-oss-120b', encoding: 'o200k_harmony', contextWindow: 131_072 },
  { name: 'gpt-oss-20b', encoding: 'o200k_harmony', contextWindow: 131_072 },
  { name: 'gpt-4-turbo', encoding: 'cl100k_base', contextWindow: 128_000, inputPerMillion: 10.0 },
  { name: 'gpt-4', encoding: 'cl100k_base', contextWindow: 8_192, inputPerMillion: 30.0 },
  { name: 'gpt-3.5-turbo', encoding: 'cl100k_base', contextWindow: 16_385, inputPerMillion: 0.5 },
];

/** Share of the context window (0..1+) and input cost in USD for `tokens`. */
export function usage(model: ModelInfo, tokens: number): { share: number; costUsd: number | undefined } {
  return { share: tokens / model.contextWindow, costUsd: model.inputPerMillion === undefined ? undefined : (tokens / 1e6) * model.inputPerMillion };
}

/** `$0.0031`, `$1.25`, `<$0.0001`: enough digits to be useful for small prompts. */
export function formatUsd(usd: number): string {
  if (usd === 0) return '$0';
  if (usd < 0.0001) return '<$0.0001';
  if (usd < 0.01) return `$${usd.toFixed(4)}`;
  if (usd < 100) return `$${usd.toFixed(2)}`;
  return `$${Math.round(usd).toLocaleString('en-US')}`;
}

/** `0.4%`, `12%`, `>100%`. */
export function formatShare(share: number): string {
  if (share > 1) return `${Math.round(share * 100)}% (over the window)`;
  if (share < 0.001 && share > 0) return '<0.1%';
  return share < 0.1 ? `${(share * 100).toFixed(1)}%` : `${Math.round(share * 100)}%`;
}
