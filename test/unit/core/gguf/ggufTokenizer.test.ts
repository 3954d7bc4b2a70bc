import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { isTokenscopeError } from '../../../../src/common/errors';
import { GgufTokenizer } from '../../../../src/core/tokenizer/gguf/ggufTokenizer';
import { TokenAttr, UnsupportedVocabError, type UnsupportedVocabFeature } from '../../../../src/core/tokenizer/gguf/ggufVocab';
import { writeGguf, type KvValue } from './ggufWriter';
import { SUPPORTED_WITH_VECTORS, ensureVocabs, readVectors, vocabPath } from './vocabFixtures';

const utf8 = new TextEncoder();

function sameIds(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const tokenizers = new Map<string, GgufTokenizer>();
function tokenizer(name: string): GgufTokenizer {
  let t = tokenizers.get(name);
  if (!t) tokenizers.set(name, (t = GgufTokenizer.load(vocabPath(name))));
  return t;
}

/** Drops the loaded tokenizers (tens of MB each) so later suites do not run against a bloated heap. */
function releaseTokenizers(): void {
  for (const t of tokenizers.values()) t.dispose();
  tokenizers.clear();
}

describe('core/gguf: tokenizer vs llama.cpp test vectors', function () {
  this.timeout(120000);
  before(async () => {
    await ensureVocabs();
  });
  after(releaseTokenizers);

  for (const name of SUPPORTED_WITH_VECTORS) {
    it(`${name}: every vector of ggml-vocab-${name}.gguf.inp/.out`, () => {
      const tok = tokenizer(name);
      const vectors = readVectors(name);
      assert.ok(vectors.length >= 40, `${name}: only ${vectors.length} vectors`);
      const failures: string[] = [];
      for (const v of vectors) {
        const got = tok.encode(v.text);
        if (!sameIds(got, v.ids)) {
          failures.push(`text ${JSON.stringify(v.text)}\n    expected ${v.ids.join(' ')}\n    actual   ${Array.from(got).join(' ')}`);
        }
        assert.strictEqual(tok.count(v.text), got.length);
      }
      assert.ok(failures.length === 0, `${name}: ${failures.length} of ${vectors.length} vectors differ:\n  ${failures.join('\n  ')}`);
    });
  }
});

describe('core/gguf: tokenizer behaviour', function () {
  this.timeout(120000);
  before(async () => {
    await ensureVocabs();
  });
  after(releaseTokenizers);

  it('reports the vocab type, pre type, size and special / FIM ids', () => {
    const sc = tokenizer('starcoder');
    assert.strictEqual(sc.modelType, 'bpe');
    assert.strictEqual(sc.preType, 'starcoder');
    assert.strictEqual(sc.vocabSize, 49152);
    assert.strictEqual(sc.name, 'gguf:ggml-vocab-starcoder.gguf');
    // starcoder's GGUF names no FIM ids; llama.cpp finds them by text
    assert.deepStrictEqual([sc.fimPrefixId, sc.fimSuffixId, sc.fimMiddleId], [1, 3, 2]);
    assert.strictEqual(sc.special.fimPad, 4);
    assert.strictEqual(sc.special.fimRep, undefined); // "<repo_name>" is not one of llama.cpp's names
    const dc = tokenizer('deepseek-coder');
    assert.deepStrictEqual([dc.bosId, dc.eosId, dc.fimPrefixId, dc.fimSuffixId, dc.fimMiddleId], [32013, 32014, 32016, 32015, 32017]);
    const q = tokenizer('qwen2');
    assert.strictEqual(q.special.eot, 151645); // <|im_end|>, found by text
    const spm = tokenizer('llama-spm');
    assert.strictEqual(spm.modelType, 'spm');
    assert.strictEqual(spm.preType, 'default');
    assert.deepStrictEqual([spm.bosId, spm.eosId, spm.special.unk], [1, 2, 0]);
  });

  it('turns lone surrogates into U+FFFD, as TextEncoder and llama.cpp do', () => {
    for (const name of ['qwen2', 'llama-spm', 'deepseek-llm']) {
      const tok = tokenizer(name);
      for (const [bad, good] of [['a\ud800b', 'a\ufffdb'], ['\udc00', '\ufffd'], ['x\udbff', 'x\ufffd'], ['\ud83d\ude42\ude42', '🙂\ufffd']]) {
        assert.deepStrictEqual(tok.encode(bad!), tok.encode(good!), `${name} ${JSON.stringify(bad)}`);
      }
    }
  });

  it('splits out user-defined tokens even without special-token parsing, but not control tokens', () => {
    const dc = tokenizer('deepseek-coder');
    // "õ" and "<|EOT|>" are user-defined in DeepSeek Coder's vocab; "<｜begin▁of▁sentence｜>" is control
    assert.deepStrictEqual(Array.from(dc.encode('õ')), [32000]);
    assert.ok(dc.encode('a<|EOT|>b').includes(32021));
    assert.ok(!dc.encode('<｜begin▁of▁sentence｜>').includes(32013));
    // MPT's runs of spaces are user-defined tokens, longest first
    const mpt = tokenizer('mpt');
    const ids = Array.from(mpt.encode('a' + ' '.repeat(30) + 'b'));
    assert.ok(ids.length <= 5, `30 spaces took ${ids.length - 2} tokens`);
  });

  it('decodes its own tokens back to the UTF-8 of the text (SPM: plus the prefix space)', () => {
    const text = 'Hello, wörld! 🙂 中文\n\tcode(x) => x ** 2; // ½ — “quotes”';
    for (const name of SUPPORTED_WITH_VECTORS) {
      const tok = tokenizer(name);
      const expected = tok.modelType === 'spm' ? ` ${text}` : text;
      assert.deepStrictEqual(tok.decodeBytes(tok.encode(text)), utf8.encode(expected), name);
    }
    const spm = tokenizer('llama-spm');
    assert.deepStrictEqual(spm.tokenBytes(13), Uint8Array.of(0x0a)); // <0x0A>
    assert.deepStrictEqual(spm.tokenBytes(1), utf8.encode('<s>')); // control: its text
    const gpt2 = tokenizer('gpt-2');
    assert.deepStrictEqual(gpt2.tokenBytes(gpt2.encode(' Hello')[0]!), utf8.encode(' Hello'));
    assert.strictEqual(gpt2.tokenBytes(-1).length, 0);
    assert.strictEqual(gpt2.tokenBytes(1e9).length, 0);
  });

  it("every normal token's piece, read from its stored bytes, equals the piece decoded from its text (every vocabulary)", () => {
    // the reference is the text path the pieces table used before: stored text → characters →
    // GPT-2 byte alphabet (BPE), or "▁" → space, UTF-8 (SPM)
    const alphabet = new Map<number, number>();
    for (let b = 0, next = 256; b < 256; b++) {
      const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
      alphabet.set(printable ? b : next++, b);
    }
    const fromText = (tok: GgufTokenizer, id: number): Uint8Array | undefined => {
      const text = tok.vocab.text(id);
      if (tok.modelType === 'spm') return utf8.encode(text.replaceAll('\u2581', ' '));
      const out: number[] = [];
      for (const ch of text) {
        const b = alphabet.get(ch.codePointAt(0)!);
        if (b === undefined) return undefined; // outside the alphabet: llama.cpp's marker, same code on both paths
        out.push(b);
      }
      return Uint8Array.from(out);
    };
    let compared = 0;
    for (const name of SUPPORTED_WITH_VECTORS) {
      const tok = tokenizer(name);
      for (let id = 0; id < tok.vocabSize; id++) {
        if (!(tok.vocab.attrs[id]! & TokenAttr.Normal) || tok.vocab.attrs[id]! & (TokenAttr.Unknown | TokenAttr.Control | TokenAttr.UserDefined)) continue;
        const expected = fromText(tok, id);
        if (!expected) continue;
        assert.deepStrictEqual(tok.tokenBytes(id), expected, `${name} token ${id} ${JSON.stringify(tok.vocab.text(id))}`);
        compared++;
      }
    }
    assert.ok(compared > 500_000, `${compared} tokens compared`);
  });

  it("renders the pieces of odd tokens in llama.cpp's way: empty, malformed UTF-8, a leading BOM, outside the byte alphabet, control, byte", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tokenscope-pieces-'));
    try {
      // "@@" is patched to the malformed bytes FF 40 after writing (the writer takes strings)
      const write = (file: string, kv: Array<[string, KvValue]>): void => {
        writeGguf(file, { kv });
        const b = fs.readFileSync(file);
        const at = b.indexOf('@@');
        assert.ok(at > 0 && b.indexOf('@@', at + 1) < 0);
        b[at] = 0xff;
        fs.writeFileSync(file, b);
      };
      const bpeFile = path.join(dir, 'bpe.gguf');
      const bpeTokens = ['a', 'b', 'ab', '\u0120hi', '', '中', '\ufeffx', '@@', '\u010a', '<|end|>'];
      write(bpeFile, [
        ['tokenizer.ggml.model', { type: 'string', value: 'gpt2' }],
        ['tokenizer.ggml.pre', { type: 'string', value: 'gpt-2' }],
        ['tokenizer.ggml.tokens', { type: 'array', elementType: 'string', value: bpeTokens }],
        ['tokenizer.ggml.token_type', { type: 'array', elementType: 'i32', value: [1, 1, 1, 1, 1, 1, 1, 1, 1, 3] }],
        ['tokenizer.ggml.merges', { type: 'array', elementType: 'string', value: ['a b'] }],
      ]);
      const bpe = GgufTokenizer.load(bpeFile);
      const unk = (hex: string, text: string): string => `[UNK_BYTE_0x${hex}${text}]`;
      const bpeExpected = ['a', 'b', 'ab', ' hi', '[EMPTY_4]', unk('e4b8ad', '中'), unk('efbbbf', '\ufeffx') + 'x', unk('efbfbd', '\ufffd@') + '@', '\n', '<|end|>'];
      bpeExpected.forEach((text, id) => assert.deepStrictEqual(bpe.tokenBytes(id), utf8.encode(text), `BPE token ${id}`));

      const spmFile = path.join(dir, 'spm.gguf');
      const spmTokens = ['<unk>', '<s>', '</s>', '\u2581hi', '\u2581', '@@', '<0x0A>', '', '\ufeff\u2581', 'a\u2581\u2581b'];
      write(spmFile, [
        ['tokenizer.ggml.model', { type: 'string', value: 'llama' }],
        ['tokenizer.ggml.tokens', { type: 'array', elementType: 'string', value: spmTokens }],
        ['tokenizer.ggml.scores', { type: 'array', elementType: 'f32', value: spmTokens.map((_, i) => -i) }],
        ['tokenizer.ggml.token_type', { type: 'array', elementType: 'i32', value: [2, 3, 3, 1, 1, 1, 6, 1, 1, 1] }],
      ]);
      const spm = GgufTokenizer.load(spmFile);
      const spmExpected = [utf8.encode('<unk>'), utf8.encode('<s>'), utf8.encode('</s>'), utf8.encode(' hi'), utf8.encode(' '), utf8.encode('\ufffd@'), Uint8Array.of(0x0a), utf8.encode('[EMPTY_7]'), Uint8Array.of(0xef, 0xbb, 0xbf, 0x20), utf8.encode('a  b')];
      spmExpected.forEach((bytes, id) => assert.deepStrictEqual(spm.tokenBytes(id), bytes, `SPM token ${id}`));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('encodes the empty string to nothing and counts like encode', () => {
    for (const name of ['qwen2', 'llama-spm']) {
      const tok = tokenizer(name);
      assert.strictEqual(tok.encode('').length, 0);
      assert.strictEqual(tok.count(''), 0);
      const t = 'const x = 42;\n'.repeat(50);
      assert.strictEqual(tok.count(t), tok.encode(t).length);
    }
  });
});

describe('core/gguf: unsupported vocabularies', function () {
  const dirs: string[] = [];
  before(async () => {
    await ensureVocabs();
  });
  after(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  function assertUnsupported(file: string, feature: UnsupportedVocabFeature, value: string): void {
    assert.throws(
      () => GgufTokenizer.load(file),
      (e: unknown) => {
        assert.ok(e instanceof UnsupportedVocabError, `expected UnsupportedVocabError, got ${String(e)}`);
        assert.ok(isTokenscopeError(e, 'gguf-unsupported'));
        assert.strictEqual(e.feature, feature);
        assert.strictEqual(e.value, value);
        assert.ok(e.message.includes(`'${value}'`), e.message);
        return true;
      },
    );
  }

  it('rejects WordPiece, Unigram and Gemma 4 vocab files naming the tokenizer model', () => {
    assertUnsupported(vocabPath('bert-bge'), 'model', 'bert');
    assertUnsupported(vocabPath('nomic-bert-moe'), 'model', 't5');
    assertUnsupported(vocabPath('gemma-4'), 'model', 'gemma4');
  });

  it('rejects pre-tokenizer types it does not reproduce, naming them', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tokenscope-gguf-'));
    dirs.push(dir);
    const vocab = (model: string, pre: string): Array<[string, KvValue]> => [
      ['tokenizer.ggml.model', { type: 'string', value: model }],
      ['tokenizer.ggml.pre', { type: 'string', value: pre }],
      ['tokenizer.ggml.tokens', { type: 'array', elementType: 'string', value: ['a', 'b', 'ab'] }],
      ['tokenizer.ggml.token_type', { type: 'array', elementType: 'i32', value: [1, 1, 1] }],
      ['tokenizer.ggml.merges', { type: 'array', elementType: 'string', value: ['a b'] }],
    ];
    const file = path.join(dir, 'v.gguf');
    for (const pre of ['tekken', 'gpt-4o', 'kimi-k2', 'no-such-pre']) {
      writeGguf(file, { kv: vocab('gpt2', pre) });
      assertUnsupported(file, 'pre-tokenizer', pre);
    }
    for (const model of ['rwkv', 'plamo2', 'whatever']) {
      writeGguf(file, { kv: vocab(model, 'default') });
      assertUnsupported(file, 'model', model);
    }
    // a supported synthetic vocab works: "ab" merges
    writeGguf(file, { kv: vocab('gpt2', 'gpt-2') });
    assert.deepStrictEqual(Array.from(GgufTokenizer.load(file).encode('abba')), [2, 1, 0]);
  });
});
