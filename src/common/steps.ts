/**
 * Work written once as a generator of steps (`yield` between costly parts) and run either to the
 * end at once (workers, tests, CLIs) or with a pause between steps (the extension host, where one
 * long task freezes every extension).
 */
export type Steps<T> = Generator<void, T, void>;

/** Items between two steps of a loop over a vocabulary or its merges (≈5–12 ms each, measured on the shipped model). */
export const ITEMS_PER_STEP = 16384;

/** Runs `steps` to the end on this turn. */
export function runSteps<T>(steps: Steps<T>): T {
  for (let r = steps.next(); ; r = steps.next()) if (r.done) return r.value;
}

/** Runs `steps` with `pause()` awaited after each one. */
export async function runStepsPaused<T>(steps: Steps<T>, pause: () => Promise<void>): Promise<T> {
  for (let r = steps.next(); ; r = steps.next()) {
    if (r.done) return r.value;
    await pause();
  }
}
