/**
 * Tables of code point runs (a run starts at `starts[i]` and ends where the next starts), as the
 * generated Unicode tables store them (gguf/llamaUnicodeData.ts, unicodeClasses.ts).
 */

/** Index of the first element greater than `x` in ascending `xs` (binary search). */
export function upperBound(xs: readonly number[], x: number): number {
  let a = 0;
  let b = xs.length;
  while (a < b) {
    const m = (a + b) >> 1;
    if (xs[m]! <= x) a = m + 1;
    else b = m;
  }
  return a;
}

/** Index of the run holding code point `cp`. */
export function runOf(starts: readonly number[], cp: number): number {
  return upperBound(starts, cp) - 1;
}
