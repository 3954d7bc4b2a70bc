import * as path from 'path';
import { ENCODING_NAMES, type EncodingName } from '../../../../src/core/tokenizer/encodings';
import { loadBpeTokenizer } from '../../../../src/core/tokenizer/loadTokenizer';
import type { BpeTokenizer } from '../../../../src/core/tokenizer/bpeTokenizer';
import type { RankTable } from '../../../../src/core/tokenizer/rankTable';
import { TiktokenTokenizer } from '../../../../src/core/tokenizer/tiktokenTokenizer';
import { REPO_ROOT } from '../../../corpus';
import { differingCodePoints, sameIds } from '../codePointSweep';

/** Rank tables built by `npm run build` (scripts/buildRanks.mjs). */
export const RANKS_DIR = path.join(REPO_ROOT, 'dist/ranks');
const tables = new Map<string, RankTable>();
const fast = new Map<EncodingName, BpeTokenizer>();
const reference = new Map<EncodingName, TiktokenTokenizer>();

export function fastTokenizer(name: EncodingName): BpeTokenizer {
  let t = fast.get(name);
  if (!t) fast.set(name, (t = loadBpeTokenizer(name, RANKS_DIR, tables)));
  return t;
}

/**
 * tiktoken (WASM) itself. o200k_harmony's ranks come from tiktoken's own JSON (not from our .tkr
 * files), so the oracle stays independent of our conversion.
 */
export function tiktokenOracle(name: EncodingName): TiktokenTokenizer {
  let t = reference.get(name);
  if (!t) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const ranks = (): string => (require('tiktoken/encoders/o200k_base.json') as { bpe_ranks: string }).bpe_ranks;
    reference.set(name, (t = new TiktokenTokenizer(name, ranks)));
  }
  return t;
}

export { ENCODING_NAMES };

/** Index of the first differing id, or -1. */
export function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

/** The code points whose probes our tokenizer splits differently from tiktoken under `name` (full sweep, codePointSweep.ts). */
export function codePointsDifferingFromTiktoken(name: EncodingName): number[] {
  const ours = fastTokenizer(name);
  const oracle = tiktokenOracle(name);
  return differingCodePoints((text) => sameIds(oracle.encode(text), ours.encode(text)));
}
