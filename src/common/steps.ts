/**
 * Work written once as a generator of steps (`yield` between costly parts) and run either to the
 * end at once (workers, tests, CLIs) or with a pause between steps (the extension host, where one
 * long task freezes every extension).
 */
export type Steps<T> = Generator<void, T, void>;

/** Items between two steps of a loop over a vocabulary or its merges (≈5–12 ms each, measured on the shipped model). */
export const ITEMS_PER_STEP = 16384;

/**
 * Calls `range(from, to)` over [0, n) in ranges of ITEMS_PER_STEP items, with a step between two
 * ranges (none after the last). Stops early, returning false, when `range` returns false.
 */
export function* inRanges(n: number, range: (from: number, to: number) => boolean | void): Steps<boolean> {
  for (let from = 0; from < n; from += ITEMS_PER_STEP) {
    if (from > 0) yield;
    if (range(from, Math.min(n, from + ITEMS_PER_STEP)) === false) return false;
  }
  return true;
}

/** Runs `steps` to the end on this turn. */
export function runSteps<T>(steps: Steps<T>): T {
  for (let r = steps.next(); ; r = steps.next()) if (r.done) return r.value;
}

/**
 * Runs `steps` with `pause()` awaited after each one. If a pause rejects, the steps are ended
 * (`return()`), so that their `finally` blocks run (a model file read in steps holds it open).
 */
export async function runStepsPaused<T>(steps: Steps<T>, pause: () => Promise<void>): Promise<T> {
  let done = false;
  try {
    for (let r = steps.next(); ; r = steps.next()) {
      if (r.done) {
        done = true;
        return r.value;
      }
      await pause();
    }
  } finally {
    if (!done) steps.return(undefined as never);
  }
}
