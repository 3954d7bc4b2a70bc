/**
 * Weight-based detection of under-trained ("glitch") tokens of a local GGUF model, after Land &
 * Bartolo, "Fishing for Magikarp: Automatically Detecting Under-trained Tokens in Large Language
 * Models" (EMNLP 2024), section "Indicators":
 *
 *  - untied model (separate `output.weight`): the L2 norm of each token's input-embedding row
 *    (`token_embd.weight`); rows the optimiser never touched keep their small initial norm;
 *  - tied model (no `output.weight`, the unembedding is `token_embd.weight`): remove the first
 *    principal component of the unembedding matrix U (of the centred rows, as a PCA computes it)
 *    from every (uncentred) row, then take the cosine
 *    distance of each row to the mean of rows known to be unused (GGUF token type UNUSED, and
 *    tokens the tokenizer can never produce); untrained rows all drift the same way, so a small
 *    distance means "looks like an unused token". Without known unused tokens the reference is
 *    bootstrapped from the ~1 % of rows with the smallest norm.
 *
 * Tokens rank ascending (most suspicious first); candidates are the lowest ~2 % of ordinary
 * tokens (special, byte, partial-UTF-8, unreachable and unused tokens are excluded and counted).
 *
 * Everything streams: the matrix is read in chunks (never held as Float32: 152k × 3584 would be
 * 2.2 GB), with a bounded sample of rows (every k-th, ≤ 8 MiB) for the principal component
 * (Lanczos on the sample). The tied path reads U three times (norms, mean and sample; one
 * power step over all rows to refine the component, skipped when the sample is the whole matrix;
 * distances), the untied path once. Plain Node (no vscode): runs
 * in a worker thread; yields to the event loop between chunks so an AbortSignal fired from a
 * message is honoured within one chunk (4 MiB).
 */
import { createHash, type Hash } from 'crypto';
import * as fs from 'fs';
import { TokenscopeError } from '../../common/errors';
import { abortError, ggmlTypeName, matrixLayout, streamMatrixRows, type MatrixLayout } from '../gguf/dequantize';
import { GgufFile, type GgufTensorInfo } from '../gguf/ggufFile';
import { GgufTokenizer } from '../tokenizer/gguf/ggufTokenizer';
import { GgufVocab, TokenAttr } from '../tokenizer/gguf/ggufVocab';
import { CovarianceProduct, centerRows, normalizedStep, principalComponentOfRows } from './principalComponent';
import { analyzeStructure, vocabularyOfGguf, type StructuralReport } from './structural';

export type GlitchIndicatorKind = 'embedding-norm' | 'unembedding-cosine';

/** What each row's token is, for candidate selection (Uint8Array codes in the result). */
export const TokenCategory = {
  /** An ordinary token: eligible as a candidate. */
  Normal: 0,
  /** Control / user-defined / unknown token. */
  Special: 1,
  /** SentencePiece byte-fallback token (<0xNN>). */
  Byte: 2,
  /** Bytes that are not valid UTF-8 on their own (a piece of a character). */
  Partial: 3,
  /** Never produced by the tokenizer (decode then re-encode gives other ids). */
  Unreachable: 4,
  /** GGUF token type UNUSED (5), or a reserved placeholder (see RESERVED_TOKEN). */
  Unused: 5,
  /** A row beyond the vocabulary (padding rows of the matrix). */
  Absent: 6,
} as const;
export type TokenCategory = (typeof TokenCategory)[keyof typeof TokenCategory];

/** Token lists from a structural analysis (see structural.ts), when the caller already has one. */
export interface TokenStructure {
  readonly special?: readonly number[];
  readonly byte?: readonly number[];
  readonly partial?: readonly number[];
  readonly unreachable?: readonly number[];
  readonly unused?: readonly number[];
  /** Tokens in the vocabulary; rows at or beyond it are Absent (default: every row). */
  readonly vocabSize?: number;
}

/**
 * The TokenStructure of a GGUF vocabulary from a structural report the caller already has
 * (structural.ts), adding what the report does not list: byte-fallback tokens and reserved
 * placeholders (moved from special to unused). Lets the caller skip the second vocabulary
 * analysis (≈0.5–1 s and ≈100–200 MB of transient heap for a 150k vocabulary).
 */
