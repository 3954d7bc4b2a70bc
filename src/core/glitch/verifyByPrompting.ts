/**
 * Optional verification of under-trained token candidates by prompting the model itself, as Land
 * & Bartolo ("Fishing for Magikarp", EMNLP 2024) verify theirs: build prompts in which the model
 * should repeat the candidate token, and measure the probability it gives that token where the
 * repetition belongs. A well-trained token is repeated with high probability; an under-trained
 * one cannot be (its unembedding row never learned to win), so a maximum probability below ~1 %
 * confirms it.
 *
 * Runs llama.cpp through node-llama-cpp (ESM-only, imported dynamically from this CommonJS
 * module), on the CPU, one thread. Cost per candidate: the prompts (≈ 450 tokens with
 * PAPER_PROMPTS, ≈ 190 with QUICK_PROMPTS, for a Qwen2-style vocabulary; the shared preamble of
 * each prompt stays cached) plus `generatedTokens` − 1 single-token steps per prompt: seconds per
 * candidate for a 0.5B model, so verify the first tens of candidates, not all 2 %.
 * Cancellable between evaluations (AbortSignal); progress per candidate.
 */
import { TokenscopeError } from '../../common/errors';
import { abortError } from '../gguf/dequantize';
import { GgufFile } from '../gguf/ggufFile';

/**
 * A repetition prompt, as the paper builds them: `preamble`, then `shots` times `input` +
 * `completion`, then `input` again and `completion` up to its first TOKEN, where the model should
 * now produce TOKEN. `{token}` marks each place of the token; the text around it is tokenized
 * piecewise and the candidate's id inserted, so the candidate need not be reachable from text.
 * The token's probability is read at that position and the next `generatedTokens − 1` greedy
 * steps (a model may first emit e.g. a space or quote token).
 */
export interface RepetitionPrompt {
  readonly name: string;
  readonly preamble: string;
  readonly input: string;
  readonly completion: string;
  /** Complete examples before the test. */
  readonly shots: number;
}

/** The paper's three verification prompts with its example counts (20, 0, 50). */
export const PAPER_PROMPTS: readonly RepetitionPrompt[] = [
  {
    name: 'input-output',
    preamble: 'This device repeats its input exactly, as shown in these 100 identical trials.',
    input: '\nInput: «{token}»\nOutput:',
    completion: ' «{token}»',
    shots: 20,
  },
  {
    name: 'assistant-explain',
    preamble: 'This helpful assistant explains what a phrase means, replying with identical responses to identical questions for reliability.',
    input: "\nUser: What does 'edslfkj' mean?\nAssistant: 'edslfkj' has no specific meaning I am aware of.\nUser: what does '{token}' mean?\nAssistant:",
    completion: " '{token}'",
    shots: 0,
  },
  {
    name: 'repeats',
    preamble: "Below is the output, as you can see it's just giving the same phrase repeated indefinitely:\n",
    input: '{token}',
    completion: '{token}',
    shots: 50,
  },
];

/** The same prompts with fewer examples (5, 0, 12): ≈3× fewer tokens per candidate. */
export const QUICK_PROMPTS: readonly RepetitionPrompt[] = PAPER_PROMPTS.map((p) => ({ ...p, shots: Math.min(p.shots, p.name === 'repeats' ? 12 : 5) }));

export type VerificationVerdict = 'under-trained' | 'inconclusive' | 'trained';

export interface TokenVerification {
  readonly id: number;
  /** Highest probability of the token over every prompt and checked position (0..1). */
  readonly maxProbability: number;
  /** under-trained: < confirmThreshold; trained: ≥ rejectThreshold; else inconclusive. */
  readonly verdict: VerificationVerdict;
  readonly prompts: ReadonlyArray<{
    readonly name: string;
    /** Probability of the token at each checked position. */
    readonly probabilities: readonly number[];
    /** The greedy tokens the model produced at those positions. */
    readonly generated: readonly number[];
  }>;
}

export interface VerifyOptions {
  /** Prompts (default PAPER_PROMPTS). */
  readonly prompts?: readonly RepetitionPrompt[];
  /** Positions checked per prompt (default 3, as the paper). */
  readonly generatedTokens?: number;
  /** Below this maximum probability a candidate is confirmed under-trained (default 0.01). */
  readonly confirmThreshold?: number;
  /** At or above this it is judged trained (default 0.1). */
  readonly rejectThreshold?: number;
  readonly signal?: AbortSignal;
  /** Fraction of candidates done (0..1), candidates done, total. */
  readonly onProgress?: (fraction: number, done: number, total: number) => void;
  /** Each candidate's result as soon as it is known (partial results survive a cancellation). */
  readonly onResult?: (result: TokenVerification) => void;
}

