import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type * as NodeLlamaCppModule from 'node-llama-cpp' with { 'resolution-mode': 'import' };
import type { Llama, LlamaContext, LlamaContextSequence, LlamaModel, Token } from 'node-llama-cpp' with { 'resolution-mode': 'import' };
import { LocalBackend } from '../src/core/backend/local/localBackend';
import { makeTokenBias } from '../src/core/backend/local/tokenBias';
import { GgmlType } from '../src/core/gguf/dequantize';
import { GgufFile } from '../src/core/gguf/ggufFile';
import { REPO_ROOT, jsCorpus } from '../test/corpus';
import { Rng, f32ToF16Bits, writeStreamingGguf, type StreamTensor } from '../test/unit/core/glitch/glitchModels';
import { metadataOf, type KvValue } from '../test/unit/core/gguf/ggufWriter';
import { ensureVocabs, vocabPath } from '../test/unit/core/gguf/vocabFixtures';
import { percentile } from './measure';
import type { BenchResult, BenchSuite } from './types';

/**
 * The local completion backend: llama.cpp (node-llama-cpp 3.22.1, prebuilt CPU binary) in a child
 * process, driven over IPC by LocalBackend. Figures for the shipped tiny FIM model and for a
 * Qwen2.5-0.5B-shaped model (real Qwen2 vocabulary, random Q8_0 weights: the speed of a model of
 * that shape, not its output). All with threads: 1 (the extension's default on 2 cores).
 *
 * - load: LocalBackend.open() until the engine reports the model loaded (median of 3 fresh opens).
 * - prompt_tps: one prefill of a FIM prompt from real code on an empty KV cache (reused = 0).
 * - gen_tps: 128 greedy tokens; decode rate (tokens after the first) / the engine's genMs. For the
 *   shipped model, node-llama-cpp driven in this process on the same prompt is the peer: the
 *   ratio is the cost of the process boundary (one IPC message per token).
 * - kvreuse: time to the first token of a request whose prompt shares all but its last few
 *   tokens with the cached one, against the same request on an empty cache.
 */

type NodeLlamaCpp = typeof NodeLlamaCppModule;

const WORKER = path.join(__dirname, '..', 'src', 'core', 'backend', 'local', 'localWorker.js');
const SHIPPED = path.join(REPO_ROOT, 'media', 'models', 'tokenscope-fim-tiny.gguf');
const GEN_TOKENS = 128;
/** Generation runs per side on the shipped model, in pairs (≈ 0.4 s each). */
const GEN_RUNS = 25;
const LONG_PROMPT = 1500;
/** Empties the KV cache (rollback caps the count at the context length). */
const ALL = Number.MAX_SAFE_INTEGER;

// ---- the Qwen2.5-0.5B-shaped model -----------------------------------------------------------------

/** Bump when the generated file changes (it is cached in the OS temp folder under this name). */
const QWEN_SHAPE_VERSION = 'v1';
const QWEN = { blocks: 24, embd: 896, ff: 4864, heads: 14, kvHeads: 2, ctx: 32768, ropeBase: 1e6, eps: 1e-6 } as const;

/**
 * Qwen2.5's special tokens after <|im_end|> (151646…151664). llama.cpp's qwen2 vocab file is
 * Qwen1.5's, where these ids are [PAD…] rows; Qwen2.5 (and Qwen2.5-Coder, whose FIM markers the
 * backend needs) names them. Ids and types as in Qwen2.5's GGUF files (3 control, 4 user-defined).
 */
const QWEN25_SPECIAL: ReadonlyArray<readonly [number, string, number]> = [
  [151646, '<|object_ref_start|>', 3], [151647, '<|object_ref_end|>', 3], [151648, '<|box_start|>', 3], [151649, '<|box_end|>', 3],
  [151650, '<|quad_start|>', 3], [151651, '<|quad_end|>', 3], [151652, '<|vision_start|>', 3], [151653, '<|vision_end|>', 3],
  [151654, '<|vision_pad|>', 3], [151655, '<|image_pad|>', 3], [151656, '<|video_pad|>', 3], [151657, '<tool_call>', 4],
  [151658, '</tool_call>', 4], [151659, '<|fim_prefix|>', 3], [151660, '<|fim_middle|>', 3], [151661, '<|fim_suffix|>', 3],
  [151662, '<|fim_pad|>', 3], [151663, '<|repo_name|>', 3], [151664, '<|file_sep|>', 3],
];