export function tokenStructureFromReport(report: Pick<StructuralReport, 'special' | 'partial' | 'unreachable' | 'unused'>, vocab: GgufVocab): TokenStructure {
  const byte: number[] = [];
  const reserved: number[] = [];
  for (let id = 0; id < vocab.size; id++) {
    const a = vocab.attrs[id]!;
    if (a & TokenAttr.Byte) byte.push(id);
    else if (a & (TokenAttr.Control | TokenAttr.UserDefined | TokenAttr.Unknown) && RESERVED_TOKEN.test(vocab.text(id))) reserved.push(id);
  }
  const isReserved = new Set(reserved);
  return {
    special: report.special.filter((id) => !isReserved.has(id)),
    byte,
    partial: report.partial,
    unreachable: report.unreachable,
    unused: [...report.unused, ...reserved],
    vocabSize: vocab.size,
  };
}

export interface GlitchIndicatorOptions {
  /** 'auto' (default): norm when untied, PCA + cosine when tied (the paper's choice). */
  readonly indicator?: 'auto' | GlitchIndicatorKind;
  /** Fraction of ordinary tokens returned as candidates (default 0.02, as in the paper). */
  readonly candidateFraction?: number;
  /** Fraction of rows, smallest norm first, used as reference when none is known (default 0.01). */
  readonly bootstrapFraction?: number;
  /** Token categories computed elsewhere; default: from the GGUF vocabulary and its tokenizer. */
  readonly structure?: TokenStructure;
  /** Reference ("known unused") token ids; replaces the unused + unreachable set. */
  readonly referenceIds?: readonly number[];
  /** Memory for the principal-component sample of rows, bytes (default 8 MiB). */
  readonly maxSampleBytes?: number;
  /** Bytes read per chunk; two chunks are in memory (default 4 MiB). */
  readonly chunkBytes?: number;
  readonly signal?: AbortSignal;
  /** Fraction done, 0..1, non-decreasing, with the current phase. */
  readonly onProgress?: (fraction: number, phase: string) => void;
}

export interface PrincipalComponentInfo {
  /** Rows in the in-memory sample (every k-th row). */
  readonly sampleRows: number;
  /** Lanczos steps on the sample (products with its covariance). */
  readonly iterations: number;
  /** True when the sample's Ritz residual met its tolerance (1e-7 of the eigenvalue). */
  readonly converged: boolean;
  /** Variance along the component (eigenvalue of the covariance; U's squared units). */
  readonly eigenvalue: number;
  /** eigenvalue / total variance (of the sample). */
  readonly varianceFraction: number;
  /** True when one power step over every row refined the sample's component. */
  readonly refinedOnAllRows: boolean;
  /**
   * |Cv − λv| / λ (0 = exact eigenvector). Without refinement: the Lanczos residual on the
   * sample. With refinement: the sample's component against the covariance of all rows; the
   * component used is one power step further on, its error smaller by about λ₂/λ₁.
   */
  readonly residual: number;
}

export interface GlitchIndicatorResult {
  readonly modelPath: string;
  /** SHA-256 (hex) over file size, header bytes and the tensor data read; see `fingerprintGlitchInputs`. */
  readonly fingerprint: string;
  readonly indicator: GlitchIndicatorKind;
  /** Short human-readable name of the indicator. */
  readonly indicatorLabel: string;
  readonly tied: boolean;
  /** Why this indicator and tensor were used. */
  readonly reason: string;
  readonly tensor: { readonly name: string; readonly type: string; readonly rows: number; readonly rowElements: number; readonly bytes: number };
  /** Indicator per row (token id); low = suspicious. L2 norm or cosine distance (0..2). */
  readonly values: Float32Array;
  /** Row ids by ascending value (most suspicious first); NaN last. */
  readonly order: Uint32Array;
  /** Position of each id in `order` (0 = most suspicious). */
  readonly rank: Uint32Array;
  /** Ordinary tokens at or below the threshold, most suspicious first. */
  readonly candidates: Uint32Array;
  readonly candidateFraction: number;
  /** The candidateFraction quantile of the ordinary tokens' values. */
  readonly candidateThreshold: number;
  /** TokenCategory per row. */
  readonly categories: Uint8Array;
  /** Rows per category (keys of TokenCategory). */
  readonly categoryCounts: Readonly<Record<keyof typeof TokenCategory, number>>;
  /** Where the categories came from. */
  readonly structureSource: 'given' | 'tokenizer' | 'attributes' | 'none';
  readonly reference: {
    /** 'known-unused': unused + unreachable tokens; 'given': options.referenceIds; 'bootstrap-lowest-norm'; 'not-needed' (norm indicator). */
    readonly source: 'known-unused' | 'given' | 'bootstrap-lowest-norm' | 'not-needed';
    readonly ids: Uint32Array;
  };
  readonly principalComponent?: PrincipalComponentInfo;
  readonly timing: {
    readonly totalMs: number;
    readonly headerMs: number;
    readonly structureMs: number;
    /** Wall time of each pass over the matrix. */
    readonly passMs: readonly number[];
    readonly pcaMs: number;
    readonly rankMs: number;
    /** Tensor bytes read over all passes. */
    readonly bytesRead: number;
  };
}

