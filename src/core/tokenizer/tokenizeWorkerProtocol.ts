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
}

export type TokenizeKind = keyof TokenizeResults;

/**
 * A request from BackgroundTokenizer (extension host) to tokenizeWorker (worker thread), over a
 * RequestChannel; 'tokenize' streams progress events (code units done).
 */
export interface TokenizeRequest {
  readonly kind: TokenizeKind;
  readonly encoding: string;
  readonly text: string;
  readonly blockTarget: number;
}
