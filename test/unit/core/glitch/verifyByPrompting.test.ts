import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { isAbortError } from '../../../../src/common/errors';
import { GgmlType } from '../../../../src/core/gguf/dequantize';
import { computeGlitchIndicator } from '../../../../src/core/glitch/embeddingIndicator';
import { PAPER_PROMPTS, QUICK_PROMPTS, verifyCandidatesByPrompting, type TokenVerification } from '../../../../src/core/glitch/verifyByPrompting';
import { GgufTokenizer } from '../../../../src/core/tokenizer/gguf/ggufTokenizer';
import { SHIPPED_MODEL } from '../backend/localFixtures';
import type { KvValue } from '../gguf/ggufWriter';
import { Rng, encodeF32, oneBlockLlamaKv, passThroughBlock, quantizeQ8_0, tinySpmVocabKv, writeStreamingGguf } from './glitchModels';

const D = 128;
const VOCAB = 520;

/**
 * A tied one-layer llama whose attention and FFN contribute nothing, so the next-token logits
 * after token t are E · RMSNorm(E[t]): a well-trained row (large, roughly orthogonal to the
 * others) predicts its own token again with probability ≈ 1 — it "repeats" — while a row left at
 * a small initial scale cannot win against the others (probability ≈ 1/vocabulary). That is the
 * mechanism the paper's verification relies on, in a model small enough for a unit test.
 */
function writeRepeaterModel(file: string, undertrained: ReadonlySet<number>, rng: Rng): void {
  // Untrained rows: small, and drifted together along g (what makes the cosine indicator work).
  const g = rng.unit(D);
  const embd = new Float32Array(D * VOCAB);
  for (let id = 0; id < VOCAB; id++) {
    const untrained = undertrained.has(id);
    for (let k = 0; k < D; k++) embd[id * D + k] = untrained ? 0.01 * (3 * g[k]! * Math.sqrt(D) + rng.normal()) : rng.normal();
  }
  const kv: Array<readonly [string, KvValue]> = [
    ['general.architecture', { type: 'string', value: 'llama' }],
    ...oneBlockLlamaKv({ context: 2048, embd: D, ff: 32, heads: 4, rmsEps: 1e-5 }),
    // SentencePiece merges build every "▁wN" from "▁w" (so none is unreachable)
    ...tinySpmVocabKv(VOCAB, ['\u2581w']),
  ];
  const q = quantizeQ8_0(embd);
  writeStreamingGguf(file, kv, [
    { name: 'token_embd.weight', dims: [D, VOCAB], ggmlType: GgmlType.Q8_0, byteLength: q.length, data: q },
    { name: 'output_norm.weight', dims: [D], ggmlType: GgmlType.F32, byteLength: 4 * D, data: encodeF32(new Float32Array(D).fill(1)) },
    ...passThroughBlock(D, 32),
  ]);
}