const DEFAULT_CANDIDATE_FRACTION = 0.02;
const DEFAULT_BOOTSTRAP_FRACTION = 0.01;
const DEFAULT_SAMPLE_BYTES = 8 << 20;
const DEFAULT_CHUNK_BYTES = 4 << 20;
const FINGERPRINT_VERSION = 'tokenscope-glitch-inputs-v1';

interface IndicatorChoice {
  readonly kind: GlitchIndicatorKind;
  readonly tied: boolean;
  readonly tensor: GgufTensorInfo;
  readonly reason: string;
}

/**
 * Which indicator and which tensor `computeGlitchIndicator` uses for this file: tied models
 * (no `output.weight`) use the unembedding cosine on token_embd, untied ones the norm of
 * token_embd, unless `indicator` forces one (the cosine on an untied model reads output.weight).
 */
export function chooseIndicator(g: GgufFile, indicator: 'auto' | GlitchIndicatorKind = 'auto'): IndicatorChoice {
  const embd = g.tensors.find((t) => t.name === 'token_embd.weight');
  const output = g.tensors.find((t) => t.name === 'output.weight');
  if (!embd) throw new TokenscopeError('gguf-unsupported', `${g.path}: no token_embd.weight tensor; not a llama.cpp language model (or a vocabulary-only file)`);
  const tied = output === undefined;
  const kind = indicator === 'auto' ? (tied ? 'unembedding-cosine' : 'embedding-norm') : indicator;
  if (kind === 'embedding-norm') {
    const reason = tied
      ? 'norm indicator requested on a tied model (output.weight absent); the paper uses the unembedding cosine for tied models'
      : 'output.weight present: input and output embeddings are untied, so input-embedding rows of unseen tokens keep their small initial norm (the paper’s E_in L2 norm)';
    return { kind, tied, tensor: embd, reason };
  }
  const reason = tied
    ? 'output.weight absent: the model ties its embeddings, so the unembedding is token_embd.weight; cosine distance to the mean unused row after removing the first principal component (the paper’s tied-model indicator)'
    : 'unembedding cosine requested on an untied model: output.weight, first principal component removed, cosine distance to the mean unused row';
  return { kind, tied, tensor: tied ? embd : output, reason };
}

/**
 * The cache key of `computeGlitchIndicator`'s inputs, computed without analysing: SHA-256 over
 * the file size, the header and metadata bytes (vocabulary included) and the bytes of the one
 * tensor the indicator reads. Equal to `result.fingerprint`. Cost: one streamed read of that
 * tensor (≈145 MB for a 0.5B Q8_0 model) at hashing speed.
 */
export async function fingerprintGlitchInputs(
  modelPath: string,
  options: { readonly indicator?: 'auto' | GlitchIndicatorKind; readonly signal?: AbortSignal; readonly onProgress?: (fraction: number) => void; readonly chunkBytes?: number } = {},
): Promise<string> {
  const g = GgufFile.open(modelPath);
  const choice = chooseIndicator(g, options.indicator);
  const m = matrixLayout(choice.tensor);
  const file = await fs.promises.open(modelPath, 'r');
  try {
    const hash = await startFingerprint(file, g, m);
    const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
    // Raw bytes only: no decoding needed, so read directly rather than through the row stream.
    const buf = new Uint8Array(Math.min(chunkBytes, Math.max(1, m.byteLength)));
    for (let done = 0; done < m.byteLength; ) {
      if (options.signal?.aborted) throw abortError('fingerprint cancelled');
      const want = Math.min(buf.length, m.byteLength - done);
      const { bytesRead } = await file.read(buf, 0, want, m.fileOffset + done);
      if (bytesRead <= 0) throw new TokenscopeError('gguf-invalid', `${modelPath}: file ends inside ${m.name}`);
      hash.update(buf.subarray(0, bytesRead));
      done += bytesRead;
      options.onProgress?.(done / m.byteLength);
    }
    return hash.digest('hex');
  } finally {
    await file.close();
  }
}

/** Hash state after the version tag, file size, header bytes and tensor identity. */
async function startFingerprint(file: fs.promises.FileHandle, g: GgufFile, m: MatrixLayout): Promise<Hash> {
  const hash = createHash('sha256');
  hash.update(FINGERPRINT_VERSION);
  const size = Buffer.alloc(8);
  size.writeBigUInt64LE(BigInt(g.fileSize));
  hash.update(size);
  const header = Buffer.alloc(g.dataOffset);
  let got = 0;
  while (got < header.length) {
    const { bytesRead } = await file.read(header, got, header.length - got, got);
    if (bytesRead <= 0) throw new TokenscopeError('gguf-invalid', `${g.path}: file ends inside its header`);
    got += bytesRead;
  }
  hash.update(header);
  hash.update(`${m.name}\0${m.type}\0${m.rows}\0${m.rowElements}\0${m.fileOffset}\0`);
  return hash;
}

