/**
 * Drafters for lossless speculative decoding: each proposes the tokens it guesses come next; the
 * target model verifies a whole draft in one batch and keeps the longest prefix it agrees with
 * (core/backend/local/speculativeSteps.ts). A wrong guess costs one wider batch, never a changed
 * output. Pure and engine-agnostic (unit-tested on hand-made token sequences).
 */
export interface Drafter {
  /** Short name for statistics and "Why this suggestion". */
  readonly name: string;
  /**
   * Up to `k` tokens after `history` (prompt + generated so far), empty when it has no guess, and
   * a confidence bucket (acceptance is measured per bucket: prompt lookup's matched n-gram length).
   */
  propose(history: readonly number[], k: number): DraftProposal | Promise<DraftProposal>;
  /** The target's verdict on a stretch of history: `next` followed `token` (what recycling learns from). */
  observe?(token: number, next: number): void;
}

export interface DraftProposal {
  readonly tokens: number[];
  readonly confidence: number;
}

export const NO_DRAFT: DraftProposal = Object.freeze({ tokens: [], confidence: 0 });
