import * as assert from 'assert';
import { planBatchShapes, UNPADDED } from '../../../../src/core/backend/local/batchShapes';

/** The padding planner on hand-made cost curves (batchShapes.ts). */
describe('core/backend/local/batchShapes: padding verification batches to the cheapest size', () => {
  // the shape measured on the shipped model: ~1 ms a token below 64, 5.5 ms for 64
  const measured = new Map([
    [1, 2],
    [4, 4],
    [8, 8],
    [16, 18],
    [32, 26],
    [64, 5.5],
    [128, 10],
  ]);

  it('pads to the size that decodes cheapest, never below what is needed', () => {
    const p = planBatchShapes(measured, 0.4);
    assert.strictEqual(p.padTo(1), 1); // 2 ms alone beats 5.5 ms padded
    assert.strictEqual(p.padTo(4), 4);
    assert.strictEqual(p.padTo(6), 6); // 6 ms interpolated: 5.5 padded is not 15% cheaper
    assert.strictEqual(p.padTo(13), 64);
    assert.strictEqual(p.padTo(64), 64);
    assert.strictEqual(p.padTo(100), 100); // 8 ms interpolated between 64 and 128: 128 costs more
  });

  it('estimates a verification as the padded batch plus one output per position', () => {
    const p = planBatchShapes(measured, 0.4);
    assert.strictEqual(p.verifyMs(0), 2 + 0.4);
    assert.strictEqual(p.verifyMs(12), 5.5 + 13 * 0.4);
  });

  it('a curve without a cheaper large size never pads; nothing measured is the identity', () => {
    const linear = planBatchShapes(new Map([1, 4, 16, 64].map((n) => [n, n] as [number, number])), 0);
    for (const n of [1, 3, 13, 40]) assert.strictEqual(linear.padTo(n), n);
    assert.strictEqual(planBatchShapes(new Map(), 0), UNPADDED);
    assert.strictEqual(UNPADDED.padTo(7), 7);
  });

  it('noise does not decide: a size only slightly cheaper is not worth its filler', () => {
    const curve = new Map([[8, 10], [16, 20], [32, 18]]);
    assert.strictEqual(planBatchShapes(curve, 0).padTo(16), 16); // 18 vs 20: inside the default 15% margin
    assert.strictEqual(planBatchShapes(curve, 0, 0).padTo(16), 32); // without a margin it would pad
  });
});