/** Random Q8_0 blocks whose values have standard deviation ≈ `std` (int8 quants uniform, std ≈ 73.9). */
function q8Pool(rng: Rng, blocks: number, std: number): Uint8Array {
  const out = new Uint8Array(blocks * 34);
  for (let b = 0; b < blocks; b++) {
    const h = f32ToF16Bits((std / 73.9) * (0.5 + rng.next()));
    out[b * 34] = h & 255;
    out[b * 34 + 1] = h >> 8;
    for (let j = 2; j < 34; j++) out[b * 34 + j] = rng.int(256);
  }
  return out;
}

/**
 * Writes the Qwen2.5-0.5B-shaped GGUF (≈ 530 MB) unless a file of this version is already there.
 * llama.cpp's qwen2 tensors: token_embd (tied: no output.weight, as in the real 0.5B),
 * output_norm, and per block attn_norm, attn_q/k/v (weights and F32 biases), attn_output,
 * ffn_norm, ffn_gate/up/down. Dims are [ne0, ne1] = [in, out]. Weights: random Q8_0 blocks
 * (std 0.02, like an initialised model, so activations stay finite), norms 1, biases small.
 */
export async function ensureQwenShapedModel(log: (line: string) => void): Promise<string> {
  const dir = path.join(os.tmpdir(), 'tokenscope-bench');
  const file = path.join(dir, `qwen2.5-0.5b-shape-random-q8_0-${QWEN_SHAPE_VERSION}.gguf`);
  if (fs.existsSync(file)) return file;
  await ensureVocabs();
  fs.mkdirSync(dir, { recursive: true });
  const t0 = performance.now();
  const vocab = GgufFile.open(vocabPath('qwen2'));
  const kv: Array<readonly [string, KvValue]> = [
    ['general.architecture', { type: 'string', value: 'qwen2' }],
    ['general.name', { type: 'string', value: 'Qwen2.5-0.5B shape, random weights (Tokenscope benchmark)' }],
    ['general.file_type', { type: 'u32', value: 7 }],
    ['general.quantization_version', { type: 'u32', value: 2 }],
    ['qwen2.block_count', { type: 'u32', value: QWEN.blocks }],
    ['qwen2.context_length', { type: 'u32', value: QWEN.ctx }],
    ['qwen2.embedding_length', { type: 'u32', value: QWEN.embd }],
    ['qwen2.feed_forward_length', { type: 'u32', value: QWEN.ff }],
    ['qwen2.attention.head_count', { type: 'u32', value: QWEN.heads }],
    ['qwen2.attention.head_count_kv', { type: 'u32', value: QWEN.kvHeads }],
    ['qwen2.rope.freq_base', { type: 'f32', value: QWEN.ropeBase }],
    ['qwen2.attention.layer_norm_rms_epsilon', { type: 'f32', value: QWEN.eps }],
    ['tokenizer.ggml.add_bos_token', { type: 'bool', value: false }],
  ];
  let vocabSize = 0;
  for (const [key, value] of metadataOf(vocab)) {
    if (!key.startsWith('tokenizer.') || kv.some(([k]) => k === key)) continue;
    if (key === 'tokenizer.ggml.tokens' && value.type === 'array' && value.elementType === 'string') {
      const tokens = [...value.value];
      for (const [id, text] of QWEN25_SPECIAL) tokens[id] = text;
      vocabSize = tokens.length;
      kv.push([key, { type: 'array', elementType: 'string', value: tokens }]);
    } else if (key === 'tokenizer.ggml.token_type' && value.type === 'array' && value.elementType === 'i32') {
      const types = [...value.value];
      for (const [id, , type] of QWEN25_SPECIAL) types[id] = type;
      kv.push([key, { type: 'array', elementType: 'i32', value: types }]);
    } else {
      kv.push([key, value]);
    }
  }
  if (vocabSize !== 151936) throw new Error(`qwen2 vocab has ${vocabSize} tokens, expected 151936`);

  const rng = new Rng(5);
  const POOL_BLOCKS = 1 << 17;
  const pool = q8Pool(rng, POOL_BLOCKS, 0.02);
  const q8 = (name: string, inFeatures: number, outFeatures: number): StreamTensor => {
    const blocks = (inFeatures / 32) * outFeatures;
    return {
      name,
      dims: [inFeatures, outFeatures],
      ggmlType: GgmlType.Q8_0,
      byteLength: blocks * 34,
      data: (write) => {
        for (let done = 0; done < blocks; ) {
          const n = Math.min(blocks - done, 1 << 15);
          const at = rng.int(POOL_BLOCKS - n + 1);
          write(pool.subarray(at * 34, (at + n) * 34));
          done += n;
        }
      },
    };
  };
  const f32 = (name: string, n: number, value: (i: number) => number): StreamTensor => ({
    name,
    dims: [n],
    ggmlType: GgmlType.F32,
    byteLength: n * 4,
    data: new Uint8Array(Float32Array.from({ length: n }, (_, i) => value(i)).buffer),
  });
  const { embd, ff } = QWEN;
  const kvDim = (embd / QWEN.heads) * QWEN.kvHeads;
  const bias = (): number => 0.02 * rng.normal();
  const tensors: StreamTensor[] = [q8('token_embd.weight', embd, vocabSize), f32('output_norm.weight', embd, () => 1)];
  for (let i = 0; i < QWEN.blocks; i++) {
    const b = `blk.${i}.`;
    tensors.push(
      f32(`${b}attn_norm.weight`, embd, () => 1),
      q8(`${b}attn_q.weight`, embd, embd),
      f32(`${b}attn_q.bias`, embd, bias),
      q8(`${b}attn_k.weight`, embd, kvDim),
      f32(`${b}attn_k.bias`, kvDim, bias),
      q8(`${b}attn_v.weight`, embd, kvDim),
      f32(`${b}attn_v.bias`, kvDim, bias),
      q8(`${b}attn_output.weight`, embd, embd),
      f32(`${b}ffn_norm.weight`, embd, () => 1),
      q8(`${b}ffn_gate.weight`, embd, ff),
      q8(`${b}ffn_up.weight`, embd, ff),
      q8(`${b}ffn_down.weight`, ff, embd),
    );
  }
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    writeStreamingGguf(tmp, kv, tensors);
    fs.renameSync(tmp, file);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  log(`wrote ${file} (${(fs.statSync(file).size / 1e6).toFixed(0)} MB) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return file;
}

// ---- prompts ---------------------------------------------------------------------------------------

/** Lines of real code: TypeScript's compiler (typescript.js, readable, not minified), from line 2000 of its first MB. */
function codeLines(): string[] {
  const ts = jsCorpus(1_000_000)[0]!;
  return ts.text.split('\n').slice(2000);
}

interface FimCase {
  readonly prefix: string;
  readonly suffix: string;
  readonly prompt: number[];
}

/**
 * A FIM prompt of at most `tokens` tokens around line `at` of `lines`: the cursor in the middle of
 * that line, about three lines of prefix for each line of suffix, grown while it fits.
 */
function fimCase(b: LocalBackend, lines: readonly string[], at: number, tokens: number): FimCase {
  const line = lines[at] ?? '';
  const cut = Math.floor(line.length / 2);
  let first = at;
  let last = at + 1;
  const make = (f: number, l: number): FimCase => {
    const prefix = lines.slice(f, at).join('\n') + (f < at ? '\n' : '') + line.slice(0, cut);
    const suffix = line.slice(cut) + '\n' + lines.slice(at + 1, l).join('\n');
    return { prefix, suffix, prompt: b.fimPrompt(prefix, suffix) };
  };
  let best = make(first, last);
  if (best.prompt.length > tokens) throw new Error(`line ${at} alone is longer than ${tokens} tokens`);
  for (let step = 0; ; step++) {
    const growPrefix = step % 4 !== 3 && first > 0;
    const next = growPrefix ? make(first - 1, last) : make(first, Math.min(lines.length, last + 1));
    if (next.prompt.length > tokens || (first === 0 && last >= lines.length)) return best;
    if (growPrefix) first--;
    else last++;
    best = next;
  }
}

// ---- measurements ----------------------------------------------------------------------------------

const fmt = (xs: readonly number[], digits = 0): string => xs.map((x) => x.toFixed(digits)).join(' / ');

/** Prompt tokens per second of one prefill on an empty KV cache. */
async function promptRate(b: LocalBackend, prompt: readonly number[], runs: number, log: (line: string) => void): Promise<number> {
  const rates: number[] = [];
  for (let i = 0; i < runs; i++) {
    await b.rollback(ALL);
    const t0 = performance.now();
    const r = await b.prefill(prompt);
    const ms = performance.now() - t0;
    if (r.reused !== 0 || r.evaluated !== prompt.length) throw new Error(`prefill on an empty cache reused ${r.reused} and evaluated ${r.evaluated} of ${prompt.length} tokens`);
    rates.push((r.evaluated / ms) * 1000);
  }
  log(`  prefill of ${prompt.length} tokens, empty cache: ${fmt(rates)} tokens/s`);
  return percentile(rates, 50);
}

interface GenRun {
  readonly tokens: readonly number[];
  /** Decode rate: tokens after the first / time after the first (ms) — the first comes with the prompt. */
  readonly rate: number;
  /** The same rate as the tokens arrived in this process. */
  readonly receivedRate: number;
}

/**
 * 128 greedy tokens through LocalBackend (on an empty cache when `fresh`). The EOS bias is passed as
 * a caller would, but node-llama-cpp drops biases on end-of-generation tokens (TokenBias.set), so
 * it does not keep EOS out: the prompts are chosen so that greedy decoding does not end early.
 */
async function generateOurs(b: LocalBackend, prompt: readonly number[], eos: number | undefined, fresh: boolean): Promise<GenRun> {
  if (fresh) await b.rollback(ALL);
  const arrived: number[] = [];
  const r = await b.generate(
    { prompt, maxTokens: GEN_TOKENS, temperature: 0, ...(eos !== undefined ? { bias: [[eos, -Infinity]] } : {}) },
    () => arrived.push(performance.now()),
  );
  const n = r.tokens.length;
  return { tokens: r.tokens, rate: ((n - 1) / r.genMs) * 1000, receivedRate: n > 1 ? ((n - 1) / (arrived.at(-1)! - arrived[0]!)) * 1000 : NaN };
}

/** node-llama-cpp in this process, as a user of the library would drive it: one sequence, evaluate(). */
class InProcess {
  private constructor(
    private readonly lib: NodeLlamaCpp,
    private readonly llama: Llama,
    private readonly model: LlamaModel,
    private readonly context: LlamaContext,
  ) {}

  private sequence: LlamaContextSequence | undefined;

  /** Opens the model; `steps` gets the time (ms) of each step, the same steps as the engine's load. */
  static async open(modelPath: string, contextSize: number, steps: Record<string, number> = {}): Promise<InProcess> {
    let t = performance.now();
    const lap = (name: string): void => {
      const now = performance.now();
      steps[name] = now - t;
      t = now;
    };
    const lib = await import('node-llama-cpp');
    lap('import');
    const llama = await lib.getLlama({ gpu: false, build: 'never', skipDownload: true, maxThreads: 1, logLevel: lib.LlamaLogLevel.error, logger: () => undefined });
    lap('getLlama');
    const model = await llama.loadModel({ modelPath, gpuLayers: 0 });
    lap('loadModel');
    const context = await model.createContext({ contextSize, threads: 1, sequences: 1 });
    lap('createContext');
    return new InProcess(lib, llama, model, context);
  }

  /** Generates GEN_TOKENS tokens after `prompt` on an empty KV cache. */
  async generate(prompt: readonly number[], eos: number | undefined): Promise<GenRun> {
    const seq = (this.sequence ??= this.context.getSequence());
    await seq.clearHistory();
    // EOS forbidden exactly as LocalBackend's worker forbids it
    const bias = makeTokenBias(this.lib, this.model, eos !== undefined ? [[eos, -Infinity]] : []);
    const tokens: number[] = [];
    let first = 0;
    for await (const t of seq.evaluate(prompt as Token[], { temperature: 0, tokenBias: bias })) {
      if (tokens.length === 0) first = performance.now();
      tokens.push(t);
      if (tokens.length >= GEN_TOKENS) break;
    }
    const rate = ((tokens.length - 1) / (performance.now() - first)) * 1000;
    return { tokens, rate, receivedRate: rate };
  }

  async dispose(): Promise<void> {
    await this.context.dispose();
    await this.model.dispose();
    await this.llama.dispose();
  }
}

/**
 * Picks a prompt (at most `tokens` long) whose greedy continuation does not end within
 * GEN_TOKENS tokens even without the EOS bias: the measured runs forbid EOS on both sides, but a
 * continuation the model would have ended is less like a real completion.
 */
async function longRunningPrompt(b: LocalBackend, lines: readonly string[], tokens: number, log: (line: string) => void): Promise<FimCase> {
  let best: { c: FimCase; n: number } | undefined;
  for (let i = 0; i < 24; i++) {
    const at = (400 + i * 997) % (lines.length - 200);
    const c = fimCase(b, lines, at, tokens);
    const r = await generateOurs(b, c.prompt, undefined, false);
    if (r.tokens.length >= GEN_TOKENS) {
      log(`  generation prompt: ${c.prompt.length} tokens around line ${at}${i > 0 ? ` (${i} earlier ones end before ${GEN_TOKENS} tokens)` : ''}`);
      return c;
    }
    if (!best || r.tokens.length > best.n) best = { c, n: r.tokens.length };
  }
  log(`  no prompt tried generates ${GEN_TOKENS} tokens before EOS; the best gives ${best!.n}`);
  return best!.c;
}

interface KvReuse {
  readonly coldMs: number;
  readonly warmMs: number;
  readonly promptTokens: number;
  readonly warmEvaluated: number;
}

/** The KV-reuse figure: cold over warm time to the first token, against the cold cache as peer (the note is the caller's). */
function kvSpeedup(id: string, kv: KvReuse): Omit<BenchResult, 'note'> {
  const speedup = kv.coldMs / kv.warmMs;
  return { id, value: speedup, unit: '×', peer: 'cold cache', peerValue: 1, ratio: speedup };
}

/** Wall time (ms, this process) from the request to its first streamed token. */
async function firstTokenMs(b: LocalBackend, prompt: readonly number[]): Promise<{ ms: number; reused: number; evaluated: number }> {
  const t0 = performance.now();
  let first: number | undefined;
  const r = await b.generate({ prompt, maxTokens: 1, temperature: 0 }, () => (first ??= performance.now() - t0));
  return { ms: first ?? performance.now() - t0, reused: r.reused, evaluated: r.evaluated };
}

/**
 * Request A, then B = A with the end of its suffix changed (as after an edit below the cursor):
 * B's time to first token with A in the KV cache against B's on an empty cache, alternated.
 */
async function kvReuse(b: LocalBackend, c: FimCase, runs: number, log: (line: string) => void): Promise<KvReuse> {
  const changed = b.fimPrompt(c.prefix, c.suffix.trimEnd() + ' // changed\n');
  const cold: number[] = [];
  const warm: number[] = [];
  let warmEvaluated = 0;
  for (let i = 0; i < runs; i++) {
    await b.rollback(ALL);
    const c0 = await firstTokenMs(b, changed);
    if (c0.reused !== 0) throw new Error(`cold request reused ${c0.reused} tokens`);
    cold.push(c0.ms);
    await firstTokenMs(b, c.prompt);
    const w = await firstTokenMs(b, changed);
    warm.push(w.ms);
    warmEvaluated = w.evaluated;
  }
  log(`  time to first token, ${changed.length}-token prompt: cold ${fmt(cold)} ms; sharing all but ${warmEvaluated} tokens with the cached request ${fmt(warm, 1)} ms`);
  return { coldMs: percentile(cold, 50), warmMs: percentile(warm, 50), promptTokens: changed.length, warmEvaluated };
}

async function openTimed(modelPath: string, contextSize: number): Promise<{ b: LocalBackend; ms: number }> {
  const t0 = performance.now();
  const b = await LocalBackend.open({ modelPath, workerScript: WORKER, contextSize, threads: 1 });
  return { b, ms: performance.now() - t0 };
}

async function close(b: LocalBackend): Promise<void> {
  b.dispose();
  await b.whenExited();
}

const suite: BenchSuite = {
  prefix: 'backend.',
  run: async (log) => {
    if (!fs.existsSync(WORKER)) throw new Error(`compiled worker missing: ${WORKER}`);
    const lines = codeLines();
    const results: BenchResult[] = [];
    const load = (): string => os.loadavg().map((x) => x.toFixed(1)).join(' ');
    log(`load average at start: ${load()} (2 cores; threads: 1 everywhere)`);

    // ---- shipped model ----
    const loads: number[] = [];
    const engineLoads: number[] = [];
    for (let i = 0; i < 3; i++) {
      const { b, ms } = await openTimed(SHIPPED, 4096);
      loads.push(ms);
      engineLoads.push(b.load?.loadMs ?? NaN);
      await close(b);
    }
    log(`shipped model (${(fs.statSync(SHIPPED).size / 1e6).toFixed(1)} MB): open → loaded ${fmt(loads)} ms (engine's own load ${fmt(engineLoads)} ms)`);
    results.push({
      id: 'backend.load.shipped',
      value: percentile(loads, 50) / 1000,
      unit: 's',
      note: `LocalBackend.open() to loaded, median of 3 fresh opens: metadata + tokenizer on this thread, fork, import node-llama-cpp, load; the engine's part ${percentile(engineLoads, 50).toFixed(0)} ms`,
    });

    const { b } = await openTimed(SHIPPED, 4096);
    try {
      const ctx = b.load!.contextSize;
      const eos = b.info.eos;
      log(`shipped: ${b.info.architecture}, ${b.info.blockCount} blocks × ${b.info.embeddingLength}, ${b.info.quantization}, context ${ctx} tokens (its training context)`);
      // a 1500-token prompt does not fit a 512-token context: the longest that does
      const ppPrompt = fimCase(b, lines, 5000, Math.min(LONG_PROMPT, ctx - 8)).prompt;
      const pp = await promptRate(b, ppPrompt, 7, log);
      results.push({ id: 'backend.prompt_tps.shipped', value: pp, unit: 'tokens/s', note: `prefill of a ${ppPrompt.length}-token FIM prompt (the context is ${ctx}) on an empty cache, median of 7` });

      const genCase = await longRunningPrompt(b, lines, Math.min(LONG_PROMPT, ctx - GEN_TOKENS - 8), log);
      const steps: Record<string, number> = {};
      const peer = await InProcess.open(SHIPPED, ctx, steps);
      log(`  node-llama-cpp in this process, first open: ${Object.entries(steps).map(([k, ms]) => `${k} ${ms.toFixed(0)} ms`).join(', ')}`);
      const ours: GenRun[] = [];
      const theirs: GenRun[] = [];
      try {
        await generateOurs(b, genCase.prompt, eos, true);
        await peer.generate(genCase.prompt, eos);
        // pairs, in alternating order: the machine's load drifts over seconds
        for (let i = 0; i < GEN_RUNS; i++) {
          if (i % 2 === 0) ours.push(await generateOurs(b, genCase.prompt, eos, true));
          theirs.push(await peer.generate(genCase.prompt, eos));
          if (i % 2 === 1) ours.push(await generateOurs(b, genCase.prompt, eos, true));
        }
      } finally {
        await peer.dispose();
      }
      const same = ours.every((r) => r.tokens.length === theirs[0]!.tokens.length && r.tokens.every((t, i) => t === theirs[0]!.tokens[i]));
      const rate = percentile(ours.map((r) => r.rate), 50);
      const peerRate = percentile(theirs.map((r) => r.rate), 50);
      const received = percentile(ours.map((r) => r.receivedRate), 50);
      const paired = percentile(ours.map((r, i) => r.rate / theirs[i]!.rate), 50);
      log(
        `  generation, ${genCase.prompt.length}-token prompt, ${ours[0]!.tokens.length} tokens: LocalBackend ${fmt(ours.map((r) => r.rate))} tokens/s ` +
          `(as received here ${received.toFixed(0)}); in-process ${fmt(theirs.map((r) => r.rate))} tokens/s; median of the paired ratios ${paired.toFixed(2)}; tokens ${same ? 'identical' : 'DIFFER'}`,
      );
      results.push({
        id: 'backend.gen_tps.shipped',
        value: rate,
        unit: 'tokens/s',
        peer: 'node-llama-cpp 3.22.1 in-process',
        peerValue: peerRate,
        ratio: rate / peerRate,
        note:
          `${ours[0]!.tokens.length} greedy tokens after a ${genCase.prompt.length}-token FIM prompt, decode rate (tokens 2…n / genMs), median of ${GEN_RUNS}, interleaved with the peer; ` +
          `as received by the extension host ${received.toFixed(0)} tokens/s; median of the ${GEN_RUNS} paired ratios ${paired.toFixed(2)}; difference per token ${((1 / rate - 1 / peerRate) * 1e6).toFixed(0)} µs; tokens ${same ? 'identical to' : 'DIFFERENT from'} the peer's`,
      });

      const kv = await kvReuse(b, fimCase(b, lines, 9000, Math.min(LONG_PROMPT, ctx - 16)), 7, log);
      results.push({
        ...kvSpeedup('backend.kvreuse.speedup.shipped', kv),
        note: `time to first token, ${kv.promptTokens}-token prompt (the context is ${ctx}), ${kv.warmEvaluated} new tokens: ${kv.warmMs.toFixed(1)} ms warm vs ${kv.coldMs.toFixed(1)} ms cold, median of 7`,
      });
    } finally {
      await close(b);
    }

    // ---- Qwen2.5-0.5B-shaped model ----
    const qwen = await ensureQwenShapedModel(log);
    const q = await openTimed(qwen, 4096);
    try {
      const qb = q.b;
      const f = qb.info.fim;
      log(
        `0.5B shape (${(fs.statSync(qwen).size / 1e6).toFixed(0)} MB, ${qb.info.architecture}, ${qb.info.blockCount} blocks × ${qb.info.embeddingLength}, ${qb.info.vocabSize} tokens): ` +
          `open → loaded ${(q.ms / 1000).toFixed(2)} s, context ${qb.load!.contextSize}; FIM ${qb.tokenizer.vocab.text(f.prefix)} ${qb.tokenizer.vocab.text(f.suffix)} ${qb.tokenizer.vocab.text(f.middle)} (${f.source})`,
      );
      const c = fimCase(qb, lines, 5000, LONG_PROMPT);
      const pp = await promptRate(qb, c.prompt, 3, log);
      results.push({ id: 'backend.prompt_tps.0_5b', value: pp, unit: 'tokens/s', note: `prefill of a ${c.prompt.length}-token FIM prompt on an empty cache, median of 3; Qwen2.5-0.5B shape, random Q8_0 weights` });

      const runs: GenRun[] = [];
      await generateOurs(qb, c.prompt, qb.info.eos, false);
      for (let i = 0; i < 3; i++) runs.push(await generateOurs(qb, c.prompt, qb.info.eos, false));
      log(`  generation after the ${c.prompt.length}-token prompt, ${runs[0]!.tokens.length} tokens: ${fmt(runs.map((r) => r.rate), 1)} tokens/s`);
      results.push({
        id: 'backend.gen_tps.0_5b',
        value: percentile(runs.map((r) => r.rate), 50),
        unit: 'tokens/s',
        note: `${runs[0]!.tokens.length} greedy tokens after a ${c.prompt.length}-token FIM prompt (cached), decode rate, median of 3; Qwen2.5-0.5B shape (24 × 896, tied embeddings, 152k vocabulary), random Q8_0 weights`,
      });

      const kv = await kvReuse(qb, fimCase(qb, lines, 9000, LONG_PROMPT), 3, log);
      results.push({
        ...kvSpeedup('backend.kvreuse.speedup', kv),
        note: `time to first token, ${kv.promptTokens}-token FIM prompt on the 0.5B shape, suffix end changed (${kv.warmEvaluated} tokens evaluated): ${kv.warmMs.toFixed(0)} ms with the earlier request cached vs ${kv.coldMs.toFixed(0)} ms cold, median of 3`,
      });
    } finally {
      await close(q.b);
    }
    log(`load average at the end: ${load()}`);
    return results;
  },
};
export default suite;
