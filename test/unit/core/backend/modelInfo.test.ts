/**
 * FIM tokens of real vocabularies (llama.cpp's vocab-only GGUF files): from the GGUF metadata when
 * present, else from the family's marker texts — either way the ids llama.cpp itself resolves.
 */
import { ITEMS_PER_STEP } from '../../../../src/common/steps';
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { isBackendError } from '../../../../src/common/errors';
import { readModelInfo, readModelInfoSliced } from '../../../../src/core/backend/local/modelInfo';
import { GgufFile } from '../../../../src/core/gguf/ggufFile';
import { ensureVocabs, loadLlamaCppFile, vocabPath } from '../gguf/vocabFixtures';
import { metadataOf, writeGguf } from '../gguf/ggufWriter';
import { SHIPPED_MODEL } from './localFixtures';

describe('core/backend/local: model metadata and FIM tokens', function () {
  this.timeout(60000);
  before(() => ensureVocabs());

  it('reads the shipped model in paused steps (file, token index, merges and pieces by 16k) to the same info and an equal tokenizer', async () => {
    const whole = readModelInfo(SHIPPED_MODEL);
    let pauses = 0;
    const sliced = await readModelInfoSliced(SHIPPED_MODEL, () => (pauses++, Promise.resolve()));
    try {
      const merges = whole.tokenizer.vocab.merges?.length ?? 0;
      assert.ok(merges > ITEMS_PER_STEP, `${merges} merges`);
      const tokens = whole.tokenizer.vocabSize;
      const steps = (n: number): number => Math.floor(n / ITEMS_PER_STEP); // a pause after every full step
      const between = (n: number): number => Math.ceil(n / ITEMS_PER_STEP) - 1; // a pause between steps
      // the file's token and merge strings, the token index, the merge table, the pieces; and 4 between stages
      const expected = 4 + between(tokens) + between(merges) + steps(tokens) + steps(merges) + between(tokens);
      assert.strictEqual(pauses, expected);
      assert.deepStrictEqual(sliced.info, whole.info);
      const ids = whole.tokenizer.encode('héllo 🙂 wörld');
      assert.deepStrictEqual(sliced.tokenizer.decodeBytes(ids), whole.tokenizer.decodeBytes(ids));
      const text = 'def main():\n    print("héllo, wörld") # 🙂\n';
      assert.deepStrictEqual(Array.from(sliced.tokenizer.encode(text)), Array.from(whole.tokenizer.encode(text)));
    } finally {
      whole.tokenizer.dispose();
      sliced.tokenizer.dispose();
    }
  });

  for (const name of ['starcoder', 'deepseek-coder', 'refact'] as const) {
    it(`${name}: FIM prefix/suffix/middle equal llama.cpp's`, async () => {
      const { info, tokenizer } = readModelInfo(vocabPath(name));
      tokenizer.dispose();
      const llama = await loadLlamaCppFile(vocabPath(name));
      try {
        assert.deepStrictEqual([info.fim.prefix, info.fim.suffix, info.fim.middle], [llama.special.fimPre, llama.special.fimSuf, llama.special.fimMid]);
        assert.strictEqual(info.fim.order, 'psm');
      } finally {
        await llama.dispose();
      }
    });
  }

  it('vocabularies without FIM markers (Llama 3, Qwen2 base) are model-no-fim, as llama.cpp finds none either', async () => {
    for (const name of ['llama-bpe', 'qwen2']) {
      assert.throws(() => readModelInfo(vocabPath(name)), (e: unknown) => isBackendError(e, 'model-no-fim'), name);
      const llama = await loadLlamaCppFile(vocabPath(name));
      assert.strictEqual(llama.special.fimPre, undefined);
      await llama.dispose();
    }
  });

  it("falls back to a family's markers llama.cpp does not resolve: Codestral's [SUFFIX]/[PREFIX], SPM order", () => {
    // the StarCoder vocabulary with its FIM markers renamed to Codestral's
    const kv = metadataOf(GgufFile.open(vocabPath('starcoder')));
    const tokens = kv.get('tokenizer.ggml.tokens');
    assert.ok(tokens?.type === 'array' && tokens.elementType === 'string');
    const renamed = tokens.value.map((t) => (t === '<fim_prefix>' ? '[PREFIX]' : t === '<fim_suffix>' ? '[SUFFIX]' : t === '<fim_middle>' ? '<unused_mid>' : t));
    kv.set('tokenizer.ggml.tokens', { type: 'array', elementType: 'string', value: renamed });
    for (const k of [...kv.keys()]) if (/fim_|prefix_token|suffix_token|middle_token/.test(k)) kv.delete(k);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tokenscope-fim-')), 'codestral-like.gguf');
    writeGguf(file, { kv: [...kv.entries()] });
    const { info, tokenizer } = readModelInfo(file);
    tokenizer.dispose();
    assert.deepStrictEqual(info.fim, { prefix: renamed.indexOf('[PREFIX]'), suffix: renamed.indexOf('[SUFFIX]'), middle: -1, order: 'spm', source: 'codestral' });
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  });

  it('the shipped model: metadata, quantization and size', () => {
    const { info, tokenizer } = readModelInfo(SHIPPED_MODEL);
    tokenizer.dispose();
    assert.strictEqual(info.architecture, 'llama');
    assert.strictEqual(info.fim.source, 'metadata');
    assert.match(info.quantization, /^(Q8_0|F16|F32|Q4_K_M|Q6_K)$/);
    assert.ok(info.sizeBytes <= 25 * 1024 * 1024, `${info.sizeBytes} bytes: the shipped model must stay ≤ 25 MB`);
    assert.ok(info.blockCount! >= 1 && info.embeddingLength! >= 64 && info.contextLength! >= 256);
  });
});