/** Maps overall progress of the phases onto 0..1 (structure first, then passes by bytes). */
class ProgressMeter {
  private last = 0;
  constructor(
    private readonly report: ((fraction: number, phase: string) => void) | undefined,
    private readonly structureShare: number,
    private readonly passBytes: number,
  ) {}
  structure(f: number): void {
    this.emit(this.structureShare * f, 'tokens');
  }
  pass(bytesBefore: number, bytesNow: number, phase: string): void {
    this.emit(this.structureShare + (1 - this.structureShare) * Math.min(1, (bytesBefore + bytesNow) / this.passBytes), phase);
  }
  done(): void {
    this.emit(1, 'done');
  }
  private emit(f: number, phase: string): void {
    if (!this.report) return;
    this.last = Math.max(this.last, Math.min(1, f));
    this.report(this.last, phase);
  }
}

/** Streams the matrix pass after pass through one pair of read buffers; keeps each pass's wall time. */
class MatrixPasses {
  readonly passMs: number[] = [];
  /** Tensor bytes read over all passes. */
  bytesRead = 0;
  // One pair of read buffers for every pass (not a fresh 2 × 4 MiB per pass waiting for GC).
  private readonly buffers: readonly [Uint8Array, Uint8Array];

  constructor(
    readonly path: string,
    private readonly file: fs.promises.FileHandle,
    readonly m: MatrixLayout,
    chunkBytes: number | undefined,
    private readonly progress: ProgressMeter,
    private readonly signal: AbortSignal | undefined,
  ) {
    const chunk = Math.max(m.rowBytes, Math.min(chunkBytes ?? DEFAULT_CHUNK_BYTES, m.byteLength));
    this.buffers = [new Uint8Array(chunk), new Uint8Array(chunk)];
  }

  /** One pass: `visit` sees every row, dequantized; `hash` (if given) every byte read. */
  async stream(phase: string, visit: (row: number, values: Float32Array) => void, hash?: Hash): Promise<void> {
    const tp = performance.now();
    const before = this.bytesRead;
    const { m, signal } = this;
    await streamMatrixRows(
      this.file,
      m,
      {
        buffers: this.buffers,
        ...(signal ? { signal } : {}),
        ...(hash ? { onBytes: (b: Uint8Array) => hash.update(b) } : {}),
        onChunk: (rows) => this.progress.pass(before, rows * m.rowBytes, phase),
      },
      visit,
    );
    this.bytesRead += m.byteLength;
    this.passMs.push(performance.now() - tp);
  }
}

/**
 * Computes the paper's indicator for every token of the GGUF model at `modelPath`, ranks them and
 * selects candidates. Memory: two read chunks (2 × 4 MiB), the principal-component sample
 * (≤ 8 MiB), ≈ 21 bytes per token, whatever the matrix size; plus, when the categories are
 * computed here, the tokenizer and its structural analysis (transient, ≈ 100–200 MB of heap for
 * a 150k vocabulary: pass `structure`, see tokenStructureFromReport, to skip it). Time: dominated by dequantizing U once (untied) or three times
 * (tied); see bench/glitch.bench.ts. Throws an AbortError when `signal` aborts,
 * `gguf-unsupported` for tensor types that cannot be dequantized.
 */
