import * as assert from 'assert';
import { DraftController, profitableDraftLength, VerifyCosts } from '../../../../src/core/completion/speculate/draftController';
import type { Drafter } from '../../../../src/core/completion/speculate/drafter';
import { PromptLookupDrafter } from '../../../../src/core/completion/speculate/promptLookup';
import { TokenRecyclingDrafter } from '../../../../src/core/completion/speculate/tokenRecycling';

/** Drafters and the draft controller on hand-made token sequences (every answer checkable by hand). */
describe('core/completion/speculate: drafters and the draft controller', () => {
  it('prompt lookup: what followed the most recent match of the longest n-gram', () => {
    const d = new PromptLookupDrafter();
    // … 1 2 3 [4 5 6] … 9 1 2 3 → 4 5 6
    assert.deepStrictEqual(d.propose([1, 2, 3, 4, 5, 6, 7, 9, 1, 2, 3], 3), { tokens: [4, 5, 6], confidence: 3 });
    // the most recent of two matches wins
    assert.deepStrictEqual(d.propose([5, 1, 7, 7, 5, 1, 8, 8, 5, 1], 2).tokens, [8, 8]);
    // no earlier occurrence of even the last token: nothing
    assert.deepStrictEqual(d.propose([1, 2, 3], 4).tokens, []);
    // k bounds the draft; it never runs past the history's end
    assert.deepStrictEqual(d.propose([1, 2, 1], 5).tokens, [2, 1]);
  });

  it('prompt lookup: extra sources (another document, the last suggestion) when the history has no match', () => {
    const d = new PromptLookupDrafter();
    d.setSources([[40, 41, 42, 43, 44]]);
    assert.deepStrictEqual(d.propose([9, 8, 41, 42], 2), { tokens: [43, 44], confidence: 2 });
    d.setSources([]);
    assert.deepStrictEqual(d.propose([9, 8, 41, 42], 2).tokens, []);
  });

  it('token recycling: drafts the chain of the latest successors, stops at a cycle, stays within its bound', () => {
    const r = new TokenRecyclingDrafter(3);
    r.observe(1, 2);
    r.observe(2, 3);
    r.observe(3, 1);
    assert.deepStrictEqual(r.propose([7, 1], 8).tokens, [2, 3, 1]);
    // a newer successor replaces the first choice
    r.observe(2, 9);
    assert.deepStrictEqual(r.propose([1], 2).tokens, [2, 9]);
    // a fourth row evicts the least recently touched one (1 → 2; 2 was touched after 3)
    r.observe(5, 6);
    assert.strictEqual(r.rows, 3);
    assert.deepStrictEqual(r.propose([1], 2).tokens, []);
    assert.deepStrictEqual(r.propose([3], 1).tokens, [1]);
    // 2 MB bound of the default table: 65,536 rows of at most 4 successors
    const big = new TokenRecyclingDrafter();
    for (let t = 0; t < 200_000; t++) for (let s = 0; s < 6; s++) big.observe(t, t + s);
    assert.ok(big.rows <= 65_536 && big.approxBytes <= 65_536 * 5 * 8, `${big.rows} rows, ${big.approxBytes} bytes`);
  });

  it('profitable draft length: none below the break-even acceptance, longer drafts as acceptance rises', () => {
    assert.strictEqual(profitableDraftLength(0.3, 12), 0);
    const high = profitableDraftLength(0.95, 12);
    assert.ok(high >= 6, `${high}`);
    assert.ok(profitableDraftLength(0.85, 12) <= high);
    // with cheap verification (a large model) even moderate acceptance pays
    assert.ok(profitableDraftLength(0.6, 16, (k) => 1 + 0.6 * k) === 0);
    assert.ok(profitableDraftLength(0.6, 16, (k) => 1 + 0.05 * k) > 0);
  });

  it('measured costs: a batch length measured is used as is, others extrapolated', () => {
    const c = new VerifyCosts();
    assert.strictEqual(c.steps(4), 1.35 + 0.45 * 4);
    c.recordPlain(10);
    c.recordBatch(4, 20);
    assert.strictEqual(c.steps(4), 2);
    assert.ok(Math.abs(c.steps(6) - (2 + 0.45 * 2)) < 1e-9);
  });

  it('verification costs follow the engine prior where a draft length is not measured yet', () => {
    const c = new VerifyCosts();
    // prior: plain step 2 ms, any batch of k drafts 6 + k ms (a padded batch: flat, plus outputs)
    c.setPrior((k) => (k === 0 ? 2 : 6 + k));
    // nothing measured: the prior's own plain step is the unit
    assert.strictEqual(c.steps(4), 5);
    c.recordPlain(4);
    assert.strictEqual(c.steps(4), 2.5);
    // a measured length scales the prior for its neighbours (measured 20 ms where the prior said 10)
    c.recordBatch(4, 20);
    assert.strictEqual(c.steps(4), 5);
    assert.strictEqual(c.steps(8), (14 * 2) / 4);
  });

  it('the controller drops a drafter whose drafts fail, probes it now and then, and keeps one that holds', async () => {
    const always = (tokens: number[]): Drafter => ({ name: 'fixed', propose: () => ({ tokens, confidence: 1 }) });
    const c = new DraftController([always([1, 2, 3, 4, 5, 6, 7, 8])], 8, 4);
    c.costs.recordPlain(1);
    for (let k = 1; k <= 8; k++) c.costs.recordBatch(k, 1 + 0.1 * k);
    const first = await c.propose([0]);
    assert.ok(first && first.tokens.length > 0, 'a neutral start with cheap batches drafts');
    for (let i = 0; i < 20; i++) c.record(first, 0);
    let asked = 0;
    let drafted = 0;
    for (let i = 0; i < 16; i++, asked++) if (await c.propose([0])) drafted++;
    assert.ok(drafted > 0 && drafted <= asked / 4, `after failures: ${drafted} of ${asked} steps drafted (probes only)`);
    const g = { drafter: 'fixed', bucket: 'fixed:1', tokens: [1, 2, 3, 4] };
    for (let i = 0; i < 20; i++) c.record(g, 4);
    assert.ok(((await c.propose([0]))?.tokens.length ?? 0) >= 4, 'after success: long drafts again');
    assert.deepStrictEqual(c.snapshot()['fixed']!.batches, 40);
  });
});
