import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { isTokenscopeError } from '../../../../src/common/errors';
import {
  GgmlType,
  SUPPORTED_GGML_TYPES,
  dequantizeRow,
  ggmlTypeName,
  matrixLayout,
  readMatrixRow,
  rowByteLength,
  streamMatrixRows,
} from '../../../../src/core/gguf/dequantize';
import { GgufFile } from '../../../../src/core/gguf/ggufFile';
import { BLOCK, Rng, encodeF32, f16BitsToF32, oneBlockLlamaKv, passThroughBlock, quantizeQ8_0, quantizeQ8_K, randomTensorBytes, tinySpmVocabKv, writeStreamingGguf } from './glitchModels';

/** Every type llama.cpp can act as the oracle for (Q8_K has no CPU get_rows/to_float in ggml). */
const ORACLE_TYPES = [
  GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q8_0,
  GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.IQ4_NL, GgmlType.IQ4_XS,
];

const N_EMBD = 512; // two K-quant super-blocks per row
const N_VOCAB = 520; // ≥ N_EMBD so that the identity output exposes every hidden dimension
const RMS_EPS = 1; // large on purpose: RMSNorm(x) = x / sqrt(mean x² + 1) is not scale-invariant, so a wrong scale shows

/**
 * A one-layer llama whose forward pass exposes the input embedding: attention and FFN output
 * projections are zero (the residual stream stays the embedding row), the final RMSNorm has unit
 * weights and the output matrix is the identity on the first N_EMBD tokens. So logit j of any
 * position is RMSNorm(embedding row of its token)[j], computed by llama.cpp from its own
 * dequantization of token_embd (ggml get_rows).
 */
function writeEmbeddingProbeModel(file: string, embdType: number, embd: Uint8Array): void {
  const identity = new Float32Array(N_EMBD * N_VOCAB);
  for (let j = 0; j < N_EMBD; j++) identity[j * N_EMBD + j] = 1;
  writeStreamingGguf(
    file,
    [
      ['general.architecture', { type: 'string', value: 'llama' }],
      ['general.name', { type: 'string', value: `embedding probe ${ggmlTypeName(embdType)}` }],
      ...oneBlockLlamaKv({ context: 1024, embd: N_EMBD, ff: 64, heads: 8, rmsEps: RMS_EPS }),
      ...tinySpmVocabKv(N_VOCAB),
    ],
    [
      { name: 'token_embd.weight', dims: [N_EMBD, N_VOCAB], ggmlType: embdType, byteLength: embd.length, data: embd },
      { name: 'output_norm.weight', dims: [N_EMBD], ggmlType: GgmlType.F32, byteLength: 4 * N_EMBD, data: encodeF32(new Float32Array(N_EMBD).fill(1)) },
      { name: 'output.weight', dims: [N_EMBD, N_VOCAB], ggmlType: GgmlType.F32, byteLength: identity.byteLength, data: encodeF32(identity) },
      ...passThroughBlock(N_EMBD, 64),
    ],
  );
}

/** The parts of node-llama-cpp used here (ESM-only; this file is CommonJS). */
interface ProbeSequence {
  controlledEvaluate(input: Array<[number, { generateNext: { logits: true } }]>): Promise<Array<undefined | { next: { logits?: Map<number, number> } }>>;
}
interface ProbeContext {
  getSequence(): ProbeSequence;
  dispose(): Promise<void>;
}
interface ProbeModel {
  createContext(o: { contextSize: number; batchSize: number; sequences: number; threads: number }): Promise<ProbeContext>;
  dispose(): Promise<void>;
}
interface ProbeLlama {
  loadModel(o: { modelPath: string; gpuLayers: number }): Promise<ProbeModel>;
}
let llamaPromise: Promise<ProbeLlama> | undefined;
function llama(): Promise<ProbeLlama> {
  llamaPromise ??= import('node-llama-cpp').then(
    async (nl) => (await nl.getLlama({ gpu: false, build: 'never', skipDownload: true, maxThreads: 1, logLevel: nl.LlamaLogLevel.error })) as unknown as ProbeLlama,
  );
  return llamaPromise;
}

