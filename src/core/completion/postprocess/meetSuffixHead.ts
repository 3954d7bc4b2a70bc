import { suffixHeadOf } from '../suffixHead';
import type { SuggestionFilter } from './filter';

/**
 * When the cursor splits a word (`get|Value`), the model was shown the suffix without the word's
 * rest ("Value", see suffixHead.ts) and wrote through it: the suggestion is what it wrote before
 * re-typing that rest at the end of a word on the first line ("UserValue(…" → "User"). A
 * suggestion that never re-types it cannot join the text after the cursor and is dropped.
 */
const WORD = /[\p{L}\p{N}_]/u;

export const meetSuffixHead: SuggestionFilter = (text, c) => {
  const head = suffixHeadOf(c);
  if (!head) return text;
  const nl = text.indexOf('\n');
  const line = nl < 0 ? text : text.slice(0, nl);
  for (let at = line.indexOf(head); at >= 0; at = line.indexOf(head, at + 1)) {
    const after = line[at + head.length] ?? '';
    // the head must end the run there, as it does in the document
    if (!(WORD.test(head.slice(-1)) && WORD.test(after))) return text.slice(0, at);
  }
  return undefined;
};