export async function computeGlitchIndicator(modelPath: string, options: GlitchIndicatorOptions = {}): Promise<GlitchIndicatorResult> {
  const t0 = performance.now();
  const signal = options.signal;
  if (signal?.aborted) throw abortError('glitch analysis cancelled');
  const g = GgufFile.open(modelPath);
  const choice = chooseIndicator(g, options.indicator);
  const m = matrixLayout(choice.tensor);
  const headerMs = performance.now() - t0;
  const n = m.rows;
  const plan = planPasses(m, choice.kind, options.maxSampleBytes);
  const computeStructure = !options.structure && g.has('tokenizer.ggml.model');
  const progress = new ProgressMeter(options.onProgress, computeStructure ? 0.1 : 0, plan.passCount * m.byteLength);

  // Token categories (and the known-unused reference) from the vocabulary.
  const ts = performance.now();
  const structure = categorize(g, n, options.structure, (f) => progress.structure(f), signal);
  const structureMs = performance.now() - ts;
  const known = options.referenceIds ? uniqueIds(options.referenceIds, n) : structure.knownUnused;

  const file = await fs.promises.open(modelPath, 'r');
  try {
    const passes = new MatrixPasses(modelPath, file, m, options.chunkBytes, progress, signal);
    const hash = await startFingerprint(file, g, m);
    const sums = await sumRows(passes, plan, known, hash);
    const fingerprint = hash.digest('hex');
    const indicator = plan.cosine
      ? await cosineIndicator(passes, plan, sums, known, structure.categories, options)
      : normIndicator(sums.sumSq, known);
    const tr = performance.now();
    const fraction = options.candidateFraction ?? DEFAULT_CANDIDATE_FRACTION;
    const ranked = rankCandidates(indicator.values, structure.categories, fraction);
    const rankMs = performance.now() - tr;
    progress.done();

    return {
      modelPath,
      fingerprint,
      indicator: choice.kind,
      indicatorLabel: plan.cosine ? 'unembedding cosine distance to unused tokens (1st PC removed)' : 'input-embedding L2 norm',
      tied: choice.tied,
      reason: choice.reason,
      tensor: { name: m.name, type: ggmlTypeName(m.type), rows: n, rowElements: m.rowElements, bytes: m.byteLength },
      values: indicator.values,
      order: ranked.order,
      rank: ranked.rank,
      candidates: ranked.candidates,
      candidateFraction: fraction,
      candidateThreshold: ranked.candidateThreshold,
      categories: structure.categories,
      categoryCounts: countCategories(structure.categories),
      structureSource: structure.source,
      reference: indicator.reference,
      ...(indicator.principalComponent ? { principalComponent: indicator.principalComponent } : {}),
      timing: { totalMs: performance.now() - t0, headerMs, structureMs, passMs: passes.passMs, pcaMs: indicator.pcaMs, rankMs, bytesRead: passes.bytesRead },
    };
  } finally {
    await file.close();
  }
}

interface PassPlan {
  readonly cosine: boolean;
  /** Every sampleStride-th row goes into the principal-component sample. */
  readonly sampleStride: number;
  /** The sample is the whole matrix (stride 1): no refinement pass. */
  readonly sampleComplete: boolean;
  /** Norm → 1 pass; cosine → 2 (+1 full-data refinement when the sample is partial). */
  readonly passCount: number;
}

function planPasses(m: MatrixLayout, kind: GlitchIndicatorKind, maxSampleBytes: number | undefined): PassPlan {
  const sampleStride = Math.max(1, Math.ceil((m.rows * m.rowElements * 4) / (maxSampleBytes ?? DEFAULT_SAMPLE_BYTES)));
  const sampleComplete = sampleStride === 1;
  const cosine = kind === 'unembedding-cosine';
  return { cosine, sampleStride, sampleComplete, passCount: cosine ? (sampleComplete ? 2 : 3) : 1 };
}

/** Pass 1's sums. `mean` is a column sum until cosineIndicator divides it. */
interface RowSums {
  readonly sumSq: Float64Array;
  readonly mean: Float64Array | undefined;
  readonly sample: Float32Array | undefined;
  readonly sampleRows: number;
  /** Sum of the known reference rows (and later of the bootstrap ones). */
  readonly refSum: Float64Array;
}

/**
 * Pass 1: squared norms (float64 sums), and for the cosine the column mean, the sample and the sum
 * of known reference rows; the fingerprint hashes the bytes on the way.
 */
async function sumRows(passes: MatrixPasses, plan: PassPlan, known: readonly number[], hash: Hash): Promise<RowSums> {
  const { rows: n, rowElements: d } = passes.m;
  const { cosine, sampleStride } = plan;
  const sumSq = new Float64Array(n);
  const mean = cosine ? new Float64Array(d) : undefined;
  const sampleRows = cosine ? Math.ceil(n / sampleStride) : 0;
  const sample = cosine ? new Float32Array(sampleRows * d) : undefined;
  const isKnown = new Uint8Array(n);
  for (const id of known) isKnown[id] = 1;
  const refSum = new Float64Array(d);
  await passes.stream(
    'norms',
    (row, x) => {
      let s = 0;
      for (let k = 0; k < d; k++) s += x[k]! * x[k]!;
      sumSq[row] = s;
      if (!mean || !sample) return;
      for (let k = 0; k < d; k++) mean[k]! += x[k]!;
      if (row % sampleStride === 0) sample.set(x, (row / sampleStride) * d);
      if (isKnown[row]) for (let k = 0; k < d; k++) refSum[k]! += x[k]!;
    },
    hash,
  );
  return { sumSq, mean, sample, sampleRows, refSum };
}

