import { GgufTokenizer } from '../src/core/tokenizer/gguf/ggufTokenizer';
import { concat, jsCorpus } from '../test/corpus';
import { ensureVocabs, loadLlamaCppVocab, vocabPath } from '../test/unit/core/gguf/vocabFixtures';
import { mbPerSec, medianMs, sliceToBytes } from './measure';
import type { BenchResult, BenchSuite } from './types';

/**
 * The GGUF-vocabulary tokenizer (a local model's own tokenizer) against llama.cpp's tokenizer
 * itself, called through node-llama-cpp (native C++, plus marshalling the text in and the ids out),
 * on the same 2 MB of JavaScript. Ids are checked identical in the run. "first" is the first
 * encode after loading (cold caches), the headline figure is warm (median of 3 after one run).
 */
const suite: BenchSuite = {
  prefix: 'gguf.',
  run: async (log) => {
    await ensureVocabs();
    const text = sliceToBytes(concat(jsCorpus(2_100_000)), 2_000_000);
    const bytes = Buffer.byteLength(text);
    const results: BenchResult[] = [];
    for (const name of ['qwen2', 'starcoder', 'llama-spm']) {
      const t0 = performance.now();
      const tok = GgufTokenizer.load(vocabPath(name));
      const loadMs = performance.now() - t0;
      const t1 = performance.now();
      const ours = tok.encode(text);
      const firstMs = performance.now() - t1;
      const warmMs = medianMs(() => tok.encode(text), 3, 0);
      const ref = await loadLlamaCppVocab(name);
      const theirs = ref.tokenize(text);
      const same = theirs.length === ours.length && theirs.every((v, i) => v === ours[i]);
      if (!same) throw new Error(`${name}: ids differ from llama.cpp`);
      const refMs = medianMs(() => ref.tokenize(text), 3, 1);
      await ref.dispose();
      tok.dispose();
      const id = name.replace(/-/g, '_');
      log(`${name}: load ${loadMs.toFixed(0)} ms; first encode ${mbPerSec(bytes, firstMs).toFixed(1)} MB/s, warm ${mbPerSec(bytes, warmMs).toFixed(1)} MB/s; llama.cpp ${mbPerSec(bytes, refMs).toFixed(1)} MB/s; ${ours.length} ids identical`);
      results.push({ id: `gguf.encode.code.${id}`, value: mbPerSec(bytes, warmMs), unit: 'MB/s', peer: 'llama.cpp via node-llama-cpp 3.22.1', peerValue: mbPerSec(bytes, refMs), ratio: refMs / warmMs });
      results.push({ id: `gguf.encode.code.${id}.first`, value: mbPerSec(bytes, firstMs), unit: 'MB/s', note: 'first encode after loading (empty caches)' });
      results.push({ id: `gguf.load.${id}`, value: loadMs, unit: 'ms', note: 'read the GGUF metadata and build the vocabulary' });
    }
    return results;
  },
};
export default suite;
