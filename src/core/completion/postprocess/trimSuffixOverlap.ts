import { lineSuffix, type SuggestionFilter } from './filter';

/**
 * A one-line suggestion that ends by re-typing the start of the text after the cursor loses that
 * ending (`return x|;` + "x + 1;" → "x + 1"), as the editor would show it doubled otherwise. Only
 * overlaps that start with punctuation or are at least 3 characters long count: one shared letter
 * is as likely a coincidence as a repeat.
 */
const MIN_WORD_OVERLAP = 3;

export const trimSuffixOverlap: SuggestionFilter = (text, c) => {
  const rest = lineSuffix(c);
  if (rest.trim() === '' || text.includes('\n')) return text;
  for (let n = Math.min(text.length, rest.length); n >= 1; n--) {
    const tail = text.slice(text.length - n);
    if (!rest.startsWith(tail)) continue;
    if (n >= MIN_WORD_OVERLAP || !/^[\p{L}\p{N}_]/u.test(tail)) return text.slice(0, text.length - n);
  }
  return text;
};
