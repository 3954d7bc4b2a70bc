import * as assert from 'assert';
import { ByteCovers, type CoverModel } from '../../../../src/core/completion/heal/byteCovers';
import { TokenByteIndex } from '../../../../src/core/completion/heal/tokenByteIndex';
import { chooseExactBytes } from '../../../../src/core/backend/local/exactSteps';

/**
 * Exact byte-level probabilities (cover sums) against an oracle that enumerates every token
 * sequence of a toy model. The toy tokenizer is greedy longest match; the toy model gives zero
 * probability to any token that would make its sequence non-canonical (as a model trained on
 * canonical tokenizations nearly does), and otherwise fixed pseudo-random weights. Under it the
 * enumeration over all sequences and the cover sums over canonical tilings must agree exactly.
 */
const VOCAB = ['a', 'b', 'c', 'ab', 'bc', 'abc', 'ca', 'cab', 'x', '_', ' ', '  ', ' a', ' ab'];
const bytes = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const text = (b: ArrayLike<number>): string => String.fromCharCode(...Array.from(b));
const index = new TokenByteIndex({ vocabSize: VOCAB.length, tokenBytes: (i) => bytes(VOCAB[i]!), isText: () => true });

/** Pre-tokenized as code models do: a run of spaces gives its last space to the word after it. */
function tile(s: string): number[] {
  return (s.match(/ +(?= [^ ])| ?[^ ]+| +/g) ?? []).flatMap(greedy);
}

function greedy(s: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.length; ) {
    let best = -1;
    VOCAB.forEach((v, id) => {
      if (s.startsWith(v, i) && (best < 0 || v.length > VOCAB[best]!.length)) best = id;
    });
    if (best < 0) throw new Error(`cannot tokenize ${s}`);
    out.push(best);
    i += VOCAB[best]!.length;
  }
  return out;
}

const decode = (path: readonly number[]): string => path.map((t) => VOCAB[t]).join('');
const canonical = (path: readonly number[]): boolean => tile(decode(path)).join(',') === path.join(',');

/** log P(t | path) for every token: fixed weights from the path, zero where the sequence stops being canonical. */
function distribution(path: readonly number[]): Map<number, number> {
  const w = VOCAB.map((_, t) => (canonical([...path, t]) ? 1 + ((7 * t + 13 * path.length + 3 * (path.at(-1) ?? 5)) % 11) : 0));
  const z = w.reduce((a, b) => a + b, 0);
  const m = new Map<number, number>();
  w.forEach((x, t) => {
    if (x > 0) m.set(t, Math.log(x / z));
  });
  return m;
}

class ToyModel implements CoverModel {
  evaluations = 0;
  private readonly cache = new Map<string, Map<number, number>>();
  node(path: readonly number[]): Promise<ReadonlyMap<number, number>> {
    const key = path.join(',');
    if (!this.cache.has(key)) {
      this.evaluations++;
      this.cache.set(key, distribution(path));
    }
    return Promise.resolve(this.cache.get(key)!);
  }
  peek(path: readonly number[]): ReadonlyMap<number, number> | undefined {
    return this.cache.get(path.join(','));
  }
  tile(b: Uint8Array): readonly number[] {
    return tile(text(b));
  }
}

/**
 * P(classic healing's generator writes x) by enumeration: the first step masked to the tokens
 * starting with `healed` or equal to it without its last space (then the second step masked to the
 * tokens starting with that space), each masked step renormalized.
 */
function classicOracle(x: string, healed: string): number {
  let total = 0;
  const walk = (path: number[], p: number, mask: ((v: string) => boolean) | undefined, afterSplit: boolean): void => {
    const d = decode(path);
    if (d.length >= x.length) {
      if (d.startsWith(x)) total += p;
      return;
    }
    if (!x.startsWith(d)) return;
    const dist = distribution(path);
    const allowed = [...dist].filter(([t]) => !mask || mask(VOCAB[t]!));
    const z = mask ? allowed.reduce((s, [, l]) => s + Math.exp(l), 0) : 1;
    for (const [t, l] of allowed) {
      const v = VOCAB[t]!;
      const split = !afterSplit && mask !== undefined && v === healed.slice(0, -1) && healed.endsWith(' ');
      walk([...path, t], (p * Math.exp(l)) / z, split ? (w) => w.startsWith(' ') : undefined, afterSplit || split);
    }
  };
  walk([], 1, (v) => v.startsWith(healed) || (healed.length >= 2 && healed.endsWith(' ') && v === healed.slice(0, -1)), false);
  return total;
}

