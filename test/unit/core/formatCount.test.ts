import * as assert from 'assert';
import { formatCharsPerToken, formatCount } from '../../../src/core/format/formatCount';

describe('core/format', () => {
  it('groups thousands', () => {
    assert.strictEqual(formatCount(0), '0');
    assert.strictEqual(formatCount(999), '999');
    assert.strictEqual(formatCount(1234567), '1,234,567');
  });
  it('chars per token, with no tokens', () => {
    assert.strictEqual(formatCharsPerToken(10, 4), '2.5');
    assert.strictEqual(formatCharsPerToken(0, 0), '–');
  });
});
