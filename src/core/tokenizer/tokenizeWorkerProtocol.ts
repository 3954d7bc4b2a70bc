import type { StructuralReport } from '../glitch/structural';
import type { BlockArrays } from './documentTokens';

/** tiktoken's own ids for a text, and how long tiktoken took (ms, in the worker). */
export interface ReferenceResult {
  readonly ids: Uint32Array;
  readonly ms: number;
}

/** What each kind of request returns. tokenize: Tokenscope's engine, block arrays. reference: tiktoken's WASM build, ids. */
export interface TokenizeResults {
  readonly tokenize: BlockArrays;
  readonly reference: ReferenceResult;
  readonly count: number;
  readonly structure: StructuralReport;
  /** The token count of a GGUF model's own tokenizer (llama.cpp's tokenization). */
  readonly modelCount: number;
}

export type TokenizeKind = keyof TokenizeResults;

/**
 * A request from BackgroundTokenizer (extension host) to tokenizeWorker (worker thread), over a
 * RequestChannel; 'tokenize' streams progress events (code units done).
 */
export type TokenizeRequest =
  | {
      readonly kind: Exclude<TokenizeKind, 'modelCount'>;
      readonly encoding: string;
      readonly text: string;
      readonly blockTarget: number;
    }
  | {
      readonly kind: 'modelCount';
      /** The GGUF file whose vocabulary counts (read in the worker, kept while its size and mtime stay). */
      readonly modelPath: string;
      readonly text: string;
    };