interface IndicatorValues {
  readonly values: Float32Array;
  readonly reference: GlitchIndicatorResult['reference'];
  readonly principalComponent?: PrincipalComponentInfo;
  readonly pcaMs: number;
}

/** The untied-model indicator: each row's L2 norm. It needs no reference (the known ids are still reported). */
function normIndicator(sumSq: Float64Array, known: readonly number[]): IndicatorValues {
  const values = new Float32Array(sumSq.length);
  for (let i = 0; i < sumSq.length; i++) values[i] = Math.sqrt(sumSq[i]!);
  return { values, reference: { source: 'not-needed', ids: Uint32Array.from(known) }, pcaMs: 0 };
}

/**
 * The tied-model indicator after pass 1: the reference rows, the first principal component of the
 * centred sample (refined by a power step over all rows when the sample is partial), then the
 * cosine distances (see cosineDistances).
 */
async function cosineIndicator(
  passes: MatrixPasses,
  plan: PassPlan,
  sums: RowSums,
  known: readonly number[],
  categories: Uint8Array,
  options: GlitchIndicatorOptions,
): Promise<IndicatorValues> {
  const { rows: n, rowElements: d } = passes.m;
  const { sampleRows, refSum } = sums;
  const mean = sums.mean!;
  const sample = sums.sample!;
  for (let k = 0; k < d; k++) mean[k]! /= n;
  // Reference: known unused rows, else the smallest norms among non-special rows.
  let bootstrap = known.length === 0;
  const referenceIds = bootstrap ? lowestNormRows(sums.sumSq, categories, options.bootstrapFraction ?? DEFAULT_BOOTSTRAP_FRACTION) : Uint32Array.from(known);
  const source = bootstrap ? 'bootstrap-lowest-norm' : options.referenceIds ? 'given' : 'known-unused';
  if (referenceIds.length === 0) throw new TokenscopeError('glitch-no-reference', `${passes.path}: no reference rows for the cosine indicator`);

  const tp = performance.now();
  centerRows(sample, sampleRows, d, mean);
  const pc = principalComponentOfRows(sample, sampleRows, d);
  let pcaMs = performance.now() - tp;
  if (bootstrap && plan.sampleComplete) {
    // Every row is in the (centred) sample: sum the reference rows from it.
    for (const id of referenceIds) {
      const base = id * d;
      for (let k = 0; k < d; k++) refSum[k]! += sample[base + k]! + mean[k]!;
    }
    bootstrap = false;
  }
  let step = { vector: pc.vector, eigenvalue: pc.eigenvalue, residual: pc.residual };
  if (!plan.sampleComplete) {
    const refined = await refineOnAllRows(passes, mean, pc.vector, bootstrap ? referenceIds : undefined, refSum);
    step = refined;
    pcaMs += refined.ms;
  }
  const principalComponent: PrincipalComponentInfo = {
    sampleRows,
    iterations: pc.iterations,
    converged: pc.converged,
    eigenvalue: step.eigenvalue,
    varianceFraction: pc.totalVariance > 0 ? Math.min(1, step.eigenvalue / pc.totalVariance) : 0,
    refinedOnAllRows: !plan.sampleComplete,
    residual: step.residual,
  };
  const values = await cosineDistances(passes, step.vector, refSum, referenceIds.length);
  return { values, reference: { source, ids: referenceIds }, principalComponent, pcaMs };
}

/**
 * Pass 2 (partial sample only): one power step over all rows refines the sample's component `v`;
 * the bootstrap reference rows (`bootstrapIds`, not all in the sample) are summed into refSum on
 * the way. `ms`: the time of the step's arithmetic after the pass.
 */
async function refineOnAllRows(
  passes: MatrixPasses,
  mean: Float64Array,
  v: Float64Array,
  bootstrapIds: Uint32Array | undefined,
  refSum: Float64Array,
): Promise<{ vector: Float64Array; eigenvalue: number; residual: number; ms: number }> {
  const { rows: n, rowElements: d } = passes.m;
  const bootstrapRows = bootstrapIds ? new Uint8Array(n) : undefined;
  if (bootstrapIds && bootstrapRows) for (const id of bootstrapIds) bootstrapRows[id] = 1;
  const product = new CovarianceProduct(mean, v);
  await passes.stream('principal component', (row, x) => {
    product.addRow(x);
    if (bootstrapRows?.[row]) for (let k = 0; k < d; k++) refSum[k]! += x[k]!;
  });
  const tr = performance.now();
  const step = normalizedStep(v, product.result(n));
  return { ...step, ms: performance.now() - tr };
}

