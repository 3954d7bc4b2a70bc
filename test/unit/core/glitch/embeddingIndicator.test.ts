import * as assert from 'assert';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { isAbortError } from '../../../../src/common/errors';
import { GgmlType } from '../../../../src/core/gguf/dequantize';
import { GgufFile } from '../../../../src/core/gguf/ggufFile';
import { TokenCategory, computeGlitchIndicator, fingerprintGlitchInputs, type GlitchIndicatorResult } from '../../../../src/core/glitch/embeddingIndicator';
import { analyzeStructure, vocabularyOfGguf } from '../../../../src/core/glitch/structural';
import { GgufTokenizer } from '../../../../src/core/tokenizer/gguf/ggufTokenizer';
import { metadataOf, type KvValue } from '../gguf/ggufWriter';
import { ensureVocabs, vocabPath } from '../gguf/vocabFixtures';
import { SHIPPED_MODEL } from '../backend/localFixtures';
import { Rng, encodeF16, encodeF32, quantizeQ8_0, writeStreamingGguf } from './glitchModels';

const D = 64;

/** Writes rows 0..rows−1 of `rowOf` as token_embd (and a sparse output.weight when untied). */
function writeEmbeddingModel(
  file: string,
  o: { kv: ReadonlyArray<readonly [string, KvValue]>; rows: number; type: number; tied: boolean; rowOf: (id: number, out: Float32Array) => void },
): void {
  const encode = o.type === GgmlType.Q8_0 ? quantizeQ8_0 : o.type === GgmlType.F16 ? encodeF16 : encodeF32;
  const rowBytes = encode(new Float32Array(D)).length;
  const tensors = [
    {
      name: 'token_embd.weight',
      dims: [D, o.rows],
      ggmlType: o.type,
      byteLength: rowBytes * o.rows,
      data: (write: (chunk: Uint8Array) => void): void => {
        const x = new Float32Array(D);
        for (let id = 0; id < o.rows; id++) {
          x.fill(0);
          o.rowOf(id, x);
          write(encode(x));
        }
      },
    },
  ];
  if (!o.tied) tensors.push({ name: 'output.weight', dims: [D, o.rows], ggmlType: o.type, byteLength: rowBytes * o.rows, data: undefined as never });
  writeStreamingGguf(file, [['general.architecture', { type: 'string', value: 'gpt2' }], ...o.kv.filter(([k]) => k !== 'general.architecture')], tensors);
}

/**
 * A tied F32 model without vocabulary: `plantedCount` of `rows` rows drawn from `rng` first, then
 * `rowMaker(rng)` (which may draw its own vectors) gives the row writer, called in id order.
 */
function writePlantedTiedModel(
  file: string,
  rng: Rng,
  rows: number,
  plantedCount: number,
  rowMaker: (rng: Rng) => (planted: boolean, out: Float32Array) => void,
): { file: string; planted: number[]; isPlanted: Set<number> } {
  const planted = rng.sample(rows, plantedCount);
  const isPlanted = new Set(planted);
  const rowOf = rowMaker(rng);
  writeEmbeddingModel(file, { kv: [], rows, type: GgmlType.F32, tied: true, rowOf: (id, x) => rowOf(isPlanted.has(id), x) });
  return { file, planted, isPlanted };
}

/** Precision and recall of `planted` among the first |planted| candidates. */
function bottomK(r: GlitchIndicatorResult, planted: readonly number[]): { precision: number; recall: number } {
  const k = planted.length;
  const top = new Set(Array.from(r.candidates.subarray(0, k)));
  let hit = 0;
  for (const id of planted) if (top.has(id)) hit++;
  return { precision: hit / Math.max(1, Math.min(k, r.candidates.length)), recall: hit / k };
}

interface Gpt2Fixture {
  kv: Map<string, KvValue>;
  size: number;
  /** Ordinary tokens (not special, partial, unreachable). */
  ordinary: number[];
  unreachable: Set<number>;
}

