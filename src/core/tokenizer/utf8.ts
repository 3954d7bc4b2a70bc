/**
 * UTF-8 helpers over JS strings (UTF-16). Lone surrogates encode as U+FFFD (EF BF BD), exactly as
 * TextEncoder does — and therefore exactly what tiktoken's WASM sees for the same string.
 */

/** UTF-8 length in bytes of the UTF-16 code unit range [start, end). O(end - start). */
export function utf8Length(text: string, start = 0, end = text.length): number {
  let n = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < end && isLowSurrogate(text.charCodeAt(i + 1))) {
      n += 4;
      i++;
    } else n += 3; // BMP, or a lone surrogate → U+FFFD
  }
  return n;
}

export function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}
export function isHighSurrogate(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}

/**
 * Writes the UTF-8 bytes of text[start, end) into `out` at `at`; returns the new end offset.
 * `out` needs room for 3 bytes per UTF-16 code unit. A surrogate pair split by `end` counts as a
 * lone surrogate (callers never split chunks inside a pair).
 */
export function encodeUtf8Into(text: string, start: number, end: number, out: Uint8Array, at = 0): number {
  let j = at;
  for (let i = start; i < end; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) {
      out[j++] = c;
    } else if (c < 0x800) {
      out[j++] = 0xc0 | (c >> 6);
      out[j++] = 0x80 | (c & 0x3f);
    } else {
      if (c >= 0xd800 && c <= 0xdfff) {
        const d = i + 1 < end ? text.charCodeAt(i + 1) : 0;
        if (c <= 0xdbff && isLowSurrogate(d)) {
          const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          out[j++] = 0xf0 | (cp >> 18);
          out[j++] = 0x80 | ((cp >> 12) & 0x3f);
          out[j++] = 0x80 | ((cp >> 6) & 0x3f);
          out[j++] = 0x80 | (cp & 0x3f);
          i++;
          continue;
        }
        c = 0xfffd;
      }
      out[j++] = 0xe0 | (c >> 12);
      out[j++] = 0x80 | ((c >> 6) & 0x3f);
      out[j++] = 0x80 | (c & 0x3f);
    }
  }
  return j;
}

/**
 * For each UTF-16 offset boundary, the byte offset: returns an array `b` with b[k] = UTF-8 bytes of
 * text[start, start + k), k = 0..(end - start). Inside a surrogate pair, b of the low half equals b
 * of the pair's start (the pair is one 4-byte character). O(end - start).
 */
export function utf16ToByteOffsets(text: string, start: number, end: number): Uint32Array {
  const out = new Uint32Array(end - start + 1);
  let n = 0;
  for (let i = start; i < end; i++) {
    out[i - start] = n;
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (isHighSurrogate(c) && i + 1 < end && isLowSurrogate(text.charCodeAt(i + 1))) {
      out[i + 1 - start] = n;
      n += 4;
      i++;
    } else n += 3;
  }
  out[end - start] = n;
  return out;
}
