import type { Drafter } from './drafter';

/**
 * Whether to draft, with which drafter and how far, from the measured acceptance and the measured
 * cost of verification. A draft of k pays only when the expected tokens per batch,
 * 1 + a + a² + … + a^k for acceptance a, beat the batch's cost in plain decode steps by
 * PROFIT_MARGIN. The costs are measured per model while it runs (VerifyCosts): on the shipped
 * 20M-parameter model a batch of k costs ~1.35 + 0.45·k plain steps (node-llama-cpp samples every
 * position through its own native call, ~0.5–1 ms, as much as a whole decode step of so small a
 * model), so only a ≳ 0.75 pays; on the Qwen2.5-0.5B shape 16 drafts cost 7.5 steps (bench
 * spec.verify.cost.*). Acceptance is averaged per drafter and per confidence bucket (for prompt
 * lookup, the length of the matched n-gram). An unprofitable bucket is probed with a short draft
 * every `probeEvery`-th time, so it can recover at a small cost.
 */
export const BATCH_BASE = 1.35;
export const BATCH_PER_TOKEN = 0.45;
const PROFIT_MARGIN = 1.05;
const PROBE_K = 2;
/** A new bucket starts neutral: measured by probes before it is trusted. */
const INITIAL_ACCEPTANCE = 0.5;

/**
 * Batch costs measured on the running model, in plain decode steps: an average of the plain step
 * and of each draft length's batch. A length not measured yet comes from the engine's prior (its
 * measured cost per batch size, batchShapes.ts, scaled by how the nearest measured length compares
 * with it), or without one from the nearest measured length and the default slope; with nothing
 * measured the defaults above are used.
 */
export class VerifyCosts {
  private plainMs = NaN;
  private readonly batchMs = new Map<number, number>();
  /** Time a drafter takes to propose (ms, averaged): a draft model's own decoding is part of a batch's cost. */
  private readonly draftingMs = new Map<string, number>();
  /** The engine's estimate of a batch verifying k drafts (ms), and of one plain step (k = 0). */
  private prior: ((k: number) => number) | undefined;

  setPrior(prior: (k: number) => number): void {
    this.prior = prior;
  }

  recordDrafting(drafter: string, ms: number): void {
    const prev = this.draftingMs.get(drafter);
    this.draftingMs.set(drafter, prev === undefined ? ms : 0.8 * prev + 0.2 * ms);
  }

  /** A drafter's proposing time in plain steps (0 until a plain step is measured). */
  draftingSteps(drafter: string): number {
    const ms = this.draftingMs.get(drafter);
    const plain = this.plainStepMs();
    return ms === undefined || Number.isNaN(plain) ? 0 : ms / plain;
  }

  recordPlain(ms: number): void {
    this.plainMs = Number.isNaN(this.plainMs) ? ms : 0.9 * this.plainMs + 0.1 * ms;
  }

  recordBatch(k: number, ms: number): void {
    const prev = this.batchMs.get(k);
    this.batchMs.set(k, prev === undefined ? ms : 0.8 * prev + 0.2 * ms);
  }

  private plainStepMs(): number {
    return Number.isNaN(this.plainMs) && this.prior ? this.prior(0) : this.plainMs;
  }

  /** The cost of verifying k drafts, in plain steps. */
  steps(k: number): number {
    const plain = this.plainStepMs();
    if (Number.isNaN(plain)) return BATCH_BASE + BATCH_PER_TOKEN * k;
    const exact = this.batchMs.get(k);
    if (exact !== undefined) return exact / plain;
    let nearest = -1;
    for (const m of this.batchMs.keys()) if (nearest < 0 || Math.abs(m - k) < Math.abs(nearest - k)) nearest = m;
    if (this.prior) return (this.prior(k) * (nearest < 0 ? 1 : this.batchMs.get(nearest)! / this.prior(nearest))) / plain;
    if (nearest < 0) return BATCH_BASE + BATCH_PER_TOKEN * k;
    return this.batchMs.get(nearest)! / plain + BATCH_PER_TOKEN * (k - nearest);
  }
}

