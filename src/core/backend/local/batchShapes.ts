/**
 * Which batch size a verification batch should be padded to, from the engine's measured cost of
 * decoding batches of each size.
 *
 * Why: llama.cpp's CPU backend (as node-llama-cpp 3.22.1 ships it) switches matrix kernels with the
 * batch size. Measured on the shipped model, 1 thread, 2-core machine: a batch of n < 64 tokens
 * costs ~0.8–1 ms per token (n = 16: 18–27 ms, n = 32: 26 ms) while a batch of 64 costs 5.5 ms in
 * all (0.09 ms a token). Verifying 12 drafts is thus ~3× cheaper as a batch padded with 50 filler
 * tokens (erased afterwards) than as a batch of 13. The threshold is the engine's, not ours: it is
 * measured once per loaded model (a few decodes, ~0.2 s, in the engine process) rather than
 * assumed, so another build, CPU or model shape picks its own.
 *
 * The padded kernel computes slightly different logits (measured differences ~0.01–0.03): greedy
 * choices can differ from unpadded decoding where the two best logits are that close, exactly as
 * they already differ between a prompt evaluated in one batch and token by token.
 */

/** Batch sizes measured: the sizes below cover where small batches stop paying per token. */
export const MEASURED_BATCH_SIZES = [1, 4, 8, 16, 32, 64, 128] as const;

export interface BatchShapes {
  /** The batch size to decode `need` tokens in (≥ need; need itself when padding does not pay). */
  padTo(need: number): number;
  /**
   * Estimated cost of verifying k drafts after one pending token (ms): the padded batch plus one
   * sampled output per position; k = 0 is one plain decode step.
   */
  verifyMs(k: number): number;
}

/** The identity plan (nothing measured, or padding never pays). */
export const UNPADDED: BatchShapes = { padTo: (need) => need, verifyMs: () => NaN };

/**
 * A plan from measured costs (ms per batch, by size, without outputs) and the cost of one sampled
 * output position (ms). `need` tokens are padded to the measured size
 * whose cost is lowest among those ≥ need, when it is lower than need's own (interpolated) cost by
 * more than `margin` (relative: measurement noise must not decide).
 */
export function planBatchShapes(costs: ReadonlyMap<number, number>, outputMs: number, margin = 0.15): BatchShapes {
  const sizes = [...costs.keys()].sort((a, b) => a - b);
  if (sizes.length === 0) return UNPADDED;
  /** Measured cost of a batch of n tokens, ms (interpolated between measured sizes). */
  const costMs = (n: number): number => interpolate(sizes, costs, n);
  return {
    verifyMs(k: number): number {
      return costMs(this.padTo(k + 1)) + (k + 1) * outputMs;
    },
    padTo(need: number): number {
      const own = costMs(need);
      let best = need;
      let bestCost = own * (1 - margin);
      for (const s of sizes) {
        if (s <= need) continue;
        const c = costs.get(s)!;
        if (c < bestCost) {
          best = s;
          bestCost = c;
        }
      }
      return best;
    },
  };
}

/** Piecewise-linear cost between measured sizes; beyond the largest, linear from the origin through it. */
function interpolate(sizes: readonly number[], costs: ReadonlyMap<number, number>, n: number): number {
  const exact = costs.get(n);
  if (exact !== undefined) return exact;
  let lo = sizes[0]!;
  if (n <= lo) return costs.get(lo)!;
  for (const hi of sizes) {
    if (hi > n) {
      const cl = costs.get(lo)!;
      return cl + ((costs.get(hi)! - cl) * (n - lo)) / (hi - lo);
    }
    lo = hi;
  }
  return (costs.get(lo)! * n) / lo;
}
