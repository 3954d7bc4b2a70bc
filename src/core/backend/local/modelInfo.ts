import * as fs from 'fs';
import { BackendError, errorMessage, isTokenscopeError } from '../../../common/errors';
import { runSteps, runStepsPaused, type Steps } from '../../../common/steps';
import { GgufFile, ggufTypeName } from '../../gguf/ggufFile';
import { GgufTokenizer } from '../../tokenizer/gguf/ggufTokenizer';
import { GgufVocab } from '../../tokenizer/gguf/ggufVocab';
import { detectFimFamily, FIM_TEMPLATES, type FimFamily } from '../fimTemplates';

/** What "Show Model Info" shows, and what the backend needs to build FIM prompts. */
export interface ModelInfo {
  readonly path: string;
  readonly sizeBytes: number;
  readonly architecture: string;
  readonly name: string | undefined;
  /** Quantization, e.g. "Q8_0", "Q4_K_M", or the dominant tensor type. */
  readonly quantization: string;
  readonly contextLength: number | undefined;
  readonly embeddingLength: number | undefined;
  readonly blockCount: number | undefined;
  readonly vocabSize: number;
  readonly tokenizerModel: string;
  readonly preTokenizer: string;
  /** 'metadata': the ids llama.cpp resolves (GGUF keys, else its table of marker texts); a family: our fallback. middle is -1 in SPM order. */
  readonly fim: { readonly prefix: number; readonly suffix: number; readonly middle: number; readonly order: 'psm' | 'spm'; readonly source: 'metadata' | FimFamily };
  readonly eos: number | undefined;
  readonly bos: number | undefined;
  /** The code-model family recognised from the vocabulary's markers (its stop strings apply to completions). */
  readonly family: FimFamily | undefined;
}

/** llama.cpp's `general.file_type` values (`llama_ftype`). */
const FILE_TYPES: Readonly<Record<number, string>> = {
  0: 'F32', 1: 'F16', 2: 'Q4_0', 3: 'Q4_1', 7: 'Q8_0', 8: 'Q5_0', 9: 'Q5_1', 10: 'Q2_K', 11: 'Q3_K_S', 12: 'Q3_K_M', 13: 'Q3_K_L',
  14: 'Q4_K_S', 15: 'Q4_K_M', 16: 'Q5_K_S', 17: 'Q5_K_M', 18: 'Q6_K', 19: 'IQ2_XXS', 20: 'IQ2_XS', 21: 'Q2_K_S', 22: 'IQ3_XS',
  23: 'IQ3_XXS', 24: 'IQ1_S', 25: 'IQ4_NL', 26: 'IQ3_S', 27: 'IQ3_M', 28: 'IQ2_S', 29: 'IQ2_M', 30: 'IQ4_XS', 31: 'IQ1_M', 32: 'BF16',
};

/**
 * Reads a model file's metadata and vocabulary (no tensor data) and works out its FIM tokens: from
 * the GGUF metadata (llama.cpp's ids), else from the family's marker texts in the vocabulary.
 * Throws BackendError: model-missing, model-corrupt (not a readable GGUF or an unsupported
 * vocabulary), model-no-fim.
 */
export function readModelInfo(path: string): { info: ModelInfo; tokenizer: GgufTokenizer } {
  return runSteps(readingSteps(path));
}

/**
 * `readModelInfo` with `pause()` awaited between its steps, for the extension host: the file's
 * string arrays (tokens, merges), the vocabulary's index, the merge table (BPE) or the decoded
 * texts (SentencePiece), and the pieces table, each in steps of 16k entries. The whole was one
 * 95 ms task at the first completion (hostile-documents suite); then tasks of 15–35 ms (the
 * file's parse 30, the pieces on the first reply 35); now ≈5–12 ms each, whatever the
 * vocabulary's size.
 */
export function readModelInfoSliced(path: string, pause: () => Promise<void>): Promise<{ info: ModelInfo; tokenizer: GgufTokenizer }> {
  return runStepsPaused(readingSteps(path), pause);
}

