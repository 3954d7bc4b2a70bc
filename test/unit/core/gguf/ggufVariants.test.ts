/**
 * Real vocabs edited into corner cases that no shipped vector covers, each checked against
 * llama.cpp itself (node-llama-cpp loads the edited file): user-defined tokens with the
 * lstrip / rstrip attributes, SentencePiece's space prefix after a split-out token, overlapping
 * user-defined tokens, and BPE merges whose results are not tokens (llama.cpp then emits the
 * tokens of the single bytes, or drops bytes that have none).
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { GgufFile } from '../../../../src/core/gguf/ggufFile';
import { GgufTokenizer } from '../../../../src/core/tokenizer/gguf/ggufTokenizer';
import { jsCorpus, proseCorpus } from '../../../corpus';
import { PIECES, Rng } from '../tokenizer/random';
import { metadataOf, writeGguf, type KvValue } from './ggufWriter';
import { ensureVocabs, loadLlamaCppFile, vocabPath } from './vocabFixtures';

type Metadata = Map<string, KvValue>;

function arrayOf<T>(kv: Metadata, key: string): T[] {
  const v = kv.get(key);
  assert.ok(v && v.type === 'array', key);
  return v.value as T[];
}

function sameIds(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

describe('core/gguf: edited vocabs vs llama.cpp (partitioning, strip attributes, non-token merges)', function () {
  this.timeout(300000);
  let dir = '';
  before(async () => {
    await ensureVocabs();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tokenscope-gguf-variants-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Writes an edited copy of vocab `name`, then compares on `texts` plus random mixes of `pieces`. */
  async function compareEdited(name: string, edit: (kv: Metadata) => void, pieces: readonly string[], texts: readonly string[]): Promise<void> {
    const kv = metadataOf(GgufFile.open(vocabPath(name)));
    edit(kv);
    const file = path.join(dir, `${name}-edited.gguf`);
    writeGguf(file, { kv: [...kv] });
    const oracle = await loadLlamaCppFile(file);
    try {
      const tok = GgufTokenizer.load(file);
      const rng = new Rng(42);
      const all = [...texts];
      for (let i = 0; i < 1500; i++) {
        let s = '';
        const n = 1 + rng.int(10);
        for (let k = 0; k < n; k++) s += rng.next() < 0.5 ? rng.pick(pieces) : rng.pick(PIECES);
        all.push(s);
      }
      const failures: string[] = [];
      for (const t of all) {
        const expected = oracle.tokenize(t);
        const actual = tok.encode(t);
        if (!sameIds(expected, actual)) {
          failures.push(`${JSON.stringify(t.length > 120 ? t.slice(0, 120) + '…' : t)}\n    expected ${expected.join(' ')}\n    actual   ${Array.from(actual).join(' ')}`);
        }
      }
      assert.ok(failures.length === 0, `${failures.length} of ${all.length} differ:\n  ${failures.slice(0, 5).join('\n  ')}`);
    } finally {
      await oracle.dispose();
    }
  }

  it('Phi-3 with user-defined chat tokens: rstrip (by model name) and the SentencePiece space prefix after them', async () => {
    const pieces = ['<|assistant|>', '<|system|>', '<|placeholder1|>', '<|user|>', ' ', '  ', '\n', '\n\n', ' \t ', 'Hi', 'there', '▁x'];
    await compareEdited(
      'phi-3',
      (kv) => {
        const types = arrayOf<number>(kv, 'tokenizer.ggml.token_type');
        for (const id of [32001, 32002, 32006, 32010]) types[id] = 4; // control → user-defined
      },
      pieces,
      ['Hi<|assistant|>  there<|system|>\n\nx', '<|assistant|>', ' <|assistant|> a', 'a <|placeholder1|><|assistant|>b', '<|system|>   '],
    );
  });

  it('SentencePiece with overlapping user-defined tokens: longest first, each over every fragment', async () => {
    await compareEdited(
      'llama-spm',
      (kv) => {
        const types = arrayOf<number>(kv, 'tokenizer.ggml.token_type');
        for (const id of [292, 886, 865, 354]) types[id] = 4; // "ing", "ings", "ng", "he"
      },
      ['ing', 'ings', 'ng', 'he', 'the', 'thing', 'things', ' ', 's'],
      ['things', 'the singing kings', 'ingsng', 'hehe inging'],
    );
  });

  it('byte-level BPE with an lstrip token (jina-v2-code "<mask>") and user-defined space runs', async () => {
    await compareEdited(
      'gpt-2',
      (kv) => {
        kv.set('tokenizer.ggml.pre', { type: 'string', value: 'jina-v2-code' });
        const tokens = arrayOf<string>(kv, 'tokenizer.ggml.tokens');
        const types = arrayOf<number>(kv, 'tokenizer.ggml.token_type');
        for (const t of ['<mask>', '    ', '  ']) {
          tokens.push(t);
          types.push(4);
        }
      },
      ['<mask>', ' ', '  ', '   ', '\n', '\t', 'a', 'def', '(x)'],
      ['a <mask>b', 'x  \n <mask>  y', '    if x:\n        return 1'],
    );
  });

  it('byte-level BPE whose merges produce non-tokens: byte fallback and dropped bytes as in llama.cpp', async () => {
    const js = jsCorpus(1).map((f) => f.text.slice(0, 20000));
    const prose = proseCorpus(1).map((f) => f.text.slice(0, 20000));
    await compareEdited(
      'gpt-2',
      (kv) => {
        const tokens = arrayOf<string>(kv, 'tokenizer.ggml.tokens');
        // "ing", "Ġthe", "er", "he", "e" become unreachable: merges yielding them yield non-tokens,
        // and byte "e" has no token of its own any more
        for (const id of [278, 262, 263, 258, 68]) tokens[id] = `[gone ${id}]`;
      },
      ['ing', ' the', 'er', 'he', 'e', 'ee', 'there', 'herein', ' e', 'the'],
      [...js, ...prose],
    );
  });
});
