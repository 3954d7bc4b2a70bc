import type { StructuralReport } from '../glitch/structural';

/** Messages between BackgroundTokenizer (extension host) and tokenizeWorker (worker thread). */
export interface WorkerRequest {
  readonly id: number;
  /** tokenize: Tokenscope's engine, block arrays back. reference: tiktoken's WASM build, ids back. count: a number back. */
  readonly kind: 'tokenize' | 'reference' | 'count' | 'structure';
  readonly encoding: string;
  readonly text: string;
  readonly blockTarget: number;
  /** SharedArrayBuffer of one Int32: non-zero = cancel. */
  readonly cancel: SharedArrayBuffer;
}

export type WorkerResponse =
  | { readonly type: 'progress'; readonly id: number; readonly done: number }
  | {
      readonly type: 'result';
      readonly id: number;
      readonly chunkEnds: Int32Array;
      readonly tokenEnds: Int32Array;
      readonly ids: Uint32Array;
      readonly blocks: Int32Array;
    }
  | { readonly type: 'reference'; readonly id: number; readonly ids: Uint32Array; readonly ms: number }
  | { readonly type: 'count'; readonly id: number; readonly tokens: number }
  | { readonly type: 'structure'; readonly id: number; readonly report: StructuralReport }
  | { readonly type: 'cancelled'; readonly id: number }
  | { readonly type: 'error'; readonly id: number; readonly message: string };
