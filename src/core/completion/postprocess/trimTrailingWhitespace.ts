import type { SuggestionFilter } from './filter';

/** Trailing whitespace of every line and trailing blank lines go: an editor keeps none of it. */
export const trimTrailingWhitespace: SuggestionFilter = (text) =>
  text
    .split('\n')
    .map((l) => l.trimEnd())
    .join('\n')
    .replace(/\n+$/, '');
