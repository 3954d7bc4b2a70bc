/**
 * Requests and results between LocalBackend (extension host) and localWorker (the child process
 * running llama.cpp), over a RequestChannel; 'generate' streams each token id as an event.
 * When healing cut the prompt, one event `-1 - n` (n = the healed bytes, see `healCursorAt`)
 * comes before the tokens, so that the host can strip those bytes while streaming.
 */

export interface LoadOptions {
  readonly modelPath: string;
  readonly contextSize: number;
  readonly threads: number;
  readonly draftModelPath?: string;
}

/** What became of a draft model asked for: used, or refused and why. */
export interface DraftModelStatus {
  readonly path: string;
  readonly used: boolean;
  readonly why?: string;
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
      /**
       * Token healing: the output must start with these raw bytes (removed from the prompt's end).
       * Each step is masked in the engine to the tokens compatible with the bytes left (a byte
       * index over the vocabulary) and takes the likeliest; then generation goes on freely.
       */
      readonly forcedBytes?: readonly number[];
      /**
       * Token healing decided here, in the engine (it holds the byte index of the vocabulary): the
       * prompt's tokens before this index end at the cursor; their unstable tail is cut out
       * (findHealCut) and its bytes become `forcedBytes`. The result says how many bytes that was.
       */
      readonly healCursorAt?: number;
      /**
       * Exact byte-level healing (with healed bytes): up to this many bytes after them are chosen
       * by the exact next-byte distribution (cover encodings, byteCovers.ts) before the masked steps.
       */
      readonly exactBytes?: number;
      /**
       * Text typed since the prompt was built (raw bytes): the output must re-produce it right after
       * the healed bytes, so a keystroke re-uses the whole prompt's KV cache (LocalBackend's anchor).
       */
      readonly typedBytes?: readonly number[];
      /**
       * Lossless speculative decoding (speculativeSteps.ts): drafters propose, the model verifies
       * each draft in one batch. `lookupSources`: extra token sequences prompt lookup searches
       * (other documents, the previous suggestion); `drafters` limits which run (default all).
       */
      readonly speculate?: { readonly lookupSources?: readonly (readonly number[])[]; readonly drafters?: readonly string[]; readonly always?: boolean };
    }
  | {
      /**
       * Teacher forcing: log-probabilities of `continuation` after `prompt`, one batch. With
       * `forcedBytes`, the steps that re-produce them also report the log of the probability mass
       * of the tokens the healing mask allows (so a healed likelihood can be renormalized).
       */
      readonly op: 'score';
      readonly prompt: readonly number[];
      readonly continuation: readonly number[];
      readonly forcedBytes?: readonly number[];
    }
  | {
      /**
       * Byte-level likelihood (cover sums, byteCovers.ts): log P(output starts with `bytes`) after
       * `prompt`, of its first `healed` bytes, and under classic healing's masks re-producing them.
       */
      readonly op: 'coverScore';
      readonly prompt: readonly number[];
      readonly bytes: readonly number[];
      readonly healed: number;
    }
  | { readonly op: 'prefill'; readonly prompt: readonly number[]; readonly topK: number }
  | { readonly op: 'append'; readonly tokens: readonly number[]; readonly topK: number }
  | { readonly op: 'verify'; readonly draft: readonly number[] }
  | { readonly op: 'rollback'; readonly count: number }
  | { readonly op: 'state' };

export type LocalResult =
  | { readonly op: 'load'; readonly contextSize: number; readonly loadMs: number; readonly draft?: DraftModelStatus }
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
      /** How many of `tokens` were chosen under the healing mask, and the time from the request's start to the last of them (ms, prompt evaluation included). */
      readonly forced: number;
      readonly forcedMs: number;
      /** Bytes the output re-produces before the text after the cursor (the healed tail): the caller strips them. */
      readonly healedBytes: number;
      /** Of the bytes announced before the tokens, those that were typed text (`typedBytes`), not healed. */
      readonly typedBytes?: number;
      /** The prompt the tokens continue (after healing's cut): what "Why this suggestion" scores them against. */
      readonly promptUsed: readonly number[];
      /** Speculation: draft tokens proposed and kept, verification batches, and per token the drafter that proposed it ('target': the model's own). */
      readonly speculation?: { readonly drafted: number; readonly accepted: number; readonly batches: number; readonly sources: readonly string[] };
      /** Bytes chosen by the exact next-byte distribution (exact healing) and the engine evaluations it took. */
      readonly exactBytes?: number;
      readonly exactEvaluations?: number;
    }
  | { readonly op: 'score'; readonly logProbs: number[]; readonly maskLogMass: number[] }
  | {
      readonly op: 'coverScore';
      /** log P(output starts with bytes); log P(output starts with the healed bytes) (0 when none). */
      readonly logP: number;
      readonly logPHealed: number;
      /** log P(classic healing's masked generator writes bytes) (ByteCovers.classicLogProb; = logP when nothing is healed). */
      readonly logPClassic: number;
      readonly evaluations: number;
    }
  | { readonly op: 'prefill'; readonly next: NextToken; readonly reused: number; readonly evaluated: number }
  | { readonly op: 'append'; readonly next: NextToken; readonly reused: number; readonly evaluated: number }
  | { readonly op: 'verify'; readonly accepted: number; readonly next: number }
  | { readonly op: 'rollback'; readonly length: number }
  | { readonly op: 'state'; readonly tokens: number[] };
