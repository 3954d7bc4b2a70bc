import type { CompletionContext } from './types';

/**
 * Healing at text level, for backends without token-level control (Ollama, OpenAI-compatible):
 * the partial word before the cursor is dropped from the prompt, so the prompt ends on a word
 * boundary the model's tokenizer will not merge across, and only suggestions that start with it are
 * kept (with it stripped). A word is a run of letters, digits and underscores (Unicode aware).
 */
const PARTIAL_WORD = /[\p{L}\p{N}_]+$/u;

export function cutPartialWord(c: CompletionContext): { context: CompletionContext; partial: string } {
  const m = PARTIAL_WORD.exec(c.prefix);
  if (!m) return { context: c, partial: '' };
  return { context: { ...c, prefix: c.prefix.slice(0, m.index) }, partial: m[0] };
}

/** The suggestion after the cursor, or undefined when it does not re-type the partial word. */
export function afterPartialWord(text: string, partial: string): string | undefined {
  return text.startsWith(partial) ? text.slice(partial.length) : undefined;
}
