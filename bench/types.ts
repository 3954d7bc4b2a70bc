/** One row of bench/results.json. */
export interface BenchResult {
  readonly id: string;
  readonly value: number;
  readonly unit: string;
  /** A peer library measured in the same run on the same input. */
  readonly peer?: string;
  readonly peerValue?: number;
  /** value / peerValue for rates (higher is better), peerValue / value for times: > 1 means we are faster. */
  readonly ratio?: number;
  /** Human-readable target, e.g. "≥ 3× gpt-tokenizer" or "≤ 1 ms". */
  readonly target?: string;
  readonly met?: boolean;
  readonly note?: string;
}

/** A group of benchmarks; each suite runs in its own Node process (clean heap and RSS). */
export interface BenchSuite {
  /** Common prefix of the ids it produces, used by --filter before the suite runs. */
  readonly prefix: string;
  /** Further id prefixes, for a suite that measures two things in one session. */
  readonly alsoPrefixes?: readonly string[];
  /** Runs a real VS Code: bench.mjs runs the harness set-up (test/harness/setup.sh) first, as npm test does. */
  readonly needsHarness?: boolean;
  run(log: (line: string) => void): Promise<BenchResult[]>;
}