describe('glitch indicator: planted under-trained rows rank lowest (gpt-2 vocabulary, synthetic weights)', function () {
  this.timeout(300000);
  let dir = '';
  let gpt2: Gpt2Fixture;
  before(async () => {
    await ensureVocabs();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tokenscope-glitch-'));
    const tok = GgufTokenizer.load(vocabPath('gpt-2'));
    const s = analyzeStructure(vocabularyOfGguf(tok));
    const excluded = new Set([...s.partial, ...s.unreachable, ...s.special, ...s.unused]);
    const ordinary: number[] = [];
    for (let id = 0; id < tok.vocabSize; id++) if (!excluded.has(id)) ordinary.push(id);
    gpt2 = { kv: metadataOf(GgufFile.open(vocabPath('gpt-2'))), size: tok.vocabSize, ordinary, unreachable: new Set(s.unreachable) };
  });
  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('untied model (output.weight present, F16): input-embedding norm; 300 planted rows at initial scale are exactly the 300 lowest candidates', async () => {
    const rng = new Rng(11);
    const planted = rng.sample(gpt2.ordinary.length, 300).map((i) => gpt2.ordinary[i]!);
    const isPlanted = new Set(planted);
    const shared = rng.unit(D);
    const file = path.join(dir, 'untied.gguf');
    writeEmbeddingModel(file, {
      kv: [...gpt2.kv],
      rows: gpt2.size,
      type: GgmlType.F16,
      tied: false,
      rowOf: (id, x) => {
        if (isPlanted.has(id)) {
          for (let k = 0; k < D; k++) x[k] = 0.02 * rng.normal(); // N(0, 0.02²) init: norm ≈ 0.16
          return;
        }
        const scale = 0.5 + rng.next(); // trained: shared structure plus token-specific part, norm ≈ 0.5–1.6
        for (let k = 0; k < D; k++) x[k] = scale * (0.6 * shared[k]! + rng.normal() / Math.sqrt(D));
      },
    });
    const r = await computeGlitchIndicator(file);
    assert.strictEqual(r.indicator, 'embedding-norm');
    assert.strictEqual(r.tied, false);
    assert.match(r.reason, /untied/);
    assert.strictEqual(r.structureSource, 'tokenizer');
    assert.strictEqual(r.reference.source, 'not-needed');
    assert.strictEqual(r.timing.passMs.length, 1);
    const q = bottomK(r, planted);
    assert.deepStrictEqual(q, { precision: 1, recall: 1 });
    // ~2 % of the ordinary tokens are candidates; the planted rows are its head.
    assert.ok(Math.abs(r.candidates.length - 0.02 * r.categoryCounts.Normal) <= 2, `${r.candidates.length} candidates`);
    for (const id of r.candidates) assert.strictEqual(r.categories[id], TokenCategory.Normal);
    assert.strictEqual(r.rank[r.order[0]!], 0);
    assert.ok(r.values[planted[0]!]! < 0.3 && r.values[planted[0]!]! > 0.05);
    assert.strictEqual(r.categoryCounts.Partial, 344);
  });

  it('tied model (no output.weight, Q8_0): first PC removed, cosine to the unused mean; planted rows found although their norms are ordinary', async () => {
    const rng = new Rng(12);
    const picks = rng.sample(gpt2.ordinary.length, 400).map((i) => gpt2.ordinary[i]!);
    const unused = picks.slice(0, 100); // marked UNUSED in the vocabulary: the reference set
    const planted = picks.slice(100); // ordinary tokens whose rows were never trained
    const untrained = new Set([...picks, ...gpt2.unreachable]);
    const kv = new Map(gpt2.kv);
    const types = (kv.get('tokenizer.ggml.token_type') as { value: number[] } | undefined)?.value.slice() ?? new Array<number>(gpt2.size).fill(1);
    for (const id of unused) types[id] = 5;
    kv.set('tokenizer.ggml.token_type', { type: 'array', elementType: 'i32', value: types });
    // Every row carries a large component along one direction c (variance 9 ≫ the rest: the first
    // principal component); it dominates norms and raw cosines alike. Untrained rows also share a
    // drift direction g (the softmax pushes all unseen tokens the same way) plus small init noise.
    const c = rng.unit(D);
    const g = rng.unit(D);
    const file = path.join(dir, 'tied.gguf');
    writeEmbeddingModel(file, {
      kv: [...kv],
      rows: gpt2.size,
      type: GgmlType.Q8_0,
      tied: true,
      rowOf: (id, x) => {
        const t = 3 * rng.normal();
        if (untrained.has(id)) {
          const beta = 0.4 + 0.1 * rng.normal();
          for (let k = 0; k < D; k++) x[k] = t * c[k]! + beta * g[k]! + (0.1 * rng.normal()) / Math.sqrt(D);
        } else {
          for (let k = 0; k < D; k++) x[k] = t * c[k]! + rng.normal() / Math.sqrt(D);
        }
      },
    });

    // A sample budget above the whole matrix (12.9 MB as floats): exact component, two passes.
    const r = await computeGlitchIndicator(file, { maxSampleBytes: 16 << 20 });
    assert.strictEqual(r.indicator, 'unembedding-cosine');
    assert.strictEqual(r.tied, true);
    assert.match(r.reason, /ties its embeddings/);
    assert.strictEqual(r.reference.source, 'known-unused');
    assert.deepStrictEqual(Array.from(r.reference.ids).sort((a, b) => a - b), [...unused].sort((a, b) => a - b));
    assert.strictEqual(r.categoryCounts.Unused, 100);
    assert.strictEqual(r.timing.passMs.length, 2);
    const pc = r.principalComponent!;
    assert.ok(pc.converged && !pc.refinedOnAllRows && pc.sampleRows === gpt2.size, JSON.stringify(pc));
    assert.ok(pc.varianceFraction > 0.85, `variance fraction ${pc.varianceFraction}`);
    const q = bottomK(r, planted);
    assert.deepStrictEqual(q, { precision: 1, recall: 1 });
    for (const id of unused) assert.notStrictEqual(r.categories[id], TokenCategory.Normal);

    // A small sample (every 13th row) plus one full-data power step gives the same answer.
    const small = await computeGlitchIndicator(file, { maxSampleBytes: 1 << 20 });
    assert.strictEqual(small.timing.passMs.length, 3);
    assert.ok(small.principalComponent!.refinedOnAllRows && small.principalComponent!.sampleRows < gpt2.size / 10);
    assert.ok(small.principalComponent!.residual < 0.05, `residual ${small.principalComponent!.residual}`);
    assert.deepStrictEqual(bottomK(small, planted), { precision: 1, recall: 1 });
    let maxDiff = 0;
    for (let i = 0; i < gpt2.size; i++) maxDiff = Math.max(maxDiff, Math.abs(small.values[i]! - r.values[i]!));
    assert.ok(maxDiff < 1e-3, `cosine distances differ by up to ${maxDiff}`);

    // The norm of the same rows does not find them (why the paper uses the cosine for tied models).
    const byNorm = await computeGlitchIndicator(file, { indicator: 'embedding-norm' });
    const normQ = bottomK(byNorm, planted);
    assert.ok(normQ.recall < 0.3, `norm recall ${normQ.recall}`);
    console.log(`      PCA + cosine: precision/recall 1/1 (${pc.iterations} Lanczos steps); the norm on the same rows: recall ${normQ.recall.toFixed(2)}`);
  });

  it('tied model without a vocabulary or known unused tokens: reference bootstrapped from the lowest 1 % by norm', async () => {
    const { file, planted, isPlanted } = writePlantedTiedModel(path.join(dir, 'bootstrap.gguf'), new Rng(13), 20000, 300, (rng) => {
      const c = rng.unit(D);
      const g = rng.unit(D);
      return (isPlantedRow, x) => {
        if (isPlantedRow) {
          for (let k = 0; k < D; k++) x[k] = 0.3 * g[k]! + (0.05 * rng.normal()) / Math.sqrt(D) + 0.05 * rng.normal() * c[k]!;
          return;
        }
        const t = 2 * rng.normal();
        const s = 1 + 0.5 * rng.next();
        for (let k = 0; k < D; k++) x[k] = t * c[k]! + (s * rng.normal()) / Math.sqrt(D);
      };
    });
    const r = await computeGlitchIndicator(file);
    assert.strictEqual(r.structureSource, 'none');
    assert.strictEqual(r.reference.source, 'bootstrap-lowest-norm');
    assert.strictEqual(r.reference.ids.length, 200);
    for (const id of r.reference.ids) assert.ok(isPlanted.has(id), `reference row ${id} is not planted`);
    const q = bottomK(r, planted);
    assert.ok(q.precision >= 0.99 && q.recall >= 0.99, JSON.stringify(q));
    console.log(`      bootstrap reference: precision ${q.precision.toFixed(3)}, recall ${q.recall.toFixed(3)}`);
    assert.ok(Math.abs(r.candidates.length - 400) <= 1);
  });

  it('explicit reference ids and a custom candidate fraction are honoured', async () => {
    const { file, planted } = writePlantedTiedModel(path.join(dir, 'given.gguf'), new Rng(14), 4000, 40, (rng) => {
      const g = rng.unit(D);
      return (isPlantedRow, x) => {
        for (let k = 0; k < D; k++) x[k] = isPlantedRow ? g[k]! + 0.1 * rng.normal() : rng.normal();
      };
    });
    const r = await computeGlitchIndicator(file, { referenceIds: planted.slice(0, 10), candidateFraction: 0.01 });
    assert.strictEqual(r.reference.source, 'given');
    assert.strictEqual(r.candidates.length, 40);
    assert.deepStrictEqual(bottomK(r, planted), { precision: 1, recall: 1 });
  });
});

