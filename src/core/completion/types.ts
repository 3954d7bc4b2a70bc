import type { HealingMode, InfillResult } from '../backend/backend';

export type { HealingMode };

/** The text around the cursor, as the pipeline sees it (already cut to the context budget). */
export interface CompletionContext {
  /** Text before the cursor (its start may be cut at a line boundary). */
  readonly prefix: string;
  /** Text after the cursor (its end may be cut at a line boundary). */
  readonly suffix: string;
  /**
   * Extra context placed before the prefix in the prompt (snippets of other open files as
   * comments); not part of the document, so never used to judge a suggestion.
   */
  readonly header?: string;
  /** Whether `prefix` is the whole text before the cursor (nothing cut). */
  readonly prefixComplete: boolean;
  readonly languageId?: string;
}

/** How a suggestion was obtained. */
export type CompletionSource = 'generated' | 'cache' | 'typed-through' | 'in-flight';

/**
 * What healing did for a suggestion: token level (byte mask in the engine), exact byte level
 * (cover sums, then the mask), text level (remote backends) or nothing.
 */
export type HealingApplied = 'token' | 'exact' | 'text' | 'none';

export interface Suggestion {
  /** Text to insert at the cursor. */
  readonly text: string;
  readonly source: CompletionSource;
  readonly healing: HealingApplied;
  /** Bytes healing removed from the prompt and generation re-produced (0: nothing cut). */
  readonly healedBytes: number;
  /** Request to suggestion (ms), as measured by the pipeline. */
  readonly latencyMs: number;
  /** Time the masked healing steps took in the engine (ms). */
  readonly healMs?: number;
  /** What the backend reported for the generation it came from ("Why this suggestion"); absent for cache hits. */
  readonly detail?: InfillResult;
}
