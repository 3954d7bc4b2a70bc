import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { ENCODINGS } from '../../../../src/core/tokenizer/encodings';
import { RankTable } from '../../../../src/core/tokenizer/rankTable';
import { TokenizerRegistry } from '../../../../src/core/tokenizer/tokenizerRegistry';
import { RANKS_DIR } from './oracle';

describe('core/tokenizer: rank tables built in slices (preload)', () => {
  it('fromTkrSliced pauses between slices and finds every token at the rank fromTkr finds it', async () => {
    const data = fs.readFileSync(path.join(RANKS_DIR, `${ENCODINGS.cl100k_base.rankFile}.tkr`));
    const whole = RankTable.fromTkr(data);
    let pauses = 0;
    const sliced = await RankTable.fromTkrSliced(data, () => (pauses++, Promise.resolve()), 10_000);
    assert.strictEqual(pauses, Math.ceil(whole.size / 10_000));
    assert.strictEqual(sliced.size, whole.size);
    for (let r = 0; r < whole.size; r++) {
      if (!whole.hasRank(r)) continue;
      const b = whole.tokenBytes(r);
      assert.strictEqual(sliced.rankOfBytes(b, 0, b.length), r, `rank ${r}`);
    }
  });

  it('a preloaded encoding is served without creating it again; a get during the preload wins and the preload is dropped', async () => {
    let created = 0;
    let disposed = 0;
    const make = (name: string): { name: string; dispose(): void } & Record<string, unknown> => ({ name, dispose: () => void disposed++ });
    const registry = new TokenizerRegistry(
      (name) => (created++, make(name) as never),
      async (name) => {
        await new Promise((r) => setImmediate(r));
        return make(`${name} sliced`) as never;
      },
    );
    await registry.preload('o200k_base');
    assert.strictEqual(created, 0);
    assert.strictEqual((registry.get('o200k_base') as unknown as { name: string }).name, 'o200k_base sliced');
    const pending = registry.preload('cl100k_base');
    assert.strictEqual((registry.get('cl100k_base') as unknown as { name: string }).name, 'cl100k_base', 'a get does not wait for the preload');
    await pending;
    assert.strictEqual((registry.get('cl100k_base') as unknown as { name: string }).name, 'cl100k_base');
    assert.strictEqual(disposed, 1, 'the preload that lost is disposed');
    registry.dispose();
  });
});
