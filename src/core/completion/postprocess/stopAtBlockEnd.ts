import { indentationOf, linePrefix, type SuggestionFilter } from './filter';

/**
 * A multi-line suggestion ends where its block does: before the first later line indented less
 * than the cursor's line (the code after belongs to an enclosing scope the user did not ask for).
 * Blank lines do not end it, but trailing ones are cut with the rest.
 */
export const stopAtBlockEnd: SuggestionFilter = (text, c) => {
  const lines = text.split('\n');
  if (lines.length === 1) return text;
  const current = linePrefix(c) + lines[0]!;
  const indent = indentationOf(current);
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() !== '' && indentationOf(line) < indent) return lines.slice(0, i).join('\n');
  }
  return text;
};
