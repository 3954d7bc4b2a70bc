import type { SpanBuffer } from './documentTokens';

/** Lines [startLine, endLine] (inclusive, 0-based) whose tokens get decorations. */
export interface LineWindow {
  readonly startLine: number;
  readonly endLine: number;
}

/**
 * The visible lines plus half a screen (at least 10 lines) above and below: scrolling shows
 * decorated lines while the next refresh catches up, at a third of the cost of a full screen of
 * margin. `firstVisible`/`lastVisible` are the first and last visible lines (inclusive).
 */
export function decorationLineWindow(firstVisible: number, lastVisible: number, lineCount: number): LineWindow {
  const margin = Math.max(10, (lastVisible - firstVisible) >> 1);
  return { startLine: Math.max(0, firstVisible - margin), endLine: Math.min(lineCount - 1, lastVisible + margin) };
}

/** What `collectWindowTokens` put in the buffer: the UTF-16 range it covers and whether it hit the cap. */
export interface WindowTokens {
  readonly start: number;
  readonly end: number;
  readonly capped: boolean;
}

/** The one operation of the token model this needs (DocumentTokens has it). */
export interface RangeTokenSource {
  tokensInRangeInto(start: number, end: number, max: number, out: SpanBuffer): void;
}

/**
 * Fills `spans` with at most `max` tokens of `window` (document UTF-16 offsets [start, end)). When
 * the margin window holds more than `max`, what is on screen comes first: it retries with `visible`
 * alone, and truncates to `max` if even that is too many (`capped`). O(tokens collected): asks for
 * `max + 1` tokens to tell "exactly max" from "more".
 */
export function collectWindowTokens(source: RangeTokenSource, window: readonly [number, number], visible: readonly [number, number], max: number, spans: SpanBuffer): WindowTokens {
  source.tokensInRangeInto(window[0], window[1], max + 1, spans);
  if (spans.length <= max) return { start: window[0], end: window[1], capped: false };
  source.tokensInRangeInto(visible[0], visible[1], max + 1, spans);
  const capped = spans.length > max;
  spans.length = Math.min(spans.length, max);
  return { start: visible[0], end: visible[1], capped };
}
