/**
 * Per-code-point category flags as llama.cpp's pre-tokenizers see them: one general category
 * (letter, number, punctuation, symbol, mark, or "other" for C*, Z* and unassigned) plus the
 * White_Space property, which is independent of the category (U+0085 is a control character
 * *and* whitespace).
 *
 * Categories come from V8's `\p{…}` property escapes (the Unicode version of the running Node),
 * so code points assigned after llama.cpp's table was generated differ (llama.cpp: undefined;
 * here: their category). Everything assigned in both agrees.
 *
 * Tables are built lazily, one 64 Ki-entry plane at a time (≈15 ms per plane, 64 KiB each): the
 * BMP on first use, astral planes only when text contains them.
 */

export const LETTER = 1;
export const NUMBER = 2;
export const PUNCTUATION = 4;
export const SYMBOL = 8;
export const MARK = 16;
/** C*, Z* and unassigned code points; set so that every code point has at least one flag. */
export const OTHER = 32;
export const WHITESPACE = 64;

const planes: Array<Uint8Array | undefined> = new Array<Uint8Array | undefined>(17);
const CATEGORY = /(\p{L})|(\p{N})|(\p{P})|(\p{S})|(\p{M})/u;
const WHITE_SPACE = /\p{White_Space}/u;

function buildPlane(plane: number): Uint8Array {
  const table = new Uint8Array(0x10000);
  const base = plane << 16;
  for (let i = 0; i < 0x10000; i++) {
    const cp = base + i;
    if (cp >= 0xd800 && cp <= 0xdfff) {
      table[i] = OTHER; // surrogates never reach the tokenizer (strings are made well-formed first)
      continue;
    }
    const ch = String.fromCodePoint(cp);
    const m = CATEGORY.exec(ch);
    let f = !m ? OTHER : m[1] ? LETTER : m[2] ? NUMBER : m[3] ? PUNCTUATION : m[4] ? SYMBOL : MARK;
    if (WHITE_SPACE.test(ch)) f |= WHITESPACE;
    table[i] = f;
  }
  return table;
}

/** The BMP table (built on first call). Index by UTF-16 code unit for BMP code points. */
export function bmpFlags(): Uint8Array {
  return planes[0] ?? (planes[0] = buildPlane(0));
}

/** Flags of any code point 0..0x10FFFF. */
export function codepointFlags(cp: number): number {
  const p = cp >>> 16;
  const table = planes[p] ?? (planes[p] = buildPlane(p));
  return table[cp & 0xffff]!;
}

/**
 * The single character that stands for a non-ASCII code point in llama.cpp's "collapsed" text,
 * on which regexes with `\p{…}` run: whitespace → U+000B, letter → U+00D2, number → U+00D1,
 * punctuation → U+00D3, mark → U+00D4, symbol → U+00D5, anything else → U+00D0. ASCII code
 * points stand for themselves.
 */
export function collapsedUnit(cp: number, flags: number): number {
  if (cp < 0x80) return cp;
  if (flags & WHITESPACE) return 0x0b;
  if (flags & LETTER) return 0xd2;
  if (flags & NUMBER) return 0xd1;
  if (flags & PUNCTUATION) return 0xd3;
  if (flags & MARK) return 0xd4;
  if (flags & SYMBOL) return 0xd5;
  return 0xd0;
}