describe('glitch indicator: verification by prompting (node-llama-cpp)', function () {
  this.timeout(600000);
  let dir = '';
  let file = '';
  const rng = new Rng(31);
  const planted = new Set(rng.sample(VOCAB - 259, 12).map((i) => 259 + i));
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tokenscope-verify-'));
    file = path.join(dir, 'repeater.gguf');
    writeRepeaterModel(file, planted, rng);
  });
  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('synthetic tied model: the indicator finds the small rows, prompting confirms them (< 1 %) and rejects trained tokens', async () => {
    const ind = await computeGlitchIndicator(file, { candidateFraction: 0.1 });
    assert.strictEqual(ind.indicator, 'unembedding-cosine');
    assert.strictEqual(ind.reference.source, 'bootstrap-lowest-norm');
    assert.strictEqual(ind.categoryCounts.Unreachable, 0);
    assert.strictEqual(ind.categoryCounts.Byte, 256);
    const found = Array.from(ind.candidates.subarray(0, 12));
    assert.deepStrictEqual([...found].sort((a, b) => a - b), [...planted].sort((a, b) => a - b));
    const trained = [300, 301, 302, 400, 500].filter((id) => !planted.has(id));
    const progress: number[] = [];
    const streamed: TokenVerification[] = [];
    const report = await verifyCandidatesByPrompting(file, [...found.slice(0, 6), ...trained, 99999], {
      prompts: QUICK_PROMPTS,
      onProgress: (f) => progress.push(f),
      onResult: (r) => streamed.push(r),
    });
    assert.deepStrictEqual(report.skipped, [99999]);
    assert.strictEqual(report.results.length, 6 + trained.length);
    assert.deepStrictEqual(streamed, report.results);
    assert.strictEqual(progress.at(-1), 1);
    for (const r of report.results) {
      assert.strictEqual(r.prompts.length, 3);
      assert.ok(r.prompts.every((p) => p.probabilities.length === 3 && p.generated.length === 3));
      if (planted.has(r.id)) {
        assert.strictEqual(r.verdict, 'under-trained', `planted ${r.id}: max p ${r.maxProbability}`);
        assert.ok(r.maxProbability < 0.01);
      } else {
        assert.strictEqual(r.verdict, 'trained', `trained ${r.id}: max p ${r.maxProbability}`);
        // The "repeats" prompt ends on the token itself; this model repeats it.
        assert.strictEqual(r.prompts[2]!.generated[0], r.id);
      }
    }
  });

  it('the paper prompts (20 / 0 / 50 examples) give the same verdicts', async () => {
    const ids = [[...planted][0]!, 300 + (planted.has(300) ? 1 : 0)];
    const report = await verifyCandidatesByPrompting(file, ids, { prompts: PAPER_PROMPTS });
    assert.deepStrictEqual(
      report.results.map((r) => r.verdict),
      ['under-trained', 'trained'],
    );
  });

  it('an AbortSignal stops between evaluations (AbortError); results so far were streamed', async () => {
    const ac = new AbortController();
    const streamed: TokenVerification[] = [];
    await assert.rejects(
      verifyCandidatesByPrompting(file, [300, 301, 302, 303, 304, 305], {
        prompts: QUICK_PROMPTS,
        signal: ac.signal,
        onResult: (r) => {
          streamed.push(r);
          ac.abort();
        },
      }),
      (e: unknown) => isAbortError(e),
    );
    assert.strictEqual(streamed.length, 1);
    await assert.rejects(verifyCandidatesByPrompting(file, [300], { signal: AbortSignal.abort() }), (e: unknown) => isAbortError(e));
  });

  it('the shipped trained model: candidates repeat far less than frequent tokens', async function () {
    const model = SHIPPED_MODEL;
    assert.ok(fs.existsSync(model), `the shipped model is missing: ${model}`);
    const ind = await computeGlitchIndicator(model);
    const tok = GgufTokenizer.load(model);
    const frequent = [...new Set(tok.encode('function return const value = this.items.length; if (x) { return 0; }'))].slice(0, 6);
    const candidates = Array.from(ind.candidates.subarray(0, 6));
    const report = await verifyCandidatesByPrompting(model, [...candidates, ...frequent], { prompts: QUICK_PROMPTS });
    const mean = (ids: number[]): number => {
      const rs = report.results.filter((r) => ids.includes(r.id));
      return rs.reduce((s, r) => s + r.maxProbability, 0) / Math.max(1, rs.length);
    };
    console.log(
      `      ${ind.indicator} (${ind.tied ? 'tied' : 'untied'}): candidates mean max p ${mean(candidates).toFixed(4)}, frequent tokens ${mean(frequent).toFixed(4)}; verdicts ${report.results
        .map((r) => `${r.id}:${r.verdict}`)
        .join(' ')}`,
    );
    assert.ok(mean(candidates) < mean(frequent), 'candidates should be repeated less than frequent tokens');
  });
});
