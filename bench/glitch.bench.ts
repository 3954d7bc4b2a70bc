import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { GgmlType } from '../src/core/gguf/dequantize';
import { GgufFile } from '../src/core/gguf/ggufFile';
import type { GlitchIndicatorResult } from '../src/core/glitch/embeddingIndicator';
import { analyzeStructure, vocabularyOfGguf } from '../src/core/glitch/structural';
import { GgufTokenizer } from '../src/core/tokenizer/gguf/ggufTokenizer';
import { Rng, quantizeQ8_0, writeStreamingGguf } from '../test/unit/core/glitch/glitchModels';
import { metadataOf, type KvValue } from '../test/unit/core/gguf/ggufWriter';
import { ensureVocabs, vocabPath } from '../test/unit/core/gguf/vocabFixtures';
import { percentile } from './measure';
import type { BenchResult, BenchSuite } from './types';

/** Qwen2.5-0.5B's embedding shape: 151,936 tokens × 896. */
const ROWS = 151936;
const D = 896;

/**
 * Writes a Qwen2.5-0.5B-shaped GGUF (the real Qwen2 vocabulary from llama.cpp's vocab file, so
 * the token structure analysis runs on a real 152k vocabulary) whose token_embd is synthetic but
 * shaped like a trained matrix: a shared mean, eight directions with a decaying spectrum (so the
 * principal component is not trivially dominant), token-specific noise, and small drifted rows
 * for the unreachable and [PAD] tokens plus ≈500 ordinary ones. Q8_0, ≈145 MB. `untied` adds an
 * output.weight of the same shape as a sparse hole (never read by the norm indicator).
 */
function writeSyntheticModel(file: string, kv: ReadonlyArray<readonly [string, KvValue]>, untrained: ReadonlySet<number>, untied: boolean): void {
  const rng = new Rng(2024);
  const pool = new Float32Array(1 << 20);
  for (let i = 0; i < pool.length; i++) pool[i] = rng.normal();
  const mean = rng.unit(D);
  const drift = rng.unit(D);
  const dirs = Array.from({ length: 8 }, () => rng.unit(D));
  const spectrum = [1, 0.8, 0.65, 0.5, 0.4, 0.3, 0.25, 0.2].map((s) => 0.3 * s);
  const rowBytes = (D / 32) * 34;
  const mask = pool.length - 1;
  const tensors = [
    {
      name: 'token_embd.weight',
      dims: [D, ROWS],
      ggmlType: GgmlType.Q8_0,
      byteLength: ROWS * rowBytes,
      data: (write: (chunk: Uint8Array) => void): void => {
        const perChunk = 2048;
        const out = new Uint8Array(perChunk * rowBytes);
        const x = new Float32Array(D);
        for (let r0 = 0; r0 < ROWS; r0 += perChunk) {
          const n = Math.min(perChunk, ROWS - r0);
          for (let i = 0; i < n; i++) {
            const id = r0 + i;
            const at = rng.int(pool.length);
            if (untrained.has(id)) {
              const beta = 0.05 + 0.01 * pool[at]!;
              for (let k = 0; k < D; k++) x[k] = beta * drift[k]! + (0.02 * pool[(at + k + 1) & mask]!) / Math.sqrt(D);
            } else {
              for (let k = 0; k < D; k++) x[k] = 0.3 * mean[k]! + (0.5 * pool[(at + k) & mask]!) / Math.sqrt(D);
              for (let j = 0; j < dirs.length; j++) {
                const a = spectrum[j]! * rng.normal();
                const u = dirs[j]!;
                for (let k = 0; k < D; k++) x[k]! += a * u[k]!;
              }
            }
            quantizeQ8_0(x, out, i * rowBytes);
          }
          write(out.subarray(0, n * rowBytes));
        }
      },
    },
  ];
  if (untied) tensors.push({ name: 'output.weight', dims: [D, ROWS], ggmlType: GgmlType.Q8_0, byteLength: ROWS * rowBytes, data: undefined as never });
  writeStreamingGguf(file, kv, tensors);
}

