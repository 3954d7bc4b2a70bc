import type { CompletionContext } from './types';

/**
 * The suffix side of healing: when the cursor splits a word or an operator (`pri|nt(x)`, `=|=`),
 * the text after the cursor starts in the middle of one of the model's tokens ("nt" is the end of
 * " print"). That head is left out of the suffix the model sees, so the suffix starts on a boundary
 * the tokenizer keeps; the model then writes the middle through the whole word, and
 * `meetSuffixHead` keeps only what goes before the head (the document already has the head).
 * Peers do not fire here at all (a word character on both sides).
 *
 * Text level, not token level: the split token can only be known from the whole word, and the
 * word-character and operator runs are the cases that split tokens (bench fim.*: 94% of
 * mid-identifier cursors split a token).
 */
const WORD = /[\p{L}\p{N}_]/u;
const OPERATOR = /[=<>!+\-*/&|%^]/;
/** Longer runs are not one token in any vocabulary we load (the longest identifier pieces are ~16). */
const MAX_HEAD = 32;

/** The run after the cursor of the same class (word / operator) as the character before it; '' when the cursor splits none. */
export function suffixHeadOf(c: CompletionContext): string {
  const before = c.prefix.slice(-1);
  const cls = WORD.test(before) ? WORD : OPERATOR.test(before) ? OPERATOR : undefined;
  if (!cls) return '';
  let n = 0;
  for (const ch of c.suffix) {
    if (n >= MAX_HEAD || !cls.test(ch)) break;
    n += ch.length;
  }
  return n > MAX_HEAD ? '' : c.suffix.slice(0, n);
}

/** The context the model sees: the suffix without its head. */
export function withoutSuffixHead(c: CompletionContext): CompletionContext {
  const head = suffixHeadOf(c);
  return head ? { ...c, suffix: c.suffix.slice(head.length) } : c;
}
