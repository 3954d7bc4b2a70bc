import * as assert from 'assert';
import { ErrorCountingLogger, MemoryLogger, withComponent } from '../../../src/common/logger';

describe('common/logger', () => {
  it('prefixes messages with the component', () => {
    const mem = new MemoryLogger();
    const log = withComponent(mem, 'tokenCount');
    log.info('hello');
    log.error(new Error('bad'));
    assert.strictEqual(mem.lines[0]?.message, '[tokenCount] hello');
    assert.match(mem.lines[1]?.message ?? '', /^\[tokenCount\] Error: bad/);
  });
});

describe('common/logger ErrorCountingLogger', () => {
  it('passes every line on and counts the errors with the last message', () => {
    const mem = new MemoryLogger();
    const log = new ErrorCountingLogger(mem);
    log.info('a');
    log.warn('b');
    assert.deepStrictEqual(log.errors, { count: 0, last: undefined });
    log.error('first');
    log.error(new Error('second'));
    assert.deepStrictEqual(log.errors, { count: 2, last: 'second' });
    assert.deepStrictEqual(log.warnings, { count: 1, last: 'b', recent: ['b'] });
    assert.deepStrictEqual(mem.lines.map((l) => l.level), ['info', 'warn', 'error', 'error']);
  });
});
