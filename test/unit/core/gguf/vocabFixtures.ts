/**
 * Shared fixtures for the GGUF tests: llama.cpp's vocab-only GGUF files and tokenization vectors
 * (extracted from node-llama-cpp's llama.cpp bundle by scripts/extractVocabs.mjs), and
 * node-llama-cpp itself as the oracle (llama.cpp's own tokenizer, prebuilt CPU binary).
 */
import * as fs from 'fs';
import * as path from 'path';
import { pathToFileURL } from 'url';
import { REPO_ROOT } from '../../../corpus';
import { GgufTokenizer } from '../../../../src/core/tokenizer/gguf/ggufTokenizer';
import { differingCodePoints, sameIds } from '../codePointSweep';

export const VOCAB_DIR = path.join(REPO_ROOT, '.vscode-test', 'vocabs');

/** Vocabs with .inp/.out vectors that the GGUF tokenizer supports. */
export const SUPPORTED_WITH_VECTORS = [
  'command-r', 'deepseek-coder', 'deepseek-llm', 'falcon', 'gpt-2', 'llama-bpe', 'llama-spm', 'mpt', 'phi-3', 'qwen2', 'qwen35', 'refact', 'starcoder',
] as const;

/** Supported vocabs without vectors (checked against node-llama-cpp only): no pre type → 'default', and an older SentencePiece vocab. */
export const SUPPORTED_WITHOUT_VECTORS = ['aquila', 'baichuan', 'gpt-neox'] as const;

interface ExtractVocabsModule {
  extractVocabs(options?: { outDir?: string; bundle?: string; force?: boolean }): { dir: string; files: string[]; extracted: boolean };
}

let extraction: Promise<string[]> | undefined;

/** Extracts the vocab files once per process (fast no-op when already present); returns their names. */
export function ensureVocabs(): Promise<string[]> {
  extraction ??= (async () => {
    // A non-literal specifier: the script is plain ESM without type declarations.
    const url = pathToFileURL(path.join(REPO_ROOT, 'scripts', 'extractVocabs.mjs')).href;
    const mod = (await import(url)) as ExtractVocabsModule;
    return mod.extractVocabs({ outDir: VOCAB_DIR }).files;
  })();
  return extraction;
}

export function vocabPath(name: string): string {
  return path.join(VOCAB_DIR, `ggml-vocab-${name}.gguf`);
}

export interface TokenizationVector {
  readonly text: string;
  readonly ids: readonly number[];
}

/**
 * The vectors of `ggml-vocab-<name>.gguf.inp/.out`, read as llama.cpp's test-tokenizer-0 reads
 * them: inputs separated by "\n__ggml_vocab_test__\n", one line of space-separated ids per input.
 */