export interface DraftStats {
  proposed: number;
  accepted: number;
  /** Verification batches that carried a draft of this drafter. */
  batches: number;
}

export interface DraftGuess {
  /** The drafter's name (statistics, per-token sources). */
  readonly drafter: string;
  /** The acceptance bucket to credit. */
  readonly bucket: string;
  readonly tokens: number[];
}

/** The most profitable draft length for acceptance `a` (0: none pays), given each length's cost in plain steps. */
export function profitableDraftLength(a: number, maxK: number, steps: (k: number) => number = (k) => BATCH_BASE + BATCH_PER_TOKEN * k): number {
  let best = 0;
  let bestGain = 0;
  let expected = 1;
  let p = 1;
  for (let k = 1; k <= maxK; k++) {
    p *= a;
    expected += p;
    const gain = expected - PROFIT_MARGIN * steps(k);
    if (gain > bestGain) {
      bestGain = gain;
      best = k;
    }
  }
  return best;
}

export class DraftController {
  private readonly avg = new Map<string, number>();
  private readonly stats = new Map<string, DraftStats>();
  private asked = 0;
  readonly costs = new VerifyCosts();
  /**
   * Realized gain of recent batches: tokens a batch produced ÷ its cost in plain steps (EMA). The
   * per-bucket acceptance assumes independent positions and is optimistic when misses cluster;
   * while the realized gain is below 1, only probes draft (measured: on the shipped model drafts
   * with 57% acceptance produced 2.55 tokens per batch costing 2.85 steps, 11% slower than plain).
   */
  private realized = 1;

  constructor(
    readonly drafters: readonly Drafter[],
    private readonly maxK = 12,
    private readonly probeEvery = 16,
    /** Draft at every step, as long as the drafter can (tests of losslessness, acceptance measurements). */
    private readonly always = false,
  ) {
    for (const d of drafters) this.stats.set(d.name, { proposed: 0, accepted: 0, batches: 0 });
  }

  /** A draft worth verifying, or undefined (decode plainly). */
  async propose(history: readonly number[], room = Infinity): Promise<DraftGuess | undefined> {
    this.asked++;
    for (const d of this.drafters) {
      const t0 = performance.now();
      const proposal = await d.propose(history, Math.min(this.maxK, room));
      this.costs.recordDrafting(d.name, performance.now() - t0);
      if (proposal.tokens.length === 0) continue;
      const bucket = `${d.name}:${proposal.confidence}`;
      const drafting = this.costs.draftingSteps(d.name);
      let k = this.realized < 1 ? 0 : profitableDraftLength(this.avg.get(bucket) ?? INITIAL_ACCEPTANCE, this.maxK, (n) => this.costs.steps(n) + drafting);
      if (this.always) k = this.maxK;
      else if (k === 0 && this.asked % this.probeEvery === 0) k = PROBE_K;
      if (k > 0) return { drafter: d.name, bucket, tokens: proposal.tokens.slice(0, k) };
    }
    return undefined;
  }

  /** How much of a draft the target kept (per position: a kept token counts 1, the first miss 0, the rest not at all). */
  record(guess: DraftGuess, kept: number): void {
    const s = this.stats.get(guess.drafter)!;
    s.proposed += guess.tokens.length;
    s.accepted += kept;
    s.batches++;
    // per-position acceptance: kept successes out of the positions tried (kept + 1 unless all kept)
    const tried = Math.min(guess.tokens.length, kept + 1);
    const a = kept / tried;
    const prev = this.avg.get(guess.bucket) ?? INITIAL_ACCEPTANCE;
    this.avg.set(guess.bucket, 0.7 * prev + 0.3 * a);
    this.realized = 0.8 * this.realized + 0.2 * ((kept + 1) / this.costs.steps(guess.tokens.length));
  }

  /** The target's own choices, for drafters that learn (token recycling). */
  observe(token: number, next: number): void {
    for (const d of this.drafters) d.observe?.(token, next);
  }

  snapshot(): Record<string, DraftStats> {
    return Object.fromEntries([...this.stats].map(([k, v]) => [k, { ...v }]));
  }
}