export interface VerificationReport {
  readonly modelPath: string;
  readonly results: readonly TokenVerification[];
  /** Candidate ids outside the model's vocabulary (skipped). */
  readonly skipped: readonly number[];
  readonly ms: number;
  readonly loadMs: number;
}

/** The parts of node-llama-cpp 3.22 used here (typed locally: the package is ESM-only). */
interface ControlledOutput {
  readonly next: { readonly logits?: Map<number, number>; readonly totalLogitWeight?: number };
}
type ControlledItem = number | [number, { generateNext: { logits: { filter: { tokens: readonly number[]; includeTop: number } }; totalLogitWeight: boolean } }];
interface SequenceLike {
  readonly nextTokenIndex: number;
  adaptStateToTokens(tokens: number[], allowShift?: boolean): Promise<void>;
  eraseContextTokenRanges(ranges: Array<{ start: number; end: number }>): Promise<void>;
  controlledEvaluate(input: ControlledItem[]): Promise<Array<ControlledOutput | undefined>>;
}
interface ContextLike {
  getSequence(): SequenceLike;
  dispose(): Promise<void>;
}
interface ModelLike {
  readonly tokens: { readonly bos: number | null; readonly shouldPrependBosToken: boolean };
  tokenize(text: string, specialTokens?: boolean): number[];
  createContext(options: { contextSize: number; batchSize: number; sequences: number; threads: number }): Promise<ContextLike>;
  dispose(): Promise<void>;
}
interface LlamaLike {
  loadModel(options: { modelPath: string; gpuLayers: number }): Promise<ModelLike>;
}

let llamaInstance: Promise<LlamaLike> | undefined;
/** One llama.cpp binding per process: the CPU build shipped with node-llama-cpp (never downloads or builds), one thread. */
function loadLlama(): Promise<LlamaLike> {
  llamaInstance ??= import('node-llama-cpp')
    .then(async (nl) => (await nl.getLlama({ gpu: false, build: 'never', skipDownload: true, maxThreads: 1, logLevel: nl.LlamaLogLevel.error })) as unknown as LlamaLike)
    .catch((e: unknown) => {
      llamaInstance = undefined; // a missing binary now need not fail every later call
      throw e;
    });
  return llamaInstance;
}

const TOKEN = '{token}';

/** Token ids of one prompt with `id` at every {token}. */
function promptTokens(p: RepetitionPrompt, id: number, tok: (s: string) => number[], bos: number | undefined): number[] {
  const cut = p.completion.indexOf(TOKEN);
  const text = p.preamble + (p.input + p.completion).repeat(p.shots) + p.input + (cut < 0 ? p.completion : p.completion.slice(0, cut));
  const out: number[] = bos === undefined ? [] : [bos];
  const parts = text.split(TOKEN);
  parts.forEach((part, i) => {
    if (i > 0) out.push(id);
    if (part) out.push(...tok(part));
  });
  return out;
}

/** p(id) and the greedy token from a filtered logit map (id and the top logit) and Σ exp(logit − max). */
function probabilityOf(o: ControlledOutput | undefined, id: number): { p: number; argmax: number } {
  const logits = o?.next.logits;
  const total = o?.next.totalLogitWeight;
  if (!logits || total === undefined || !(total > 0)) throw new TokenscopeError('glitch-verify', 'llama.cpp returned no logits');
  let argmax = -1;
  let max = -Infinity;
  for (const [t, v] of logits) {
    if (v > max) {
      max = v;
      argmax = t;
    }
  }
  const l = logits.get(id);
  return { p: l === undefined ? 0 : Math.exp(l - max) / total, argmax };
}

/**
 * Verifies `candidates` (token ids of the model's vocabulary) on the GGUF model at `modelPath`.
 * Loads the model (CPU), then for each candidate and prompt evaluates the prompt (a cached
 * prefix is reused per prompt: one context sequence per prompt) and reads the candidate's
 * probability at `generatedTokens` greedy positions. Throws an AbortError on cancellation
 * (results so far went to `onResult`).
 */
