import type { IDisposable } from '../../common/dispose';
import type { BackendErrorCode } from '../../common/errors';

/** What a backend can do; the completion pipeline degrades to text-level features without token-level control. */
export interface BackendCapabilities {
  /** Native fill-in-the-middle (an infill endpoint, a suffix parameter, or FIM tokens we template ourselves). */
  readonly infill: boolean;
  readonly tokenize: boolean;
  /** The model's vocabulary with raw token bytes (needed for byte-level token healing). */
  readonly vocabulary: boolean;
  /** Prompts given as token ids. */
  readonly tokenPrompt: boolean;
  /** Next-token distribution (top-k) after a prompt. */
  readonly nextTokenDistribution: boolean;
  /** Per-token logit bias (a soft mask). */
  readonly logitBias: boolean;
  /** A batch of draft tokens verified in one forward pass, with KV rollback (lossless speculation). */
  readonly verifyDraft: boolean;
  /** The KV cache of a shared prompt prefix is reused between requests. */
  readonly prefixCache: boolean;
  /**
   * Token healing inside the backend: the prefix's last token cut and generation constrained to
   * re-produce its bytes (the local engine's byte mask; llama-server's tokenizer and a grammar).
   * Without it the pipeline heals at text level (the partial word).
   */
  readonly tokenHealing: boolean;
}

export interface InfillRequest {
  readonly prefix: string;
  readonly suffix: string;
  readonly maxTokens: number;
  /** 0 = greedy. */
  readonly temperature: number;
  readonly stop?: readonly string[];
  readonly signal?: AbortSignal;
  /**
   * Token healing when the cursor splits a token: 'classic' cuts the unstable tail of the prefix and
   * re-produces its bytes under a byte mask (backends with token-level control; others fall back
   * to text level). 'exact' also chooses the first bytes after the cursor by the exact byte-level
   * distribution (summed over the tokenizations that cover them; token-level backends only,
   * others treat it as 'classic'). Default 'off'.
   */
  readonly healing?: HealingMode;
  /** Called with each new piece of text as it streams. */
  readonly onText?: (chunk: string) => void;
  /**
   * Lossless speculative decoding (local backend; others ignore it): drafters propose tokens the
   * model verifies in one batch. `lookupSources`: extra text prompt lookup may copy from (other
   * documents, the previous suggestion).
   */
  readonly speculate?: { readonly lookupSources?: readonly string[] };
}

export type HealingMode = 'off' | 'classic' | 'exact';

export type StopReason = 'eos' | 'limit' | 'stop' | 'aborted';

export interface InfillResult {
  readonly text: string;
  /** Generated token ids, when the backend reports them. */
  readonly tokens?: readonly number[];
  readonly stopReason: StopReason;
  readonly promptTokens?: number;
  readonly generatedTokens?: number;
  /** Wall time to the first generated token and in total (ms), measured by the client. */
  readonly firstTokenMs?: number;
  readonly totalMs: number;
  /** Bytes of the prefix that healing cut and generation re-produced (stripped from `text`). */
  readonly healedBytes?: number;
  /** Time the masked steps took (ms). */
  readonly healMs?: number;
  /** Engine work before the first new token (local backend): prompt tokens evaluated (the rest came from the KV cache) and typed text re-produced instead of re-prompting. */
  readonly promptEvaluated?: number;
  readonly typedBytes?: number;
  /** Speculation (local backend): drafted and kept tokens, verification batches, per token its source ('target' or a drafter). */
  readonly speculation?: { readonly drafted: number; readonly accepted: number; readonly batches: number; readonly sources: readonly string[] };
  /** The prompt the tokens continue, after healing's cut (local backend): to score them later ("Why this suggestion"). */
  readonly promptUsed?: readonly number[];
}

export type BackendHealth =
  | { readonly ok: true; readonly detail: string }
  | { readonly ok: false; readonly error: BackendErrorCode; readonly detail: string };

export type { BackendErrorCode };

export interface CompletionBackend extends IDisposable {
  readonly kind: 'local' | 'llama-server' | 'ollama' | 'openai';
  /** For labels and logs: the model file or server and model name. */
  readonly name: string;
  readonly capabilities: BackendCapabilities;
  health(signal?: AbortSignal): Promise<BackendHealth>;
  infill(request: InfillRequest): Promise<InfillResult>;
  tokenize?(text: string, signal?: AbortSignal): Promise<number[]>;
  detokenize?(tokens: readonly number[], signal?: AbortSignal): Promise<string>;
}
