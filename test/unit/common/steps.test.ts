import * as assert from 'assert';
import { inRanges, ITEMS_PER_STEP, runSteps, runStepsPaused, type Steps } from '../../../src/common/steps';

/** Three steps that record what ran, including their clean-up. */
function* recorded(log: string[]): Steps<number> {
  try {
    log.push('a');
    yield;
    log.push('b');
    yield;
    log.push('c');
    return 3;
  } finally {
    log.push('finally');
  }
}

describe('common/steps', () => {
  it('runs the steps to the end at once, or with a pause after every step but the last', async () => {
    const whole: string[] = [];
    assert.strictEqual(runSteps(recorded(whole)), 3);
    const paused: string[] = [];
    const value = await runStepsPaused(recorded(paused), () => (paused.push('pause'), Promise.resolve()));
    assert.strictEqual(value, 3);
    assert.deepStrictEqual(whole, ['a', 'b', 'c', 'finally']);
    assert.deepStrictEqual(paused, ['a', 'pause', 'b', 'pause', 'c', 'finally']);
  });

  it('ends the steps (their finally runs) when a pause fails', async () => {
    const log: string[] = [];
    await assert.rejects(runStepsPaused(recorded(log), () => Promise.reject(new Error('no more turns'))), /no more turns/);
    assert.deepStrictEqual(log, ['a', 'finally']);
  });

  it('walks [0, n) in ranges of ITEMS_PER_STEP with a step between two ranges, and stops when a range says so', () => {
    const n = 2 * ITEMS_PER_STEP + 5;
    const seen: Array<[number, number]> = [];
    let pauses = 0;
    const walk = inRanges(n, (from, to) => void seen.push([from, to]));
    let r = walk.next();
    for (; !r.done; r = walk.next()) pauses++;
    assert.strictEqual(r.value, true);
    assert.deepStrictEqual(seen, [[0, ITEMS_PER_STEP], [ITEMS_PER_STEP, 2 * ITEMS_PER_STEP], [2 * ITEMS_PER_STEP, n]]);
    assert.strictEqual(pauses, 2);
    assert.strictEqual(runSteps(inRanges(n, (from) => from === 0)), false);
    assert.strictEqual(runSteps(inRanges(0, () => false)), true);
  });
});
