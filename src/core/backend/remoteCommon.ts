import { BackendError } from '../../common/errors';
import type { BackendCapabilities } from './backend';
import type { FimFamily } from './fimTemplates';

export interface RemoteOptions {
  /** Base URL, e.g. http://127.0.0.1:8080 (llama-server), http://127.0.0.1:11434 (Ollama), https://host/v1 (OpenAI-compatible). */
  readonly url: string;
  /** Model name (Ollama, OpenAI-compatible). */
  readonly model?: string;
  /** Idle timeout per request (ms). */
  readonly timeoutMs: number;
  /** Bearer token for OpenAI-compatible servers. */
  readonly apiKey?: string;
  /**
   * Raw prompt with this family's FIM markers instead of the server's suffix support (Ollama `raw`,
   * OpenAI-compatible servers without `suffix`).
   */
  readonly fimTemplate?: FimFamily;
}

export const NONE: BackendCapabilities = {
  infill: true,
  tokenize: false,
  vocabulary: false,
  tokenPrompt: false,
  nextTokenDistribution: false,
  logitBias: false,
  verifyDraft: false,
  prefixCache: false,
  tokenHealing: false,
};

export function base(url: string): string {
  return url.replace(/\/+$/, '');
}

/** `v` as a JSON object, or a BackendError 'malformed' naming what was expected. */
export function obj(v: unknown, what: string, url: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new BackendError('malformed', `${url}: expected an object for ${what}, got ${JSON.stringify(v)?.slice(0, 80)}`);
  return v as Record<string, unknown>;
}