/** P(output starts with x) by enumerating every sequence that covers x (only the first token filtered by `first`). */
function oracle(x: string, first?: string): number {
  let total = 0;
  const walk = (path: number[], lp: number): void => {
    const d = decode(path);
    if (d.length >= x.length) {
      if (d.startsWith(x) && (!first || VOCAB[path[0]!]!.startsWith(first))) total += Math.exp(lp);
      return;
    }
    if (!x.startsWith(d)) return;
    for (const [t, l] of distribution(path)) walk([...path, t], lp + l);
  };
  walk([], 0);
  return total;
}

describe('core/completion/heal: exact byte-level probabilities (cover sums) against enumeration', () => {
  const strings = ['a', 'ab', 'abc', 'ca', 'cab', 'cabc', 'bca', 'xab', 'abca', 'c_a'];

  it('P(output starts with x) equals the sum over every token sequence', async () => {
    for (const x of strings) {
      const covers = new ByteCovers(index, new ToyModel());
      const p = Math.exp(await covers.prefixLogProb(bytes(x)));
      assert.ok(Math.abs(p - oracle(x)) < 1e-12, `${x}: ${p} against ${oracle(x)}`);
    }
  });

  it('the next-byte masses are P(x b…) for every byte b, and sum to at most P(x…)', async () => {
    for (const x of strings) {
      const covers = new ByteCovers(index, new ToyModel());
      const masses = await covers.nextByteMasses(bytes(x));
      for (const b of 'abcx_') assert.ok(Math.abs(masses[b.charCodeAt(0)]! - oracle(x + b)) < 1e-12, `${x}+${b}: ${masses[b.charCodeAt(0)]} against ${oracle(x + b)}`);
      const sum = masses.reduce((a, b) => a + b, 0);
      // equal here: every sequence that starts with x goes on with some byte
      assert.ok(Math.abs(sum - oracle(x)) < 1e-12, `${x}: Σ next ${sum} against ${oracle(x)}`);
    }
  });

  it('restricted to a first token that re-produces given bytes (classic healing’s first step)', async () => {
    for (const [x, first] of [['abc', 'ab'], ['cab', 'ca'], ['cabc', 'c'], ['abca', 'abc']] as const) {
      const covers = new ByteCovers(index, new ToyModel());
      const p = Math.exp(await covers.prefixLogProb(bytes(x), (tiling) => tiling.length === 0 || VOCAB[tiling[0]!]!.startsWith(first)));
      assert.ok(Math.abs(p - oracle(x, first)) < 1e-12, `${x} first ${first}: ${p} against ${oracle(x, first)}`);
      assert.ok(p <= oracle(x) + 1e-12);
    }
  });

  it('classic healing’s likelihood: masked steps renormalized, the whitespace split before a word included', async () => {
    for (const [x, healed] of [['cab', 'ca'], ['cabc', 'cab'], ['  ab', '  '], ['  abc', '  '], [' a', ' ']] as const) {
      const covers = new ByteCovers(index, new ToyModel());
      const p = Math.exp(await covers.classicLogProb(bytes(x), healed.length));
      const want = classicOracle(x, healed);
      assert.ok(want > 0, `${x}: the oracle itself gives ${want}`);
      assert.ok(Math.abs(p - want) < 1e-12, `${x} healed ${JSON.stringify(healed)}: ${p} against ${want}`);
    }
  });

  it('pruning skips only tilings below the bound: the masses stay within it, with fewer evaluations', async () => {
    for (const x of strings) {
      const full = new ToyModel();
      const pruned = new ToyModel();
      const exact = await new ByteCovers(index, full).nextByteMasses(bytes(x));
      const approx = await new ByteCovers(index, pruned, 256, 0.5).nextByteMasses(bytes(x));
      const total = exact.reduce((a, b) => a + b, 0);
      for (let b = 0; b < 256; b++) assert.ok(approx[b]! <= exact[b]! + 1e-15 && exact[b]! - approx[b]! <= 0.5 * total * (x.length + 1) + 1e-15);
      assert.ok(pruned.evaluations <= full.evaluations);
    }
  });

  it('greedy exact bytes: the likeliest next byte each time, up to the end of the word', async () => {
    const covers = new ByteCovers(index, new ToyModel());
    const chosen = text(await chooseExactBytes(covers, bytes('ca'), 6, () => false));
    let x = 'ca';
    let expected = '';
    for (let n = 0; n < 6; n++) {
      let best = '';
      for (const b of 'abcx_ ') if (!best || oracle(x + b) > oracle(x + best)) best = b;
      x += best;
      expected += best;
      if (best === ' ') break;
    }
    assert.strictEqual(chosen, expected);
    assert.ok(expected.length >= 2, `a run of word bytes was chosen: ${JSON.stringify(expected)}`);
  });
});
