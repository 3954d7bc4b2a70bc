import * as assert from 'assert';
import { findLongNumbers, groupThousands } from '../../../../src/core/prompt/longNumbers';

describe('core/prompt/longNumbers', () => {
  it('groups digits in threes from the right', () => {
    assert.strictEqual(groupThousands('1234567'), '1,234,567');
    assert.strictEqual(groupThousands('12345'), '12,345');
    assert.strictEqual(groupThousands('123'), '123');
    assert.strictEqual(groupThousands('1000000', '_'), '1_000_000');
  });

  it('finds long plain integers, not identifiers, fractions, years or grouped numbers', () => {
    const text = 'pay 1234567 now; id abc12345 and 12345abc; pi 3.14159; year 2024; 1,234567 done; (98765)';
    assert.deepStrictEqual(
      findLongNumbers(text).map((n) => n.digits),
      ['1234567', '98765'],
    );
    const [first] = findLongNumbers('x 123456');
    assert.deepStrictEqual(first, { start: 2, end: 8, digits: '123456' });
  });
});
