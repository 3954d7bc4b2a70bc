import * as assert from 'assert';
import { MemoryLogger, withComponent } from '../../../src/common/logger';

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
