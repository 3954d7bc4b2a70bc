import * as assert from 'assert';
import { GgufTokenizer } from '../../../../src/core/tokenizer/gguf/ggufTokenizer';
import { jsCorpus, multilingualCorpus, proseCorpus, pythonCorpus, type CorpusFile } from '../../../corpus';
import { sameIds } from '../codePointSweep';
import { PIECES, Rng } from '../tokenizer/random';
import { SUPPORTED_WITHOUT_VECTORS, SUPPORTED_WITH_VECTORS, ensureVocabs, loadLlamaCppVocab, vocabPath } from './vocabFixtures';

/** The vocabs compared on full-size corpora; the others get a smaller sample. */
const MAIN = ['starcoder', 'qwen2', 'llama-bpe', 'deepseek-coder', 'llama-spm'] as const;
const OTHERS = [...SUPPORTED_WITH_VECTORS, ...SUPPORTED_WITHOUT_VECTORS].filter((n) => !(MAIN as readonly string[]).includes(n));

/**
 * Pieces aimed at llama.cpp's own corners, on top of the shared ones: user-defined tokens that are
 * split out of the text (DeepSeek's "õ", "<|EOT|>", "[PAD…]", MPT's space runs), whitespace that
 * glibc's wide regex might or might not treat as \s, a leading BOM, SentencePiece's own space
 * mark and byte-token spellings, fullwidth and astral letters and digits, contractions in odd case.
 */
const LLAMA_PIECES: readonly string[] = [
  'õ', 'ö', 'Á', '<|EOT|>', '<pad>', '<|User|>', '[PAD151700]', '[PAD100015]', '<|START_OF_TURN_TOKEN|>', '<|im_start|>', '<fim_prefix>',
  '<s>', '</s>', '<unk>', '<0x41>', '▁', ' ▁', '▁▁', '  ', '   ', '        ', '\t\t', ' \n ', '\r\n\r\n', '\n\n\n',
  '\u180e', '\u200b', '\ufeff', '\u3000', '\u2029', '\u00b5', 'µ', 'ΐ', 'K', 'Ω', '１２３', 'ＡＢ', 'ⅷ', '①②', '1234567', '00000',
  '𝐀𝐁', '𝟙', '\u{10400}\u{10401}', '\u{1e900}', 'Ꭰ', 'a\u0301\u0301', 'ق\u064e', "'S", "'Re", "'LL", "'vE", ' x', ' 1', ' (', ' \u00a0',
];
const ALL_PIECES = [...PIECES, ...LLAMA_PIECES];

function randomTexts(seed: number, count: number): string[] {
  const rng = new Rng(seed);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const n = 1 + rng.int(16);
    let s = '';
    for (let k = 0; k < n; k++) s += rng.pick(ALL_PIECES);
    out.push(s);
  }
  return out;
}

/** Long runs from small alphabets: words of hundreds of bytes take the heap-based merge paths. */
function longWords(seed: number, count: number): string[] {
  const alphabet = ['a', 'b', 'e', 'r', 'th', 'in', '中', '文', '한', 'é', 'ß', '0', '1', '_', '.', '\u0301', 'ا', '😀', '▁', '<', '|', 'Ġ', '  '];
  const rng = new Rng(seed);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const letters = alphabet.slice(0, 1 + rng.int(i % 2 ? alphabet.length : 4));
    let s = '';
    const n = 40 + rng.int(700);
    for (let k = 0; k < n; k++) s += rng.pick(letters);
    out.push(s);
  }
  return out;
}

/** Where two id lists diverge, with the text around that point. */
function describeDifference(tok: GgufTokenizer, label: string, text: string, expected: readonly number[], actual: Uint32Array): string {
  let d = 0;
  while (d < expected.length && expected[d] === actual[d]) d++;
  const bytesBefore = tok.decodeBytes(expected.slice(0, d)).length;
  const at = Buffer.from(text, 'utf8').subarray(0, bytesBefore).toString('utf8').length; // ≈ UTF-16 offset
  const near = text.slice(Math.max(0, at - 30), at + 50);
  return (
    `${label} (${text.length} UTF-16 units): first difference at token ${d}\n` +
    `    text near it: ${JSON.stringify(near)}\n` +
    `    expected ${expected.slice(Math.max(0, d - 3), d + 8).join(' ')}\n` +
    `    actual   ${Array.from(actual.subarray(Math.max(0, d - 3), d + 8)).join(' ')}`
  );
}

async function compareWithLlamaCpp(name: string, corpora: readonly CorpusFile[], randomCount: number, longCount: number): Promise<void> {
  const oracle = await loadLlamaCppVocab(name);
  try {
    const tok = GgufTokenizer.load(vocabPath(name));
    const s = tok.special;
    assert.deepStrictEqual(
      { bos: s.bos, eos: s.eos, eot: s.eot, sep: s.sep, fimPre: s.fimPre, fimSuf: s.fimSuf, fimMid: s.fimMid },
      oracle.special,
      `${name}: special ids`,
    );
    const failures: string[] = [];
    let strings = 0;
    let bytes = 0;
    const check = (label: string, text: string): void => {
      strings++;
      bytes += Buffer.byteLength(text);
      const expected = oracle.tokenize(text);
      const actual = tok.encode(text);
      if (!sameIds(expected, actual)) failures.push(describeDifference(tok, label, text, expected, actual));
    };
    for (const f of corpora) check(f.name, f.text);
    randomTexts(name.length * 7919, randomCount).forEach((t, i) => check(`random #${i} ${JSON.stringify(t)}`, t));
    longWords(name.length * 104729, longCount).forEach((t, i) => check(`long word #${i}`, t));
    assert.ok(
      failures.length === 0,
      `${name}: ${failures.length} of ${strings} strings (${(bytes / 1e6).toFixed(2)} MB) differ from llama.cpp:\n  ${failures.slice(0, 5).join('\n  ')}`,
    );
  } finally {
    await oracle.dispose();
  }
}

describe('core/gguf: tokenizer equals llama.cpp (node-llama-cpp) on real text', function () {
  this.timeout(600000);
  let full: CorpusFile[] = [];
  let sample: CorpusFile[] = [];
  before(async () => {
    await ensureVocabs();
    full = [...jsCorpus(200_000), ...pythonCorpus(200_000), ...proseCorpus(200_000), ...multilingualCorpus(16_000)];
    sample = [...jsCorpus(30_000), ...pythonCorpus(30_000), ...proseCorpus(30_000), ...multilingualCorpus(3_000)];
  });
  after(() => {
    full = [];
    sample = [];
  });

  for (const name of MAIN) {
    it(`${name}: JS, Python and prose (whole files, ≥ 200 KB each), 13 languages, 2000 random strings, 200 long words`, async () => {
      await compareWithLlamaCpp(name, full, 2000, 200);
    });
  }
  for (const name of OTHERS) {
    it(`${name}: JS, Python and prose (whole files, ≥ 30 KB each), 13 languages, 500 random strings, 50 long words`, async () => {
      await compareWithLlamaCpp(name, sample, 500, 50);
    });
  }
});
