import { isLowSurrogate } from '../tokenizer/utf8';
import type { CompletionContext } from './types';

export interface ContextBudget {
  /** Prefix budget in the model's tokens. */
  readonly prefixTokens: number;
  readonly suffixTokens: number;
  /**
   * The prefix's first line is snapped to a multiple of this many lines, so that it stays put
   * while the user types and the engine reuses the prompt's KV cache (a start that moved with
   * every keystroke would change the prompt's first tokens and force a full re-evaluation).
   */
  readonly snapLines: number;
}

export const DEFAULT_BUDGET: ContextBudget = { prefixTokens: 320, suffixTokens: 128, snapLines: 16 };

/**
 * A window of the document around the cursor (whole lines), so that a keystroke never copies the
 * whole document: `text` starts at the beginning of line `firstLine`; `offset` is the cursor in it.
 */
export interface TextWindow {
  readonly text: string;
  readonly offset: number;
  readonly firstLine: number;
  /** Whether `text` starts at the document's start. */
  readonly atDocumentStart: boolean;
}

/**
 * The prefix and suffix around the cursor, each cut at a line boundary to fit its budget in the
 * model's own tokens (`countTokens`). Lines are counted one at a time from the cursor outwards and
 * the count stops at the budget: cost O(characters kept), whatever the document's size.
 */
export function cutContext(w: TextWindow, budget: ContextBudget, countTokens: (s: string) => number, languageId?: string): CompletionContext {
  const prefixStart = prefixStartFor(w, budget, countTokens);
  const suffixEnd = suffixEndFor(w.text, w.offset, budget.suffixTokens, countTokens);
  return { prefix: w.text.slice(prefixStart, w.offset), suffix: w.text.slice(w.offset, suffixEnd), prefixComplete: prefixStart === 0 && w.atDocumentStart, ...(languageId ? { languageId } : {}) };
}

/**
 * At most this many UTF-16 units per budget token are read from one line: a minified file's line
 * (1 MB) must not be tokenized on every keystroke, and a prompt must fit the model's context.
 */
const MAX_CHARS_PER_TOKEN = 8;

/** Start of the line holding position `at` (0 for the first line). */
function lineStart(text: string, at: number): number {
  return at <= 0 ? 0 : text.lastIndexOf('\n', at - 1) + 1;
}

/** Moves a cut off the low half of a surrogate pair. */
export function charBoundary(text: string, at: number): number {
  return isLowSurrogate(text.charCodeAt(at)) ? at + 1 : at;
}

function prefixStartFor(w: TextWindow, budget: ContextBudget, countTokens: (s: string) => number): number {
  const { text, offset } = w;
  let start = lineStart(text, offset);
  // the cursor's own line always goes in, up to the character cap (cut inside it beyond that)
  const cap = budget.prefixTokens * MAX_CHARS_PER_TOKEN;
  if (offset - start > cap) return charBoundary(text, offset - cap);
  let used = countTokens(text.slice(start, offset));
  const starts: number[] = [start];
  while (start > 0) {
    const prev = lineStart(text, start - 1);
    if (start - prev > cap) break;
    const cost = countTokens(text.slice(prev, start));
    if (used + cost > budget.prefixTokens) break;
    used += cost;
    start = prev;
    starts.push(start);
  }
  if (start === 0 && w.atDocumentStart) return 0;
  // snap: the earliest start whose line number is a multiple of snapLines (starts[k] is k lines above the cursor's)
  const cursorLine = w.firstLine + lineCount(text, starts[0]!);
  for (let k = starts.length - 1; k > 0; k--) if ((cursorLine - k) % budget.snapLines === 0) return starts[k]!;
  // fewer than snapLines lines fit: all that fits (it moves with the lines, dense text only)
  return starts[starts.length - 1]!;
}

function suffixEndFor(text: string, offset: number, budgetTokens: number, countTokens: (s: string) => number): number {
  const cap = budgetTokens * MAX_CHARS_PER_TOKEN;
  let end = offset;
  let used = 0;
  while (end < text.length) {
    const nl = text.indexOf('\n', end);
    const next = nl < 0 ? text.length : nl + 1;
    // a huge first line is cut at the cap; a huge later line ends the suffix before it
    if (next - end > cap) return end === offset ? charBoundary(text, offset + cap) : end;
    const cost = countTokens(text.slice(end, next));
    if (used + cost > budgetTokens) break;
    used += cost;
    end = next;
  }
  return end;
}

/** Newlines in text[0, end). O(end): the window is bounded. */
function lineCount(text: string, end: number): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < end; i = text.indexOf('\n', i + 1)) n++;
  return n;
}