export function readVectors(name: string): TokenizationVector[] {
  const raw = fs.readFileSync(`${vocabPath(name)}.inp`, 'utf8');
  const sep = '\n__ggml_vocab_test__\n';
  const inputs: string[] = [];
  for (let pos = 0; pos < raw.length; ) {
    const next = raw.indexOf(sep, pos);
    if (next < 0) {
      inputs.push(raw.slice(pos));
      break;
    }
    inputs.push(raw.slice(pos, next));
    pos = next + sep.length;
  }
  const lines = fs.readFileSync(`${vocabPath(name)}.out`, 'utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  if (lines.length !== inputs.length) throw new Error(`${name}: ${inputs.length} inputs but ${lines.length} outputs`);
  return inputs.map((text, i) => {
    const line = lines[i]!.trim();
    return { text, ids: line === '' ? [] : line.split(' ').map(Number) };
  });
}

/** llama.cpp's tokenizer for one vocab file, via node-llama-cpp. */
export interface LlamaCppVocab {
  /** llama_tokenize(text, add_special = false, parse_special = false). */
  tokenize(text: string): readonly number[];
  /** Special ids as llama.cpp resolved them (undefined when none). */
  readonly special: { bos?: number; eos?: number; eot?: number; sep?: number; fimPre?: number; fimSuf?: number; fimMid?: number };
  dispose(): Promise<void>;
}

/** The parts of node-llama-cpp used here (it is ESM-only; this file is CommonJS). */
type MaybeToken = number | null;
interface LlamaModelLike {
  tokenize(text: string, specialTokens?: boolean): readonly number[];
  readonly tokens: {
    bos: MaybeToken;
    eos: MaybeToken;
    eot: MaybeToken;
    sep: MaybeToken;
    infill: { prefix: MaybeToken; suffix: MaybeToken; middle: MaybeToken };
  };
  dispose(): Promise<void>;
}
interface LlamaLike {
  loadModel(options: { modelPath: string; vocabOnly?: boolean }): Promise<LlamaModelLike>;
}

let llama: Promise<LlamaLike> | undefined;

export function loadLlamaCppVocab(name: string): Promise<LlamaCppVocab> {
  return loadLlamaCppFile(vocabPath(name));
}

/** llama.cpp's tokenizer for any vocab GGUF file. */
export async function loadLlamaCppFile(file: string): Promise<LlamaCppVocab> {
  // Prebuilt CPU binary, no download or build. Logging disabled: a vocab-only load logs a
  // spurious "missing tensor" error before succeeding.
  llama ??= import('node-llama-cpp').then((nl) =>
    nl.getLlama({ gpu: false, build: 'never', skipDownload: true, maxThreads: 1, logLevel: nl.LlamaLogLevel.disabled }),
  );
  const model = await (await llama).loadModel({ modelPath: file, vocabOnly: true });
  const t = model.tokens;
  const id = (x: MaybeToken): number | undefined => x ?? undefined;
  return {
    tokenize: (text) => model.tokenize(text, false),
    special: {
      bos: id(t.bos),
      eos: id(t.eos),
      eot: id(t.eot),
      sep: id(t.sep),
      fimPre: id(t.infill.prefix),
      fimSuf: id(t.infill.suffix),
      fimMid: id(t.infill.middle),
    },
    dispose: () => model.dispose(),
  };
}

/** The parts of node-llama-cpp's own GGUF reader result used here. */
export interface NodeLlamaCppGgufInfo {
  readonly version: number;
  readonly metadata: unknown;
  readonly infoEndOffset?: number;
  readonly tensorInfo?: ReadonlyArray<{
    readonly name: string;
    readonly dimensions: ReadonlyArray<number | bigint>;
    readonly ggmlType: number;
    readonly offset: number | bigint;
    readonly fileOffset: number | bigint;
  }>;
}

/** node-llama-cpp's `readGgufFileInfo` (its pure-JS GGUF parser). */
export async function readGgufWithNodeLlamaCpp(file: string): Promise<NodeLlamaCppGgufInfo> {
  const nl = await import('node-llama-cpp');
  return nl.readGgufFileInfo(file, { sourceType: 'filesystem', logWarnings: false, spliceSplitFiles: false });
}

/** One vocabulary per pre-tokenizer family the GGUF tokenizer supports: the code-point sweep's set. */
export const SWEEP_VOCABS = ['starcoder', 'qwen2', 'qwen35', 'llama-bpe', 'deepseek-coder', 'gpt-2', 'command-r'] as const;

/** The code points whose probes the GGUF tokenizer splits differently from llama.cpp for vocab `name` (full sweep, codePointSweep.ts). */
export async function codePointsDifferingFromLlamaCpp(name: string): Promise<number[]> {
  await ensureVocabs();
  const oracle = await loadLlamaCppVocab(name);
  try {
    const tok = GgufTokenizer.load(vocabPath(name));
    return differingCodePoints((text) => sameIds(oracle.tokenize(text), tok.encode(text)));
  } finally {
    await oracle.dispose();
  }
}
