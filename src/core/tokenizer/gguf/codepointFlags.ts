import { runOf } from '../codepointRuns';
import { RANGE_FLAGS, RANGE_STARTS, WHITESPACE_CODEPOINTS } from './llamaUnicodeData';

/**
 * Per-code-point category flags as llama.cpp's pre-tokenizers see them: one general category
 * (letter, number, punctuation, symbol, mark, or "other" for C*, Z* and unassigned) plus the
 * White_Space property, which is independent of the category (U+0085 is a control character
 * *and* whitespace).
 *
 * Categories come from llama.cpp's own table (llamaUnicodeData.ts, generated from the
 * src/unicode-data.cpp that node-llama-cpp ships), not from the JavaScript engine's `\p{…}`: V8
 * follows its ICU's Unicode version, so a newer runtime classed the 9,039 code points assigned
 * after llama.cpp's table as letters or numbers where llama.cpp has them undefined, and the same
 * text tokenized differently under two VS Code releases (test: the full code-point sweep against
 * llama.cpp in test/unit/core/tokenizer/gguf).
 *
 * Tables are built lazily, one 64 Ki-entry plane at a time (a fill from ~2,300 ranges, < 1 ms per
 * plane, 64 KiB each): the BMP on first use, astral planes only when text contains them.
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

/** Our flag for llama.cpp's category bits (src/unicode.h): number, letter, accent mark, punctuation, symbol; the rest (undefined, separator, control) is OTHER. */
function categoryOf(llamaFlags: number): number {
  if (llamaFlags & 0x04) return LETTER;
  if (llamaFlags & 0x02) return NUMBER;
  if (llamaFlags & 0x20) return PUNCTUATION;
  if (llamaFlags & 0x40) return SYMBOL;
  if (llamaFlags & 0x10) return MARK;
  return OTHER;
}

function buildPlane(plane: number): Uint8Array {
  const table = new Uint8Array(0x10000);
  const lo = plane << 16;
  const hi = lo + 0x10000;
  // the range holding `lo`, then every range starting inside the plane
  let r = runOf(RANGE_STARTS, lo);
  for (; r < RANGE_STARTS.length && RANGE_STARTS[r]! < hi; r++) {
    const start = Math.max(lo, RANGE_STARTS[r]!);
    const end = Math.min(hi, RANGE_STARTS[r + 1] ?? 0x110000);
    table.fill(categoryOf(RANGE_FLAGS[r]!), start - lo, end - lo);
  }
  for (const cp of WHITESPACE_CODEPOINTS) if (cp >= lo && cp < hi) table[cp - lo]! |= WHITESPACE;
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
