/** Deterministic pseudo-random generator (mulberry32) for property tests: failures reproduce by seed. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)]!;
  }
}

/**
 * Pieces that exercise every branch of the pre-tokenizers: ASCII classes, contractions in all cases,
 * whitespace runs with CR/LF, Unicode letters of every case class, marks, digits of other scripts,
 * Unicode whitespace (and U+FEFF, which is not \s for tiktoken), emoji and ZWJ sequences, lone
 * surrogates and special-token strings.
 */
export const PIECES: readonly string[] = [
  'a', 'b', 'z', 'A', 'Z', 'Hello', 'WORLD', 'camelCase', 'snake_case', 'x1', '0', '7', '42', '1234567', '3.14',
  ' ', '  ', '    ', '\t', '\n', '\r\n', '\r', '\n\n', ' \n', '\n ', '\v', '\f',
  "'s", "'S", "'t", "'re", "'RE", "'ve", "'m", "'ll", "'LL", "'d", "'x", "'", "'ſ", 'ſ', "don't", "DON'T",
  '.', ',', ';', ':', '!', '?', '(', ')', '{', '}', '[', ']', '<', '>', '/', '//', '\\', '"', '`', '~', '@', '#', '$', '%', '^', '&', '*', '-', '+', '=', '|', '_',
  '\u0000', '\u0007', '\u001f', '\u007f',
  'é', 'É', 'ß', 'ǅ', 'ʰ', 'ñ', 'e\u0301', '\u0301', 'Ω', 'ω', 'Ж', 'ж', '中', '文字', 'カタカナ', 'ひらがな', '한국어', 'العربية', 'हिन्दी', 'ไทย',
  '٣', '१२', '①', 'Ⅻ', '½',
  '\u00a0', '\u3000', '\u2009', '\u2028', '\u0085', '\ufeff', '\u200b', '\u200d',
  '🙂', '👩‍👩‍👧', '🏳️‍🌈', '🇩🇪', '👍🏽', '\ud800', '\udc00', '\udbff\udfff',
  '<|endoftext|>', '<|fim_prefix|>', '<|im_start|>', '<|endofprompt|>', '<|return|>', '<|channel|>',
  '—', '–', '…', '“', '”', '«', '»', '€', '©', '™', '→', '≠', '∑',
];

export function randomText(rng: Rng, maxPieces: number): string {
  const n = 1 + rng.int(maxPieces);
  let s = '';
  for (let i = 0; i < n; i++) s += rng.pick(PIECES);
  return s;
}
