import * as assert from 'assert';
import * as path from 'path';
import { BackgroundTokenizer } from '../../../../src/core/tokenizer/backgroundTokenizer';
import { DocumentTokens } from '../../../../src/core/tokenizer/documentTokens';
import { GgufTokenizer } from '../../../../src/core/tokenizer/gguf/ggufTokenizer';
import { concat, jsCorpus, multilingualCorpus, REPO_ROOT } from '../../../corpus';
import { SHIPPED_MODEL } from '../backend/localFixtures';
import { RANKS_DIR, fastTokenizer, tiktokenOracle } from './oracle';

// The compiled worker entry next to the compiled sources (out/src/...).
const WORKER = path.resolve(__dirname, '../../../../src/core/tokenizer/tokenizeWorker.js');

describe('core/tokenizer/backgroundTokenizer', function () {
  this.timeout(120000);
  let bg: BackgroundTokenizer;
  before(() => (bg = new BackgroundTokenizer(WORKER, RANKS_DIR)));
  after(() => bg.dispose());

  it('tokenizes in a worker exactly as on the main thread, with progress', async () => {
    const text = concat(jsCorpus(3_000_000)) + concat(multilingualCorpus(30_000));
    const progress: number[] = [];
    const arrays = await bg.tokenize('o200k_base', text, { onProgress: (d) => progress.push(d) });
    const tok = fastTokenizer('o200k_base');
    const doc = DocumentTokens.fromBlockArrays(tok, text, arrays);
    doc.checkInvariants();
    assert.deepStrictEqual(doc.ids(), tok.encode(text));
    assert.strictEqual(doc.getText(), text);
    assert.ok(progress.length >= 5, `progress reported ${progress.length} times`);
    assert.ok(progress.every((p, i) => i === 0 || p > progress[i - 1]!), 'progress increases');
  });

  it('keeps the calling thread free: a 10 ms timer keeps firing while 20 MB are tokenized', async () => {
    const text = concat(jsCorpus(2_000_000)).repeat(10);
    const gaps: number[] = [];
    let took = 0;
    let last = performance.now();
    const timer = setInterval(() => {
      const now = performance.now();
      gaps.push(now - last);
      last = now;
    }, 10);
    try {
      const t0 = performance.now();
      await bg.tokenize('cl100k_base', text);
      took = performance.now() - t0;
      assert.ok(took > 100, `20 MB took only ${took} ms; the test would prove nothing`);
    } finally {
      clearInterval(timer);
    }
    const worst = Math.max(...gaps);
    // On this thread the whole tokenization would be one stall; posting 20 MB to the worker is one
    // copy. Relative to the work's duration, so a loaded machine does not make it flaky.
    assert.ok(worst < took * 0.25, `the event loop stalled for ${worst.toFixed(0)} ms of ${took.toFixed(0)} ms`);
    assert.ok(gaps.length > 10);
  });

  it('cancels a running request with an AbortError and serves the next one', async () => {
    const text = concat(jsCorpus(2_000_000)).repeat(5);
    const ac = new AbortController();
    const p = bg.tokenize('o200k_base', text, { signal: ac.signal, onProgress: () => ac.abort() });
    await assert.rejects(p, (e: Error) => e.name === 'AbortError');
    const small = await bg.tokenize('o200k_base', 'still working');
    assert.strictEqual(small.ids.length, fastTokenizer('o200k_base').count('still working'));
  });

  it('encodes with tiktoken (WASM) in the worker: the reference agrees with the fast engine, harmony too', async () => {
    const text = concat(multilingualCorpus(20_000)) + ' <|endoftext|> <|channel|>';
    for (const enc of ['o200k_harmony', 'cl100k_base'] as const) {
      const ref = await bg.referenceEncode(enc, text);
      assert.deepStrictEqual(ref.ids, tiktokenOracle(enc).encode(text));
      assert.deepStrictEqual(ref.ids, fastTokenizer(enc).encode(text));
      assert.ok(ref.ms >= 0);
    }
  });

  it('counts in the worker', async () => {
    const text = concat(jsCorpus(600_000));
    assert.strictEqual(await bg.count('p50k_base', text), fastTokenizer('p50k_base').count(text));
  });

  it("counts with a GGUF model's own tokenizer in the worker, as on the main thread; a missing file is an error", async () => {
    const text = concat(jsCorpus(300_000)) + concat(multilingualCorpus(20_000));
    const model = GgufTokenizer.load(SHIPPED_MODEL);
    assert.strictEqual(await bg.modelCount(SHIPPED_MODEL, text), model.count(text));
    assert.strictEqual(await bg.modelCount(SHIPPED_MODEL, 'def f(x):\n    return x\n'), model.count('def f(x):\n    return x\n'));
    await assert.rejects(bg.modelCount(path.join(REPO_ROOT, 'no-such-model.gguf'), 'x'), /no-such-model/);
  });

  it('reports a bad encoding as an error, not a crash', async () => {
    await assert.rejects(bg.tokenize('nope' as never, 'x'), /unknown encoding/);
  });
});
