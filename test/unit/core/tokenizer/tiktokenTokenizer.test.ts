import * as assert from 'assert';
import { TiktokenTokenizer } from '../../../../src/core/tokenizer/tiktokenTokenizer';
import { TokenizerRegistry } from '../../../../src/core/tokenizer/tokenizerRegistry';
import type { Tokenizer } from '../../../../src/core/tokenizer/tokenizer';

const utf8 = new TextDecoder('utf-8');

describe('core/tokenizer: tiktoken encodings', () => {
  let o200k: TiktokenTokenizer;
  before(() => (o200k = new TiktokenTokenizer('o200k_base')));
  after(() => o200k.dispose());

  it('splits digits left to right in runs of three', () => {
    const ids = o200k.encode('1234567');
    const pieces = Array.from(ids, (id) => utf8.decode(o200k.decodeBytes([id])));
    assert.deepStrictEqual(pieces, ['123', '456', '7']);
  });

  it('encodes <|endoftext|> as ordinary text, never as the special token', () => {
    const ids = o200k.encode('a <|endoftext|> b');
    assert.ok(ids.length > 3, `expected the special-token string to be several tokens, got ${ids.length}`);
    assert.ok(!Array.from(ids).includes(199999), 'o200k <|endoftext|> id 199999 must not appear');
    assert.strictEqual(utf8.decode(o200k.decodeBytes(ids)), 'a <|endoftext|> b');
  });

  it('round-trips multilingual text and counts what it encodes', () => {
    const text = 'héllo wörld — 你好世界 🙂👩‍👩‍👧 \r\n\tend  ';
    const ids = o200k.encode(text);
    assert.strictEqual(o200k.count(text), ids.length);
    assert.strictEqual(utf8.decode(o200k.decodeBytes(ids)), text);
  });

  it('gives different counts per encoding for the same text (they are really different tables)', () => {
    const reg = new TokenizerRegistry((n) => new TiktokenTokenizer(n));
    try {
      const text = '    for (let i = 0; i < n; i++) {\n        total += values[i];\n    }\n';
      const counts = (['o200k_base', 'cl100k_base', 'r50k_base'] as const).map((n) => reg.get(n).count(text));
      assert.ok(counts[2]! > counts[0]!, `r50k (no whitespace merges) should need more tokens: ${counts.join(', ')}`);
    } finally {
      reg.dispose();
    }
  });

  it('registry creates an encoding once and disposes it', () => {
    const created: string[] = [];
    const disposed: string[] = [];
    const reg = new TokenizerRegistry((name) => {
      created.push(name);
      const t = new TiktokenTokenizer(name);
      return {
        name,
        encode: (s) => t.encode(s),
        count: (s) => t.count(s),
        decodeBytes: (ids) => t.decodeBytes(ids),
        dispose: () => {
          disposed.push(name);
          t.dispose();
        },
      } satisfies Tokenizer;
    });
    reg.get('p50k_base');
    reg.get('p50k_base');
    assert.deepStrictEqual(created, ['p50k_base']);
    reg.dispose();
    assert.deepStrictEqual(disposed, ['p50k_base']);
  });

  it('refuses to work after disposal instead of touching freed WASM memory', () => {
    const t = new TiktokenTokenizer('r50k_base');
    t.dispose();
    assert.throws(() => t.encode('x'), /disposed/);
  });
});
