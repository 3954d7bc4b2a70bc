import { indentationOf, linePrefix, type SuggestionFilter } from './filter';

/**
 * On a line that so far holds only indentation, a suggestion that adds more indentation to a
 * line already indented as deep as the line above (and the line above opens no block) would
 * over-indent: its leading whitespace goes.
 */
export const firstLineIndent: SuggestionFilter = (text, c) => {
  const current = linePrefix(c);
  if (current.trim() !== '' || !/^[ \t]/.test(text)) return text;
  const lines = c.prefix.split('\n');
  const above = lines.slice(0, -1).reverse().find((l) => l.trim() !== '');
  if (above === undefined) return text;
  const opensBlock = /[:{[(]\s*$/.test(above);
  if (opensBlock || current.length < indentationOf(above)) return text;
  return text.trimStart();
};