describe('glitch indicator: the shipped trained model against the tokens its training never saw', function () {
  this.timeout(120000);
  it('the never-trained tokens (tools/train lists them) rank lowest; the candidates are nearly all of them', async () => {
    const model = SHIPPED_MODEL;
    const listFile = model.replace(/\.gguf$/, '.untrained.json');
    assert.ok(fs.existsSync(model) && fs.existsSync(listFile), `the shipped model or its list of untrained tokens is missing: ${listFile}`);
    // ground truth from the training run: ids with no occurrence in the training data keep their initial rows
    const neverTrained = new Set((JSON.parse(fs.readFileSync(listFile, 'utf8')) as { never_trained: number[] }).never_trained);
    const r = await computeGlitchIndicator(model);
    assert.strictEqual(r.indicator, 'embedding-norm', 'the model is untied: the input-embedding norm applies');
    const lowest = Array.from(r.order.subarray(0, neverTrained.size));
    const precisionAtN = lowest.filter((id) => neverTrained.has(id)).length / lowest.length;
    const candidates = Array.from(r.candidates);
    const candidatePrecision = candidates.filter((id) => neverTrained.has(id)).length / candidates.length;
    console.log(
      `      ${neverTrained.size} never-trained tokens: ${(100 * precisionAtN).toFixed(2)} % of the ${lowest.length} lowest-ranked; ` +
        `${candidates.length} candidates, ${(100 * candidatePrecision).toFixed(1)} % never trained`,
    );
    // thresholds below the measured 98.7 % / 99.7 %, above anything a wrong tensor or order would give (~46 % = their share of the vocabulary)
    assert.ok(precisionAtN > 0.95, `precision at ${lowest.length}: ${precisionAtN}`);
    assert.ok(candidates.length > 100 && candidatePrecision > 0.9, `candidate precision ${candidatePrecision} of ${candidates.length}`);
  });
});