/**
 * Pass 3: cosine distance of each row with v removed to the reference mean with v removed.
 * With r the raw reference mean and a = x·v: x'·r' = x·r − a (r·v), |x'|² = |x|² − a².
 */
async function cosineDistances(passes: MatrixPasses, v: Float64Array, refSum: Float64Array, refCount: number): Promise<Float32Array> {
  const { rows: n, rowElements: d } = passes.m;
  const values = new Float32Array(n);
  const r = new Float64Array(d);
  for (let k = 0; k < d; k++) r[k] = refSum[k]! / refCount;
  let rv = 0;
  let rr = 0;
  for (let k = 0; k < d; k++) {
    rv += r[k]! * v[k]!;
    rr += r[k]! * r[k]!;
  }
  const refNorm = Math.sqrt(Math.max(0, rr - rv * rv));
  await passes.stream('cosine distances', (row, x) => {
    let s = 0;
    let a = 0;
    let b = 0;
    for (let k = 0; k < d; k++) {
      const xk = x[k]!;
      s += xk * xk;
      a += xk * v[k]!;
      b += xk * r[k]!;
    }
    const rowNorm = Math.sqrt(Math.max(0, s - a * a));
    // An all-zero row is what an untouched zero-initialised row looks like: as close as it gets.
    values[row] = s === 0 ? 0 : 1 - (b - a * rv) / Math.max(rowNorm * refNorm, 1e-30);
  });
  return values;
}

/**
 * Row ids by ascending value, each id's position, and the candidates: the ordinary tokens with the
 * lowest `fraction` of values (at least one), ties with the threshold included. O(n log n).
 */
function rankCandidates(
  values: Float32Array,
  categories: Uint8Array,
  fraction: number,
): Pick<GlitchIndicatorResult, 'order' | 'rank' | 'candidates' | 'candidateThreshold'> {
  const n = values.length;
  const order = rankAscending(values);
  const rank = new Uint32Array(n);
  for (let i = 0; i < n; i++) rank[order[i]!] = i;
  const eligible: number[] = [];
  for (let i = 0; i < n; i++) {
    const id = order[i]!;
    if (categories[id] === TokenCategory.Normal && !Number.isNaN(values[id]!)) eligible.push(id);
  }
  const take = Math.min(eligible.length, Math.max(eligible.length ? 1 : 0, Math.round(fraction * eligible.length)));
  const threshold = take > 0 ? values[eligible[take - 1]!]! : NaN;
  let end = take;
  while (end < eligible.length && values[eligible[end]!]! <= threshold) end++; // ties with the threshold are in
  return { order, rank, candidates: Uint32Array.from(eligible.slice(0, end)), candidateThreshold: threshold };
}

/**
 * Placeholder tokens a vocabulary reserves but no training text contains, typed control or
 * user-defined rather than UNUSED by their converters: vocabulary padding ([PAD151665], Qwen),
 * <unused12> (Gemma), <|reserved_special_token_7|> (Llama 3), <|dummy_3|>, <|extra_5|>. Their rows
 * are untrained by construction, so they join the reference set and leave the candidates.
 */
export const RESERVED_TOKEN = /^(?:\[PAD\d+\]|<unused\d+>|<\|reserved_special_token_\d+\|>|<\|?reserved_?\d+\|?>|<\|dummy_?\d+\|>|<\|extra_?\d+\|>)$/;

interface Categorized {
  readonly categories: Uint8Array;
  /** Unused (incl. reserved) + unreachable rows (the paper's known-unused reference). */
  readonly knownUnused: number[];
  readonly source: GlitchIndicatorResult['structureSource'];
}

/**
 * Categories of rows 0..rows−1. From `given` lists; else the GGUF vocabulary: token attributes
 * (unused, special, byte) and, when the tokenizer is supported, the structural analysis (partial
 * UTF-8 and unreachable tokens; O(vocabulary) short encodes, ≈0.5 s for 150k tokens).
 */
