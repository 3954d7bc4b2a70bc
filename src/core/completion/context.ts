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

function prefixStartFor(w: TextWindow, budget: ContextBudget, countTokens: (s: string) => number): number {
  const { text, offset } = w;
  // the cursor's own line always goes in, whatever it costs
  let start = text.lastIndexOf('\n', offset - 1) + 1;
  let used = countTokens(text.slice(start, offset));
  const starts: number[] = [start];
  while (start > 0) {
    const prev = text.lastIndexOf('\n', start - 2) + 1;
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
  let end = offset;
  let used = 0;
  while (end < text.length) {
    const nl = text.indexOf('\n', end);
    const next = nl < 0 ? text.length : nl + 1;
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