/** What the measuring child process reports. */
interface Measured {
  readonly seconds: number[];
  readonly peakRssMb: number;
  readonly peakArrayBuffersMb: number;
  readonly indicator: string;
  readonly tied: boolean;
  readonly type: string;
  readonly timing: GlitchIndicatorResult['timing'];
  readonly pc?: GlitchIndicatorResult['principalComponent'];
  readonly reference: string;
  readonly planted: number;
  readonly found: number;
}

/**
 * Runs the analysis `runs` times in a fresh Node process (so that peak memory is not hidden by
 * what this process already holds after writing the file): wall time per run, and the growth of
 * RSS and of ArrayBuffer memory over the process's state after loading the modules, sampled at
 * every progress report (≈ every 4 MiB read) and at the end of each run. With `givenStructure`
 * the vocabulary's structure analysis is done before the baseline and passed in (as a caller
 * that already has it cached would), isolating the streaming indicator's own memory.
 */
function measureInChild(file: string, untrainedFile: string, runs: number, givenStructure: boolean): Measured {
  const out = path.join(__dirname, '..');
  const script = `
    const fs = require('fs');
    const { computeGlitchIndicator, tokenStructureFromReport, TokenCategory } = require(${JSON.stringify(path.join(out, 'src/core/glitch/embeddingIndicator.js'))});
    const { analyzeStructure, vocabularyOfGguf } = require(${JSON.stringify(path.join(out, 'src/core/glitch/structural.js'))});
    const { GgufTokenizer } = require(${JSON.stringify(path.join(out, 'src/core/tokenizer/gguf/ggufTokenizer.js'))});
    const untrained = new Set(JSON.parse(fs.readFileSync(${JSON.stringify(untrainedFile)}, 'utf8')));
    (async () => {
      let structure;
      if (${givenStructure}) {
        const tok = GgufTokenizer.load(${JSON.stringify(file)});
        structure = tokenStructureFromReport(analyzeStructure(vocabularyOfGguf(tok)), tok.vocab);
        tok.dispose();
      }
      global.gc();
      const base = process.memoryUsage();
      let rss = base.rss, ab = base.arrayBuffers;
      const sample = () => { const m = process.memoryUsage(); rss = Math.max(rss, m.rss); ab = Math.max(ab, m.arrayBuffers); };
      const seconds = [];
      let r;
      for (let i = 0; i < ${runs}; i++) {
        const t0 = performance.now();
        r = await computeGlitchIndicator(${JSON.stringify(file)}, { onProgress: sample, ...(structure ? { structure } : {}) });
        seconds.push((performance.now() - t0) / 1000);
        sample();
      }
      const planted = [...untrained].filter((id) => r.categories[id] === TokenCategory.Normal);
      const found = Array.from(r.candidates.subarray(0, planted.length)).filter((id) => untrained.has(id)).length;
      console.log(JSON.stringify({ seconds, peakRssMb: (rss - base.rss) / 1e6, peakArrayBuffersMb: (ab - base.arrayBuffers) / 1e6, indicator: r.indicator, tied: r.tied, type: r.tensor.type,
        timing: r.timing, pc: r.principalComponent, reference: r.reference.source + ' × ' + r.reference.ids.length, planted: planted.length, found }));
    })().catch((e) => { console.error(e); process.exit(1); });`;
  const stdout = execFileSync(process.execPath, ['--expose-gc', '-e', script], { encoding: 'utf8', maxBuffer: 16 << 20 });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Measured;
}

