import * as assert from 'assert';
import { OPENAI_MODELS, formatShare, formatUsd, usage } from '../../../../src/core/pricing/models';

describe('core/pricing/models', () => {
  it('computes the context share and input cost', () => {
    const gpt4o = OPENAI_MODELS.find((m) => m.name === 'gpt-4o')!;
    const u = usage(gpt4o, 64_000);
    assert.strictEqual(u.share, 0.5);
    assert.ok(Math.abs(u.costUsd! - 0.16) < 1e-9);
    const oss = OPENAI_MODELS.find((m) => m.name === 'gpt-oss-20b')!;
    assert.strictEqual(usage(oss, 10).costUsd, undefined, 'open-weight models have no price');
  });

  it('formats small and large amounts readably', () => {
    assert.strictEqual(formatUsd(0), '$0');
    assert.strictEqual(formatUsd(0.00001), '<$0.0001');
    assert.strictEqual(formatUsd(0.0031), '$0.0031');
    assert.strictEqual(formatUsd(1.254), '$1.25');
    assert.strictEqual(formatUsd(1234.5), '$1,235');
    assert.strictEqual(formatShare(0.0004), '<0.1%');
    assert.strictEqual(formatShare(0.05), '5.0%');
    assert.strictEqual(formatShare(0.5), '50%');
    assert.match(formatShare(1.5), /over the window/);
  });

  it('has a context window and an encoding for every model', () => {
    for (const m of OPENAI_MODELS) assert.ok(m.contextWindow > 1000 && m.encoding, m.name);
  });
});