describe('glitch indicator: progress, cancellation, fingerprint', function () {
  this.timeout(300000);
  let dir = '';
  let file = '';
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tokenscope-glitch-'));
    file = path.join(dir, 'm.gguf');
    const rng = new Rng(21);
    writeEmbeddingModel(file, { kv: [], rows: 40000, type: GgmlType.Q8_0, tied: true, rowOf: (_id, x) => x.forEach((_, k) => (x[k] = rng.normal())) });
  });
  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reports non-decreasing progress from 0 to 1 across the passes', async () => {
    const seen: Array<[number, string]> = [];
    await computeGlitchIndicator(file, { chunkBytes: 64 << 10, maxSampleBytes: 1 << 20, onProgress: (f, phase) => seen.push([f, phase]) });
    assert.ok(seen.length > 20, `${seen.length} progress reports`);
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i]![0] >= seen[i - 1]![0]);
    assert.strictEqual(seen.at(-1)![0], 1);
    assert.deepStrictEqual([...new Set(seen.map((s) => s[1]))], ['norms', 'principal component', 'cosine distances', 'done']);
  });

  it('an AbortSignal cancels during a pass (AbortError), and an aborted signal before the start', async () => {
    const ac = new AbortController();
    let reports = 0;
    await assert.rejects(
      computeGlitchIndicator(file, {
        chunkBytes: 64 << 10,
        signal: ac.signal,
        onProgress: (f) => {
          reports++;
          if (f > 0.2) ac.abort();
        },
      }),
      (e: unknown) => isAbortError(e),
    );
    assert.ok(reports < 40, `${reports} reports before the abort took effect`);
    await assert.rejects(computeGlitchIndicator(file, { signal: AbortSignal.abort() }), (e: unknown) => isAbortError(e));
    await assert.rejects(fingerprintGlitchInputs(file, { signal: AbortSignal.abort() }), (e: unknown) => isAbortError(e));
  });

  it('an abort from a timer is seen while the analysis runs (the event loop turns between chunks)', async () => {
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), 30);
    const t0 = performance.now();
    await assert.rejects(computeGlitchIndicator(file, { chunkBytes: 64 << 10, signal: ac.signal }), (e: unknown) => isAbortError(e));
    clearTimeout(timer);
    assert.ok(performance.now() - t0 < 2000);
  });

  it('fingerprint: equals the result, depends on the tensor bytes and the header', async () => {
    const r = await computeGlitchIndicator(file);
    const fp = await fingerprintGlitchInputs(file);
    assert.strictEqual(fp, r.fingerprint);
    assert.match(fp, /^[0-9a-f]{64}$/);
    const g = GgufFile.open(file);
    const copy = path.join(dir, 'copy.gguf');
    fs.copyFileSync(file, copy);
    const fd = fs.openSync(copy, 'r+');
    fs.writeSync(fd, crypto.randomBytes(1), 0, 1, g.tensors[0]!.fileOffset + 12345);
    fs.closeSync(fd);
    assert.notStrictEqual(await fingerprintGlitchInputs(copy), fp);
  });
});

