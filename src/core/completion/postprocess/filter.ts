import type { CompletionContext } from '../types';

/**
 * One post-processing step: the suggestion so far → the suggestion (possibly shorter), or
 * undefined to drop it. Pure and small; each has golden fixtures in test/fixtures/completion/.
 */
export type SuggestionFilter = (text: string, context: CompletionContext) => string | undefined;

/** The current line before the cursor. */
export function linePrefix(c: CompletionContext): string {
  return c.prefix.slice(c.prefix.lastIndexOf('\n') + 1);
}

/** The current line after the cursor. */
export function lineSuffix(c: CompletionContext): string {
  const nl = c.suffix.indexOf('\n');
  return nl < 0 ? c.suffix : c.suffix.slice(0, nl);
}

export function indentationOf(line: string): number {
  return line.length - line.trimStart().length;
}
