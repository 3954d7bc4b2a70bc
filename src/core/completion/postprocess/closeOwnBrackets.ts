import { lineSuffix, type SuggestionFilter } from './filter';

const OPEN: Record<string, string> = { '(': ')', '[': ']', '{': '}' };
const CLOSERS = new Set([')', ']', '}']);

/**
 * A suggestion closes only brackets it opened when the text after the cursor already closes the
 * others: trailing closers that match nothing in the suggestion and that the rest of the line
 * starts with are cut (`foo(a|)` + "bc)" → "bc"). Strings and comments are not parsed: the check
 * is on the suggestion's own characters, which is where a model repeats a closer.
 */
export const closeOwnBrackets: SuggestionFilter = (text, c) => {
  const rest = lineSuffix(c).trimStart();
  if (rest === '' || text.includes('\n')) return text;
  const stack: string[] = [];
  let unmatchedFrom = -1;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (OPEN[ch]) stack.push(OPEN[ch]);
    else if (CLOSERS.has(ch)) {
      if (stack.length && stack[stack.length - 1] === ch) stack.pop();
      else if (unmatchedFrom < 0) unmatchedFrom = i;
    }
  }
  if (unmatchedFrom < 0) return text;
  const tail = text.slice(unmatchedFrom);
  return rest.startsWith(tail.trimEnd()) ? text.slice(0, unmatchedFrom) : text;
};
