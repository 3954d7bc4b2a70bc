/** Token spans as parallel arrays (a `SpanBuffer`, or built from `TokenSpan`s in tests). */
export interface SpanList {
  readonly length: number;
  readonly starts: ArrayLike<number>;
  readonly ends: ArrayLike<number>;
  readonly indexes: ArrayLike<number>;
}

export interface BoundarySegments {
  /** Per palette slot, flat [start, end, start, end, …] UTF-16 ranges drawn in that slot's colour (token index modulo palette size). */
  readonly bySlot: number[][];
  /** Flat ranges of characters shared by two or more tokens (a token boundary inside a multi-byte character). */
  readonly split: number[];
  /** Offsets of spaces and tabs, and of line ends (the offset of the \r or \n), inside the spans' extent. */
  readonly spaces: number[];
  readonly tabs: number[];
  readonly lineEnds: number[];
  readonly tokenCount: number;
}

/**
 * Turns token spans (which overlap where a token boundary falls inside a character) into
 * non-overlapping ranges for decorations: each token keeps the characters only it covers, in its
 * palette colour; shared characters get the "split" style instead, so a surrogate pair or a
 * multi-byte character is never cut in two on screen. `text` is the document text from `textStart`.
 * O(spans + text length), flat number arrays only (runs on every keystroke).
 */
export function boundarySegments(spans: SpanList, paletteSize: number, text: string, textStart: number, withWhitespace: boolean): BoundarySegments {
  const bySlot: number[][] = Array.from({ length: paletteSize }, () => []);
  const split: number[] = [];
  const spaces: number[] = [];
  const tabs: number[] = [];
  const lineEnds: number[] = [];
  const n = spans.length;
  for (let i = 0; i < n; i++) {
    const start = spans.starts[i]!;
    const end = spans.ends[i]!;
    const prevEnd = i > 0 ? spans.ends[i - 1]! : -1;
    const nextStart = i + 1 < n ? spans.starts[i + 1]! : Number.MAX_SAFE_INTEGER;
    const own0 = Math.max(start, prevEnd);
    const own1 = Math.min(end, nextStart);
    if (own1 > own0) bySlot[spans.indexes[i]! % paletteSize]!.push(own0, own1);
    if (nextStart < end) {
      // shared by this token and the next (maybe more): extend the previous shared range when they
      // overlap (one character cut twice); adjacent shared characters stay two ranges, so the
      // boundary between them - a token's start, or a token covering both - stays where it is
      const m = split.length;
      if (m > 0 && split[m - 1]! > nextStart) split[m - 1] = Math.max(split[m - 1]!, end);
      else split.push(nextStart, end);
    }
  }
  if (withWhitespace && n > 0) {
    const from = Math.max(spans.starts[0]!, textStart);
    const to = Math.min(spans.ends[n - 1]!, textStart + text.length);
    for (let o = from; o < to; o++) {
      const c = text.charCodeAt(o - textStart);
      if (c === 32) spaces.push(o);
      else if (c === 9) tabs.push(o);
      else if (c === 10) {
        if (o === from || text.charCodeAt(o - textStart - 1) !== 13) lineEnds.push(o);
      } else if (c === 13) lineEnds.push(o);
    }
  }
  return { bySlot, split, spaces, tabs, lineEnds, tokenCount: n };
}

/** `[a, b, c, d]` → `[[a, b], [c, d]]` (for tests and diagnostics). */
export function pairs(flat: readonly number[]): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!]);
  return out;
}
