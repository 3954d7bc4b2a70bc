import type { Tokenizer } from './tokenizer';
import { isHighSurrogate, isLowSurrogate } from './utf8';

/**
 * Parses token ids typed by a user: `[1, 2, 3]`, `1 2 3`, `1,2,3` or one per line.
 * Throws an Error naming the first bad entry.
 */
export function parseTokenIds(input: string): number[] {
  const body = input.trim().replace(/^\[/, '').replace(/\]$/, '');
  if (body.trim() === '') return [];
  const parts = body.split(/[\s,]+/).filter((p) => p !== '');
  return parts.map((p) => {
    if (!/^\d+$/.test(p)) throw new Error(`not a token id: "${p}"`);
    const n = Number(p);
    if (!Number.isSafeInteger(n)) throw new Error(`token id too large: ${p}`);
    return n;
  });
}

export interface DecodedIds {
  readonly text: string;
  /** The bytes are not valid UTF-8 (a character cut between tokens): U+FFFD stands in. */
  readonly lossy: boolean;
}

/** Decodes ids with `tokenizer`; throws RangeError for an id outside its vocabulary. */
export function decodeIds(tokenizer: Tokenizer, ids: readonly number[]): DecodedIds {
  const bytes = tokenizer.decodeBytes(ids);
  let lossy = false;
  try {
    new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    lossy = true;
  }
  return { text: new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes), lossy };
}

/** UTF-8 byte length of each code point start → UTF-16 offsets: largest char boundary ≤ byte offset. */
function utf16OffsetAtByte(text: string, byteOffset: number): number {
  let bytes = 0;
  for (let i = 0; i < text.length; ) {
    const c = text.charCodeAt(i);
    const pair = isHighSurrogate(c) && i + 1 < text.length && isLowSurrogate(text.charCodeAt(i + 1));
    const n = c < 0x80 ? 1 : c < 0x800 ? 2 : pair ? 4 : 3;
    if (bytes + n > byteOffset) return i;
    bytes += n;
    i += pair ? 2 : 1;
  }
  return text.length;
}

/**
 * End (UTF-16 offset) of the longest prefix of `text` that encodes, on its own, to at most
 * `maxTokens` tokens, cut at a character boundary. O(text) for one encode plus O(prefix) per
 * correction (rare: only when the cut changes how the last piece tokenizes).
 */
export function prefixEndForTokens(tokenizer: Tokenizer, text: string, maxTokens: number): number {
  if (maxTokens <= 0) return 0;
  const ids = tokenizer.encode(text);
  if (ids.length <= maxTokens) return text.length;
  let take = maxTokens;
  for (;;) {
    const bytes = tokenizer.decodeBytes(ids.subarray(0, take)).length;
    const end = utf16OffsetAtByte(text, bytes);
    if (take === 0 || tokenizer.count(text.slice(0, end)) <= maxTokens) return end;
    take--;
  }
}

/**
 * Splits `text` into consecutive pieces of at most `maxTokens` tokens each (each piece counted on
 * its own), cut at character boundaries; concatenated they are `text`. Returns UTF-16 end offsets.
 */
export function chunkEndsForTokens(tokenizer: Tokenizer, text: string, maxTokens: number): number[] {
  if (maxTokens <= 0) throw new RangeError('maxTokens must be positive');
  const ends: number[] = [];
  let start = 0;
  while (start < text.length) {
    // Encoding only a window of ~maxTokens×16 chars ahead keeps this linear in the text length.
    const window = text.slice(start, start + Math.max(64, maxTokens * 16));
    let rel = prefixEndForTokens(tokenizer, window, maxTokens);
    if (rel === 0) rel = Math.min(window.length, isHighSurrogate(window.charCodeAt(0)) ? 2 : 1); // one character never fits: take it anyway
    start += rel;
    ends.push(start);
  }
  return ends;
}
