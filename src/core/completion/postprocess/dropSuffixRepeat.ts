import { lineSuffix, type SuggestionFilter } from './filter';

/**
 * The suggestion must not re-type what follows the cursor: it is cut before the first of its
 * lines that repeats the next non-blank line of the suffix, and dropped when all it would insert
 * is the rest of the current line.
 */
export const dropSuffixRepeat: SuggestionFilter = (text, c) => {
  const rest = lineSuffix(c);
  if (rest.trim() !== '' && text.trim() === rest.trim()) return undefined;
  const after = c.suffix.slice(rest.length + 1).split('\n').find((l) => l.trim() !== '');
  if (after === undefined) return text;
  const lines = text.split('\n');
  for (let i = 1; i < lines.length; i++) if (lines[i]!.trim() === after.trim()) return lines.slice(0, i).join('\n');
  return text;
};