export async function verifyCandidatesByPrompting(modelPath: string, candidates: readonly number[], options: VerifyOptions = {}): Promise<VerificationReport> {
  const t0 = performance.now();
  const signal = options.signal;
  const checkAbort = (): void => {
    if (signal?.aborted) throw abortError('verification cancelled');
  };
  checkAbort();
  const prompts = options.prompts ?? PAPER_PROMPTS;
  const positions = Math.max(1, options.generatedTokens ?? 3);
  const confirm = options.confirmThreshold ?? 0.01;
  const reject = options.rejectThreshold ?? 0.1;
  // An id outside the vocabulary would abort llama.cpp (and the process): bound them first.
  const header = GgufFile.open(modelPath);
  const embd = header.tensors.find((t) => t.name === 'token_embd.weight');
  const vocabSize = Math.min(header.getStringArray('tokenizer.ggml.tokens')?.length ?? 0, embd?.dims[1] ?? Infinity);
  const llama = await loadLlama();
  checkAbort();
  const model = await llama.loadModel({ modelPath, gpuLayers: 0 });
  const loadMs = performance.now() - t0;
  const results: TokenVerification[] = [];
  const skipped: number[] = [];
  try {
    checkAbort();
    const bos = model.tokens.shouldPrependBosToken && model.tokens.bos !== null ? model.tokens.bos : undefined;
    const tok = (s: string): number[] => model.tokenize(s, false);
    // Longest prompt (a one-token candidate) plus the generated positions, rounded up.
    const longest = Math.max(...prompts.map((p) => promptTokens(p, 0, tok, bos).length));
    const contextSize = Math.ceil((longest + positions + 16) / 64) * 64;
    const context = await model.createContext({ contextSize, batchSize: contextSize, sequences: prompts.length, threads: 1 });
    try {
      const sequences = prompts.map(() => context.getSequence());
      const total = candidates.length;
      for (let c = 0; c < total; c++) {
        const id = candidates[c]!;
        checkAbort();
        if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
          skipped.push(id);
          options.onProgress?.((c + 1) / total, c + 1, total);
          continue;
        }
        const perPrompt: Array<{ name: string; probabilities: number[]; generated: number[] }> = [];
        let maxP = 0;
        for (let i = 0; i < prompts.length; i++) {
          const seq = sequences[i]!;
          const tokens = promptTokens(prompts[i]!, id, tok, bos);
          // Keep the shared prefix (the preamble) in the KV cache; re-evaluate at least the last
          // token so that its logits are produced.
          await seq.adaptStateToTokens(tokens, false);
          if (seq.nextTokenIndex >= tokens.length) await seq.eraseContextTokenRanges([{ start: tokens.length - 1, end: seq.nextTokenIndex }]);
          // Only two logits cross the binding (the candidate's and the top one, i.e. the greedy
          // token) plus Σ exp(logit − max), instead of a vocabulary-sized map per position.
          // (`includeMax` would say the same but node-llama-cpp 3.22.1 ignores it; `includeTop: 1` works.)
          const ask = { generateNext: { logits: { filter: { tokens: [id], includeTop: 1 } }, totalLogitWeight: true } };
          let input: ControlledItem[] = tokens.slice(seq.nextTokenIndex);
          input[input.length - 1] = [input[input.length - 1] as number, ask];
          const probabilities: number[] = [];
          const generated: number[] = [];
          for (let step = 0; step < positions; step++) {
            checkAbort();
            const out = await seq.controlledEvaluate(input);
            const { p, argmax } = probabilityOf(out[input.length - 1], id);
            probabilities.push(p);
            generated.push(argmax);
            maxP = Math.max(maxP, p);
            input = [[argmax, ask]];
          }
          perPrompt.push({ name: prompts[i]!.name, probabilities, generated });
        }
        const verdict: VerificationVerdict = maxP < confirm ? 'under-trained' : maxP >= reject ? 'trained' : 'inconclusive';
        const r: TokenVerification = { id, maxProbability: maxP, verdict, prompts: perPrompt };
        results.push(r);
        options.onResult?.(r);
        options.onProgress?.((c + 1) / total, c + 1, total);
      }
    } finally {
      await context.dispose();
    }
  } finally {
    await model.dispose();
  }
  return { modelPath, results, skipped, ms: performance.now() - t0, loadMs };
}