/** llama.cpp's logits for every token id as a one-token position: N_VOCAB rows of N_VOCAB. */
async function llamaCppLogits(file: string): Promise<Float64Array[]> {
  const model = await (await llama()).loadModel({ modelPath: file, gpuLayers: 0 });
  try {
    const ctx = await model.createContext({ contextSize: 1024, batchSize: 1024, sequences: 1, threads: 1 });
    try {
      const items: Array<[number, { generateNext: { logits: true } }]> = [];
      for (let id = 0; id < N_VOCAB; id++) items.push([id, { generateNext: { logits: true } }]);
      const out = await ctx.getSequence().controlledEvaluate(items);
      return out.map((o, id) => {
        const row = new Float64Array(N_VOCAB);
        const logits = o?.next.logits;
        if (!logits) throw new Error(`no logits for token ${id}`);
        for (const [t, v] of logits) row[t] = v;
        return row;
      });
    } finally {
      await ctx.dispose();
    }
  } finally {
    await model.dispose();
  }
}

describe('dequantize: row decoding equals llama.cpp (node-llama-cpp as oracle)', function () {
  this.timeout(600000);
  let dir = '';
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tokenscope-dequant-'));
  });
  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const type of ORACLE_TYPES) {
    it(`${ggmlTypeName(type)}: ${N_VOCAB} random rows × ${N_EMBD} → RMSNorm → identity output, against llama.cpp's logits`, async () => {
      const rng = new Rng(1000 + type);
      const embd = randomTensorBytes(type, N_EMBD * N_VOCAB, rng);
      const file = path.join(dir, `probe-${ggmlTypeName(type)}.gguf`);
      writeEmbeddingProbeModel(file, type, embd);
      const g = GgufFile.open(file);
      const m = matrixLayout(g.tensors.find((t) => t.name === 'token_embd.weight')!);
      assert.strictEqual(m.rowBytes * m.rows, embd.length);
      const oracle = await llamaCppLogits(file);
      const whole = fs.readFileSync(file);
      const row = new Float32Array(N_EMBD);
      let worst = 0;
      for (let id = 0; id < N_VOCAB; id++) {
        readMatrixRow(whole, m, id, row);
        let ss = 0;
        for (let k = 0; k < N_EMBD; k++) ss += row[k]! * row[k]!;
        const scale = 1 / Math.sqrt(ss / N_EMBD + RMS_EPS);
        const got = oracle[id]!;
        for (let k = 0; k < N_EMBD; k++) {
          const expected = row[k]! * scale;
          const err = Math.abs(got[k]! - expected) / (1e-3 + Math.abs(expected));
          worst = Math.max(worst, err);
          if (err > 1e-4) assert.fail(`${ggmlTypeName(type)} token ${id} dim ${k}: llama.cpp ${got[k]}, ours ${expected} (row value ${row[k]})`);
        }
        for (let k = N_EMBD; k < N_VOCAB; k++) assert.strictEqual(got[k], 0);
      }
      assert.ok(worst < 1e-4, `worst relative error ${worst}`);
    });
  }
});