const suite: BenchSuite = {
  prefix: 'glitch.indicator',
  run: async (log) => {
    await ensureVocabs();
    const vocab = GgufFile.open(vocabPath('qwen2'));
    const tokens = vocab.getStringArray('tokenizer.ggml.tokens')!;
    if (tokens.length !== ROWS) throw new Error(`qwen2 vocab has ${tokens.length} tokens, expected ${ROWS}`);
    const kv: Array<readonly [string, KvValue]> = [...metadataOf(vocab)].filter(([k]) => k !== 'general.architecture');
    kv.unshift(['general.architecture', { type: 'string', value: 'qwen2' }]);
    // Untrained rows, as in a real model: the [PAD…] rows, the tokens the tokenizer never
    // produces, and every 300th token (≈500 "under-trained" ordinary tokens to be found).
    const structure = analyzeStructure(vocabularyOfGguf(GgufTokenizer.load(vocabPath('qwen2'))));
    const untrained = new Set<number>(structure.unreachable);
    for (let id = 0; id < ROWS; id++) if (/^\[PAD\d+\]$/.test(tokens.at(id)) || id % 300 === 7) untrained.add(id);

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tokenscope-bench-glitch-'));
    const results: BenchResult[] = [];
    try {
      for (const untied of [false, true]) {
        const file = path.join(dir, untied ? 'untied.gguf' : 'tied.gguf');
        const tw = performance.now();
        writeSyntheticModel(file, kv, untrained, untied);
        log(`${untied ? 'untied' : 'tied'}: wrote ${(fs.statSync(file).size / 1e6).toFixed(0)} MB synthetic GGUF in ${((performance.now() - tw) / 1000).toFixed(1)} s`);
        const untrainedFile = path.join(dir, 'untrained.json');
        fs.writeFileSync(untrainedFile, JSON.stringify([...untrained]));
        const m = measureInChild(file, untrainedFile, 3, false);
        const bare = measureInChild(file, untrainedFile, 1, true);
        const seconds = percentile(m.seconds, 50);
        const t = m.timing;
        const pc = m.pc;
        log(
          `${m.indicator} (${m.tied ? 'tied' : 'untied'}, ${m.type} ${ROWS} × ${D}): ${m.seconds.map((x) => x.toFixed(2)).join(' / ')} s; ` +
            `structure ${(t.structureMs / 1000).toFixed(2)} s, passes ${t.passMs.map((ms) => (ms / 1000).toFixed(2)).join(' + ')} s` +
            (pc ? `, PCA ${(t.pcaMs / 1000).toFixed(2)} s (${pc.iterations} Lanczos steps on ${pc.sampleRows} rows, converged ${pc.converged})` : '') +
            `, rank ${(t.rankMs / 1000).toFixed(2)} s; reference ${m.reference}; ${m.found} of the first ${m.planted} candidates are the ${m.planted} planted ordinary rows`,
        );
        // In the structure-given child the analysis ran before the baseline and its freed heap is
        // reused, so RSS barely moves there; its ArrayBuffer growth is the streaming path's own memory.
        log(
          `  peak extra memory in a fresh process: RSS +${m.peakRssMb.toFixed(0)} MB (ArrayBuffers +${m.peakArrayBuffersMb.toFixed(0)} MB), most of it the vocabulary ` +
            `structure analysis; with the structure given: ArrayBuffers +${bare.peakArrayBuffersMb.toFixed(0)} MB, RSS +${bare.peakRssMb.toFixed(0)} MB, ${bare.seconds[0]!.toFixed(2)} s`,
        );
        const memNote =
          `peak extra RSS ${m.peakRssMb.toFixed(0)} MB in a fresh process, mostly the vocabulary structure analysis (tokenizer, transient); ` +
          `streaming part alone (structure given, ${bare.seconds[0]!.toFixed(1)} s): ${bare.peakArrayBuffersMb.toFixed(0)} MB of buffers; ` +
          `the float32 matrix would be ${((ROWS * D * 4) / 1e6).toFixed(0)} MB`;
        results.push(
          untied
            ? {
                id: 'glitch.indicator.0_5b.untied',
                value: seconds,
                unit: 's',
                note: `input-embedding norm, 1 pass over 151,936 × 896 Q8_0 (145 MB) incl. structure analysis ${(t.structureMs / 1000).toFixed(1)} s; ${memNote}`,
              }
            : {
                id: 'glitch.indicator.0_5b',
                value: seconds,
                unit: 's',
                target: 'seconds',
                note: `tied (PCA + cosine), 3 passes over 151,936 × 896 Q8_0 (145 MB) incl. structure analysis ${(t.structureMs / 1000).toFixed(1)} s; ${memNote}`,
              },
        );
        fs.rmSync(file, { force: true });
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    return results;
  },
};
export default suite;
