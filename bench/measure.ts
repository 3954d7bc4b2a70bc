/** Helpers for benchmarks: repeated timing, percentiles, and corpora that exist on a fresh machine. */

/** Median wall time (ms) of `fn` over `runs` runs after `warmup` runs. */
export function medianMs(fn: () => void, runs = 5, warmup = 1): number {
  for (let i = 0; i < warmup; i++) fn();
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    t.push(performance.now() - t0);
  }
  return percentile(t, 50);
}

export function percentile(values: readonly number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[i]!;
}

/** MB/s for `bytes` processed in `ms`. */
export const mbPerSec = (bytes: number, ms: number): number => bytes / 1e6 / (ms / 1000);

/** Cuts `s` at a line end near `bytes` UTF-8 bytes. */
export function sliceToBytes(s: string, bytes: number): string {
  const buf = Buffer.from(s, 'utf8');
  if (buf.length <= bytes) return s;
  const cut = buf.indexOf(0x0a, bytes);
  return buf.subarray(0, cut < 0 ? bytes : cut + 1).toString('utf8');
}
