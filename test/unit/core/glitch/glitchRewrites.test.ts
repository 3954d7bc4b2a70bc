import * as assert from 'assert';
import { showTokens } from '../../../../src/core/glitch/glitchRewrites';

/** How a glitch quick fix shows tokens in its title. */
describe('core/glitch: quick-fix token previews', () => {
  const pieces = ['<|', 'endoftext', '|>', ' foo', '\u200bbar', 'a\u200d'];
  const tok = { tokenBytes: (id: number): Uint8Array => new TextEncoder().encode(pieces[id]) };

  it('separates tokens with a bar that special-token text cannot contain', () => {
    assert.strictEqual(showTokens(tok, [0, 1, 2]), '<|│endoftext│|>');
    assert.ok(!showTokens(tok, [0, 1, 2]).includes('||'));
  });

  it('shows spaces and names zero-width characters instead of escaping them', () => {
    assert.strictEqual(showTokens(tok, [3, 4, 5]), '·foo│⟨ZWSP⟩bar│a⟨ZWJ⟩');
  });
});
