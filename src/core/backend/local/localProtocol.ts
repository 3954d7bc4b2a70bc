/**
 * Requests and results between LocalBackend (extension host) and localWorker (the child process
 * running llama.cpp), over a RequestChannel; 'generate' streams each token id as an event.
 */

export interface LoadOptions {
  readonly modelPath: string;
  readonly contextSize: number;
  readonly threads: number;
}

/** Predicted next token: greedy choice and the top-k raw logits (sorted, highest first). */
export interface NextToken {
  readonly token: number;
  readonly top: readonly (readonly [token: number, logit: number])[];
}

export type LocalRequest =
  | { readonly op: 'load'; readonly options: LoadOptions }
  | { readonly op: 'tokenize'; readonly text: string }
  | { readonly op: 'detokenize'; readonly tokens: readonly number[] }
  | {
      readonly op: 'generate';
      /** Full prompt; the longest prefix already in the KV cache is reused. */
      readonly prompt: readonly number[];
      readonly maxTokens: number;
      readonly temperature: number;
      readonly seed?: number;
      /** Stop after any of these token ids (besides end-of-generation tokens). */
      readonly stopTokens?: readonly number[];
      /** Per-token logit bias: [id, bias]; -Infinity forbids. */
      readonly bias?: readonly (readonly [number, number])[];
    }
  | { readonly op: 'prefill'; readonly prompt: readonly number[]; readonly topK: number }
  | { readonly op: 'append'; readonly tokens: readonly number[]; readonly topK: number }
  | { readonly op: 'verify'; readonly draft: readonly number[] }
  | { readonly op: 'rollback'; readonly count: number }
  | { readonly op: 'state' };

export type LocalResult =
  | { readonly op: 'load'; readonly contextSize: number; readonly loadMs: number }
  | { readonly op: 'tokenize'; readonly tokens: number[] }
  | { readonly op: 'detokenize'; readonly text: string }
  | {
      readonly op: 'generate';
      readonly tokens: number[];
      readonly stopReason: 'eos' | 'limit' | 'stop' | 'aborted';
      /** Prompt tokens evaluated now (the rest came from the KV cache). */
      readonly evaluated: number;
      readonly reused: number;
      readonly promptMs: number;
      readonly genMs: number;
    }
  | { readonly op: 'prefill'; readonly next: NextToken; readonly reused: number; readonly evaluated: number }
  | { readonly op: 'append'; readonly next: NextToken; readonly reused: number; readonly evaluated: number }
  | { readonly op: 'verify'; readonly accepted: number; readonly next: number }
  | { readonly op: 'rollback'; readonly length: number }
  | { readonly op: 'state'; readonly tokens: number[] };