function categorize(g: GgufFile, rows: number, given: TokenStructure | undefined, onProgress: (f: number) => void, signal: AbortSignal | undefined): Categorized {
  const categories = new Uint8Array(rows);
  const mark = (ids: readonly number[] | undefined, c: TokenCategory): void => {
    for (const id of ids ?? []) if (id >= 0 && id < rows) categories[id] = c;
  };
  const finish = (vocabSize: number, source: Categorized['source']): Categorized => {
    for (let id = Math.max(0, vocabSize); id < rows; id++) categories[id] = TokenCategory.Absent;
    const knownUnused: number[] = [];
    for (let id = 0; id < rows; id++) if (categories[id] === TokenCategory.Unused || categories[id] === TokenCategory.Unreachable) knownUnused.push(id);
    return { categories, knownUnused, source };
  };
  if (given) {
    mark(given.unreachable, TokenCategory.Unreachable);
    mark(given.partial, TokenCategory.Partial);
    mark(given.byte, TokenCategory.Byte);
    mark(given.special, TokenCategory.Special);
    mark(given.unused, TokenCategory.Unused);
    return finish(given.vocabSize ?? rows, 'given');
  }
  if (!g.has('tokenizer.ggml.model')) return finish(rows, 'none');
  let vocab: GgufVocab | undefined;
  try {
    vocab = GgufVocab.fromGguf(g);
  } catch {
    // Unsupported tokenizer model or pre-tokenizer: the raw token types still say unused/special/byte.
  }
  if (!vocab) {
    const tokens = g.getStringArray('tokenizer.ggml.tokens');
    const types = g.getInt32Array('tokenizer.ggml.token_type');
    if (!tokens || !types) return finish(rows, 'none');
    for (let id = 0; id < Math.min(rows, types.length, tokens.length); id++) {
      const t = types[id]!;
      if (t === 5) categories[id] = TokenCategory.Unused;
      else if (t === 2 || t === 3 || t === 4) categories[id] = RESERVED_TOKEN.test(tokens.at(id)) ? TokenCategory.Unused : TokenCategory.Special;
      else if (t === 6) categories[id] = TokenCategory.Byte;
    }
    return finish(tokens.length, 'attributes');
  }
  const attrs = vocab.attrs;
  const size = Math.min(vocab.size, rows);
  let source: Categorized['source'] = 'attributes';
  try {
    const tokenizer = new GgufTokenizer(vocab);
    const report = analyzeStructure(vocabularyOfGguf(tokenizer), onProgress, signal);
    tokenizer.dispose(); // its word cache now holds every token: let it go before the passes
    mark(report.unreachable, TokenCategory.Unreachable);
    mark(report.partial, TokenCategory.Partial);
    source = 'tokenizer';
  } catch (e) {
    if (signal?.aborted) throw e instanceof Error && e.name === 'AbortError' ? e : abortError('glitch analysis cancelled');
    // A tokenizer that cannot be built: attributes only (no partial/unreachable detection).
  }
  for (let id = 0; id < size; id++) {
    const a = attrs[id]!;
    if (a & TokenAttr.Unused) categories[id] = TokenCategory.Unused;
    else if (a & (TokenAttr.Control | TokenAttr.UserDefined | TokenAttr.Unknown)) categories[id] = RESERVED_TOKEN.test(vocab.text(id)) ? TokenCategory.Unused : TokenCategory.Special;
    else if (a & TokenAttr.Byte) categories[id] = TokenCategory.Byte;
  }
  return finish(vocab.size, source);
}

function uniqueIds(ids: readonly number[], rows: number): number[] {
  const seen = new Uint8Array(rows);
  const out: number[] = [];
  for (const id of ids) {
    if (Number.isInteger(id) && id >= 0 && id < rows && !seen[id]) {
      seen[id] = 1;
      out.push(id);
    }
  }
  return out;
}

/** The `fraction` of rows with the smallest squared norm, among non-special present rows (at least one). */
function lowestNormRows(sumSq: Float64Array, categories: Uint8Array, fraction: number): Uint32Array {
  const ids: number[] = [];
  for (let i = 0; i < sumSq.length; i++) if (categories[i] !== TokenCategory.Special && categories[i] !== TokenCategory.Absent) ids.push(i);
  ids.sort((a, b) => sumSq[a]! - sumSq[b]! || a - b);
  return Uint32Array.from(ids.slice(0, Math.max(1, Math.round(fraction * ids.length))));
}

/** Ids 0..n−1 sorted by value ascending, NaN last, ties by id. O(n log n). */
function rankAscending(values: Float32Array): Uint32Array {
  const order = new Uint32Array(values.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  order.sort((a, b) => {
    const x = values[a]!;
    const y = values[b]!;
    if (Number.isNaN(x) || Number.isNaN(y)) return Number.isNaN(x) ? (Number.isNaN(y) ? a - b : 1) : -1;
    return x - y || a - b;
  });
  return order;
}

function countCategories(c: Uint8Array): Record<keyof typeof TokenCategory, number> {
  const counts = new Array<number>(7).fill(0);
  for (let i = 0; i < c.length; i++) counts[c[i]!]!++;
  const out = {} as Record<keyof typeof TokenCategory, number>;
  for (const [name, code] of Object.entries(TokenCategory) as Array<[keyof typeof TokenCategory, number]>) out[name] = counts[code]!;
  return out;
}
