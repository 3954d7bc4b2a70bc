import { TiktokenTokenizer } from '../src/core/tokenizer/tiktokenTokenizer';
import { concat, jsCorpus } from '../test/corpus';
import { mbPerSec, medianMs, sliceToBytes } from './measure';
import type { BenchSuite } from './types';

/**
 * What the status bar pays today for a full count (tiktoken WASM, encode_ordinary) on 2 MB of real
 * JavaScript. The tokenizer-engine benchmarks (tokenize.*) compare our own engine with the peers.
 */
const suite: BenchSuite = {
  prefix: 'count.',
  run: (log) => {
    const text = sliceToBytes(concat(jsCorpus(2_000_000)), 2_000_000);
    const bytes = Buffer.byteLength(text);
    const tok = new TiktokenTokenizer('o200k_base');
    try {
      const ms = medianMs(() => tok.count(text), 3, 1);
      log(`tiktoken o200k: ${bytes} bytes in ${ms.toFixed(0)} ms`);
      return Promise.resolve([{ id: 'count.full.code.o200k.tiktoken', value: mbPerSec(bytes, ms), unit: 'MB/s', note: 'status-bar count, whole document' }]);
    } finally {
      tok.dispose();
    }
  },
};
export default suite;
