import * as assert from 'assert';
import { runSteps, runStepsPaused, type Steps } from '../../../src/common/steps';

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
});
