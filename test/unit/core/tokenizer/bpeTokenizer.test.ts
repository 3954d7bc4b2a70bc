import * as assert from 'assert';
import { jsCorpus, multilingualCorpus, proseCorpus, pythonCorpus, type CorpusFile } from '../../../corpus';
import { ENCODING_NAMES, fastTokenizer, firstDifference, tiktokenOracle } from './oracle';
import { PIECES, Rng, randomText } from './random';

const utf8 = new TextDecoder();

function assertSameIds(name: string, label: string, text: string): void {
  const ours = fastTokenizer(name as never).encode(text);
  const ref = tiktokenOracle(name as never).encode(text);
  const d = firstDifference(ours, ref);
  if (d >= 0) {
    const ctx = utf8.decode(tiktokenOracle(name as never).decodeBytes(ref.slice(Math.max(0, d - 5), d + 5)));
    assert.fail(`${name} ${label}: first difference at token ${d} (ours ${ours[d]}, tiktoken ${ref[d]}) near ${JSON.stringify(ctx)}; ${ours.length} vs ${ref.length} tokens`);
  }
}

describe('core/tokenizer: BpeTokenizer == tiktoken', function () {
  this.timeout(300000);
  let corpora: { label: string; files: CorpusFile[] }[];
  before(() => {
    corpora = [
      { label: 'JS/TS from npm packages', files: jsCorpus(1_500_000) },
      { label: 'Python standard library', files: pythonCorpus(800_000) },
      { label: 'TypeScript diagnostics in 13 languages', files: multilingualCorpus(60_000) },
      { label: 'Python reference docs (prose)', files: proseCorpus(400_000) },
    ];
    const bytes = corpora.map((c) => c.files.reduce((n, f) => n + Buffer.byteLength(f.text), 0));
    // The corpora must really be there: an empty corpus would make the equivalence vacuous.
    assert.ok(bytes[0]! >= 1_500_000, `JS corpus only ${bytes[0]} bytes`);
    assert.ok(bytes[2]! >= 13 * 50_000, `multilingual corpus only ${bytes[2]} bytes`);
    assert.ok(bytes.reduce((a, b) => a + b, 0) >= 2_500_000);
  });

  for (const name of ENCODING_NAMES) {
    describe(name, () => {
      it('gives tiktoken\'s ids on real corpora (code, multilingual, prose), file by file', () => {
        for (const c of corpora) for (const f of c.files) assertSameIds(name, `${c.label}: ${f.name}`, f.text);
      });

      it('gives tiktoken\'s ids on 20,000 random strings of tricky pieces', () => {
        const rng = new Rng(1 + name.length);
        for (let k = 0; k < 20000; k++) assertSameIds(name, `random #${k}`, randomText(rng, 16));
      });

      it('gives tiktoken\'s ids on long single chunks (heap BPE path)', () => {
        const rng = new Rng(99);
        const letters = Array.from({ length: 6000 }, () => String.fromCharCode(97 + rng.int(26))).join('');
        const b64chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
        const b64 = Array.from({ length: 8000 }, () => b64chars[rng.int(64)]).join('');
        const cjk = Array.from({ length: 1500 }, () => String.fromCharCode(0x4e00 + rng.int(2000))).join('');
        for (const [label, text] of [
          ['6,000 random letters', letters],
          ['8 KB of base64', b64],
          ['3,000 spaces then a word', ' '.repeat(3000) + 'x'],
          ['"ab" × 2,000', 'ab'.repeat(2000)],
          ['1,500 random CJK characters', cjk],
          ['punctuation run', '=-+*'.repeat(1000)],
          ['emoji run', '🙂👍🏽🇩🇪'.repeat(300)],
        ] as const) {
          assertSameIds(name, label, text);
        }
      });
    });
  }

  it('encodes special-token strings as text under every encoding', () => {
    for (const name of ENCODING_NAMES) {
      const t = fastTokenizer(name);
      for (const special of ['<|endoftext|>', '<|fim_prefix|>', '<|im_start|>', '<|return|>']) {
        const ids = t.encode(special);
        assert.ok(ids.length > 1, `${name}: ${special} became ${ids.length} token(s)`);
        assert.ok(!Array.from(ids).some((id) => t.isSpecial(id)), `${name}: ${special} produced a special id`);
        assert.strictEqual(utf8.decode(t.decodeBytes(ids)), special);
      }
    }
  });

  it('decodes special ids to their text, o200k_harmony included', () => {
    const h = fastTokenizer('o200k_harmony');
    assert.strictEqual(utf8.decode(h.decodeBytes([200005, 200008])), '<|channel|><|message|>');
    assert.strictEqual(utf8.decode(h.decodeBytes([200018])), '<|endofprompt|>');
    assert.strictEqual(utf8.decode(tiktokenOracle('o200k_harmony').decodeBytes([200006])), '<|start|>');
    assert.throws(() => fastTokenizer('o200k_base').decodeBytes([200006]), RangeError);
  });

  it('has a token that ends inside a multi-byte character, and splits it like tiktoken', () => {
    // o200k splits some rare CJK/emoji sequences into partial UTF-8 tokens; find one in the pieces.
    const t = fastTokenizer('cl100k_base');
    let found = false;
    for (const p of PIECES) {
      for (const id of t.encode(p)) {
        const b = t.tokenBytes(id);
        if (b.length > 0 && !isCompleteUtf8(b)) found = true;
      }
    }
    assert.ok(found, 'expected a partial-UTF-8 token in cl100k for the emoji/CJK pieces');
  });

  it('counts what it encodes', () => {
    const t = fastTokenizer('o200k_base');
    const text = 'héllo wörld — 你好 🙂\r\n\tend  ';
    assert.strictEqual(t.count(text), t.encode(text).length);
  });
});

function isCompleteUtf8(b: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(b);
    return true;
  } catch {
    return false;
  }
}