describe('glitch indicator: memory stays bounded on a large embedding', function () {
  this.timeout(600000);
  it('a 151,936 × 448 Q8_0 embedding (272 MB as float32, 72 MB on disk): RSS grows by far less than the float matrix', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tokenscope-glitch-mem-'));
    try {
      const rows = 151936;
      const d = 448;
      const rowBytes = (d / 32) * 34;
      const file = path.join(dir, 'big.gguf');
      // Random quants with a fixed scale (half 0x2C00 = 1/16), written in 4 MB chunks.
      writeStreamingGguf(file, [['general.architecture', { type: 'string', value: 'qwen2' }]], [
        {
          name: 'token_embd.weight',
          dims: [d, rows],
          ggmlType: GgmlType.Q8_0,
          byteLength: rows * rowBytes,
          data: (write) => {
            const perChunk = 4096;
            const chunk = Buffer.alloc(perChunk * rowBytes);
            for (let r = 0; r < rows; r += perChunk) {
              const n = Math.min(perChunk, rows - r);
              crypto.randomFillSync(chunk);
              for (let b = 0; b < n * (d / 32); b++) {
                chunk[b * 34] = 0x00;
                chunk[b * 34 + 1] = 0x2c;
              }
              write(chunk.subarray(0, n * rowBytes));
            }
          },
        },
      ]);
      const floatBytes = rows * d * 4;
      assert.ok(floatBytes >= 200e6);
      const start = process.memoryUsage();
      let peak = start.rss;
      let peakBuffers = start.arrayBuffers;
      const sample = (): void => {
        const m = process.memoryUsage();
        peak = Math.max(peak, m.rss);
        peakBuffers = Math.max(peakBuffers, m.arrayBuffers);
      };
      const r = await computeGlitchIndicator(file, { onProgress: sample });
      sample();
      const grewMb = (peak - start.rss) / 1e6;
      const buffersMb = (peakBuffers - start.arrayBuffers) / 1e6;
      assert.strictEqual(r.values.length, rows);
      assert.strictEqual(r.timing.passMs.length, 3); // the sample (8 MiB) is not the whole matrix
      assert.ok(grewMb < 100, `RSS grew ${grewMb.toFixed(0)} MB for a ${(floatBytes / 1e6).toFixed(0)} MB float matrix`);
      // Two 4 MiB read buffers, the 8 MiB sample and ≈ 21 bytes per token: ≈ 20 MB.
      assert.ok(buffersMb < 40, `ArrayBuffers grew ${buffersMb.toFixed(0)} MB`);
      console.log(`      RSS +${grewMb.toFixed(0)} MB, ArrayBuffers +${buffersMb.toFixed(0)} MB for ${(floatBytes / 1e6).toFixed(0)} MB of float32 rows; ${(r.timing.totalMs / 1000).toFixed(1)} s`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