describe('dequantize: formats without a llama.cpp oracle, API and errors', () => {
  it('Q8_K (no ggml CPU get_rows): round trip through a reference quantizer, within half a step', () => {
    const rng = new Rng(7);
    const x = new Float32Array(1024);
    for (let i = 0; i < x.length; i++) x[i] = rng.normal() * (i < 256 ? 0.01 : 3);
    const q = quantizeQ8_K(x);
    assert.strictEqual(q.length, rowByteLength(GgmlType.Q8_K, 1024));
    const out = new Float32Array(1024);
    dequantizeRow(GgmlType.Q8_K, q, 0, 1024, out);
    for (let b = 0; b < 4; b++) {
      const d = new DataView(q.buffer).getFloat32(b * 292, true);
      for (let j = 0; j < 256; j++) {
        const i = b * 256 + j;
        assert.ok(Math.abs(out[i]! - x[i]!) <= d / 2 + 1e-7, `element ${i}: ${out[i]} vs ${x[i]} (step ${d})`);
        assert.strictEqual(out[i], Math.fround(((q[b * 292 + 4 + j]! << 24) >> 24) * d));
      }
    }
  });

  it('Q8_0 round trip through the reference quantizer, and exact values for a hand-made block', () => {
    const rng = new Rng(8);
    const x = Float32Array.from({ length: 64 }, () => rng.normal());
    const out = new Float32Array(64);
    dequantizeRow(GgmlType.Q8_0, quantizeQ8_0(x), 0, 64, out);
    for (let i = 0; i < 64; i++) assert.ok(Math.abs(out[i]! - x[i]!) < 0.02, `${i}: ${out[i]} vs ${x[i]}`);
    const block = new Uint8Array(34);
    block[0] = 0x00;
    block[1] = 0x38; // half 0x3800 = 0.5
    for (let j = 0; j < 32; j++) block[2 + j] = (j - 16) & 255;
    dequantizeRow(GgmlType.Q8_0, block, 0, 32, out);
    for (let j = 0; j < 32; j++) assert.strictEqual(out[j], (j - 16) * 0.5);
    assert.strictEqual(f16BitsToF32(0x3800), 0.5);
  });

  it('every supported type has the block size of ggml, and rows must be whole blocks', () => {
    assert.deepStrictEqual([...SUPPORTED_GGML_TYPES].sort((a, b) => a - b), Object.keys(BLOCK).map(Number).sort((a, b) => a - b));
    for (const t of SUPPORTED_GGML_TYPES) {
      const b = BLOCK[t]!;
      assert.strictEqual(ggmlTypeName(t), b.name);
      assert.strictEqual(rowByteLength(t, b.elements * 8), b.bytes * 8, b.name);
    }
    assert.throws(() => rowByteLength(GgmlType.Q4_K, 896), (e: unknown) => isTokenscopeError(e, 'gguf-invalid'));
  });

  it('other types fail with gguf-unsupported and a message naming the type', () => {
    for (const t of [16, 17, 19, 29, 34, 39]) {
      assert.throws(
        () => rowByteLength(t, 256),
        (e: unknown) => isTokenscopeError(e, 'gguf-unsupported') && e.message.includes(ggmlTypeName(t)),
      );
      assert.throws(() => dequantizeRow(t, new Uint8Array(1024), 0, 256, new Float32Array(256)), (e: unknown) => isTokenscopeError(e, 'gguf-unsupported'));
    }
  });

  it('readMatrixRow from a file descriptor equals from the bytes; streamMatrixRows across chunk boundaries equals both', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tokenscope-dequant-'));
    try {
      const rng = new Rng(9);
      for (const type of [GgmlType.F16, GgmlType.Q5_1, GgmlType.Q6_K]) {
        const d = 512;
        const rows = 37;
        const bytes = randomTensorBytes(type, d * rows, rng);
        const file = path.join(dir, `m${type}.gguf`);
        writeStreamingGguf(file, [['general.architecture', { type: 'string', value: 'llama' }]], [
          { name: 'pad', dims: [3], ggmlType: GgmlType.F32, byteLength: 12, data: new Uint8Array(12) },
          { name: 'token_embd.weight', dims: [d, rows], ggmlType: type, byteLength: bytes.length, data: bytes },
        ]);
        const m = matrixLayout(GgufFile.open(file).tensors[1]!);
        const whole = fs.readFileSync(file);
        const fd = fs.openSync(file, 'r');
        const a = new Float32Array(d);
        const b = new Float32Array(d);
        const seen: number[] = [];
        const handle = await fs.promises.open(file, 'r');
        try {
          await streamMatrixRows(handle, m, { chunkBytes: m.rowBytes * 5 + 7, firstRow: 2, endRow: 36 }, (r, v) => {
            seen.push(r);
            readMatrixRow(fd, m, r, a);
            readMatrixRow(whole, m, r, b);
            assert.deepStrictEqual(Array.from(v), Array.from(a));
            assert.deepStrictEqual(Array.from(v), Array.from(b));
          });
        } finally {
          await handle.close();
          fs.closeSync(fd);
        }
        assert.deepStrictEqual(seen, Array.from({ length: 34 }, (_, i) => i + 2));
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