/** Reading a model file, yielding between its costly steps (one parse of the file for both the metadata and the tokenizer). */
function* readingSteps(path: string): Steps<{ info: ModelInfo; tokenizer: GgufTokenizer }> {
  const file = yield* openingModelFile(path);
  yield;
  const vocab = yield* readingModel(path, GgufVocab.fromGgufInSteps(file.g));
  yield;
  const tokenizer = yield* readingModel(path, GgufTokenizer.createInSteps(vocab, { name: GgufTokenizer.nameOf(path) }));
  yield;
  return describeModel(path, file, tokenizer);
}

/** Runs steps of reading the model, mapping their failure to model-missing or model-corrupt. */
function* readingModel<T>(path: string, steps: Steps<T>): Steps<T> {
  try {
    return yield* steps;
  } catch (e) {
    throw modelError(path, e);
  }
}

function modelError(path: string, e: unknown): BackendError {
  return new BackendError(isTokenscopeError(e, 'gguf-not-found') ? 'model-missing' : 'model-corrupt', `${path}: ${errorMessage(e)}`, { cause: e });
}

function* openingModelFile(path: string): Steps<{ g: GgufFile; stat: fs.Stats }> {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(path);
  } catch {
    throw new BackendError('model-missing', `model file not found: ${path}`);
  }
  if (!stat.isFile()) throw new BackendError('model-missing', `not a file: ${path}`);
  try {
    return { g: yield* GgufFile.openInSteps(path), stat };
  } catch (e) {
    throw modelError(path, e);
  }
}

/** The metadata shown and the FIM tokens, from an opened file and its tokenizer (disposed if the model has no FIM tokens). */
function describeModel(path: string, file: { g: GgufFile; stat: fs.Stats }, tokenizer: GgufTokenizer): { info: ModelInfo; tokenizer: GgufTokenizer } {
  const { g, stat } = file;
  const arch = g.getString('general.architecture') ?? 'unknown';
  const ft = g.getInteger('general.file_type');
  let quantization = ft !== undefined ? (FILE_TYPES[ft] ?? `type ${ft}`) : '';
  if (!quantization) {
    const bytesByType = new Map<number, number>();
    for (const t of g.tensors) bytesByType.set(t.ggmlType, (bytesByType.get(t.ggmlType) ?? 0) + t.dims.reduce((a, b) => a * Number(b), 1));
    const top = [...bytesByType.entries()].sort((a, b) => b[1] - a[1])[0];
    quantization = top ? ggufTypeName(top[0]) : 'unknown';
  }
  const sp = tokenizer.special;
  const family = detectFimFamily((t) => tokenizer.vocab.idOfText(t) !== undefined);
  let fim: ModelInfo['fim'] | undefined;
  if (sp.fimPre !== undefined && sp.fimSuf !== undefined && sp.fimMid !== undefined) {
    fim = { prefix: sp.fimPre, suffix: sp.fimSuf, middle: sp.fimMid, order: 'psm', source: 'metadata' };
  } else {
    if (family) {
      const t = FIM_TEMPLATES[family];
      const id = (s: string): number | undefined => tokenizer.vocab.idOfText(s.trim()) ?? tokenizer.vocab.idOfText(s);
      const [p, s, m] = [id(t.prefix), id(t.suffix), t.middle ? id(t.middle) : undefined];
      if (p !== undefined && s !== undefined && (m !== undefined || t.order === 'spm')) fim = { prefix: p, suffix: s, middle: m ?? -1, order: t.order, source: family };
    }
  }
  if (!fim) {
    tokenizer.dispose();
    throw new BackendError('model-no-fim', `${path}: no fill-in-the-middle tokens (not a FIM code model?)`);
  }
  const n = (k: string): number | undefined => g.getInteger(`${arch}.${k}`);
  return {
    info: {
      path,
      sizeBytes: stat.size,
      architecture: arch,
      name: g.getString('general.name'),
      quantization,
      contextLength: n('context_length'),
      embeddingLength: n('embedding_length'),
      blockCount: n('block_count'),
      vocabSize: tokenizer.vocabSize,
      tokenizerModel: tokenizer.vocab.model,
      preTokenizer: tokenizer.preType,
      fim,
      eos: sp.eos,
      bos: sp.bos,
      family,
    },
    tokenizer,
  };
}
