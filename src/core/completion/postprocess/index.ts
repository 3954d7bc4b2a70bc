import type { CompletionContext } from '../types';
import { closeOwnBrackets } from './closeOwnBrackets';
import { dropEmpty } from './dropEmpty';
import { dropSuffixRepeat } from './dropSuffixRepeat';
import type { SuggestionFilter } from './filter';
import { firstLineIndent } from './firstLineIndent';
import { meetSuffixHead } from './meetSuffixHead';
import { stopAtBlockEnd } from './stopAtBlockEnd';
import { stripSpecialMarkers } from './stripSpecialMarkers';
import { trimSuffixOverlap } from './trimSuffixOverlap';
import { trimTrailingWhitespace } from './trimTrailingWhitespace';

/** In order: cut leaked markers first (they are not code), judge emptiness last. */
export const FILTERS: readonly (readonly [string, SuggestionFilter])[] = [
  ['stripSpecialMarkers', stripSpecialMarkers],
  ['meetSuffixHead', meetSuffixHead],
  ['stopAtBlockEnd', stopAtBlockEnd],
  ['dropSuffixRepeat', dropSuffixRepeat],
  ['closeOwnBrackets', closeOwnBrackets],
  ['trimSuffixOverlap', trimSuffixOverlap],
  ['firstLineIndent', firstLineIndent],
  ['trimTrailingWhitespace', trimTrailingWhitespace],
  ['dropEmpty', dropEmpty],
];

/** Runs every filter; undefined with the name of the filter that dropped the suggestion. */
export function postprocess(text: string, context: CompletionContext): { text: string } | { dropped: string } {
  let t = text;
  for (const [name, f] of FILTERS) {
    const next = f(t, context);
    if (next === undefined) return { dropped: name };
    t = next;
  }
  return { text: t };
}
