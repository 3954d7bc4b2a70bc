import { Worker } from 'worker_threads';
import { abortError } from '../../common/async';
import type { IDisposable } from '../../common/dispose';
import type { ILogger } from '../../common/logger';
import { RequestChannel, workerTransport } from '../../common/requestChannel';
import type { StructuralReport } from '../glitch/structural';
import type { BlockArrays } from './documentTokens';
import type { EncodingName } from './encodings';
import type { ReferenceResult, TokenizeKind, TokenizeRequest, TokenizeResults } from './tokenizeWorkerProtocol';

export type { ReferenceResult } from './tokenizeWorkerProtocol';

export interface BackgroundTokenizeOptions {
  readonly blockTarget?: number;
  readonly signal?: AbortSignal;
  /** Code units done so far, about every 256 K. */
  readonly onProgress?: (done: number) => void;
}

/**
 * Worker is stopped after this long without requests: it holds ~30 MB with o200k loaded, and after
 * a large document far more (its heap is only returned to the system when it exits).
 */
const IDLE_MS = 10_000;

const cancelled = (): Error => abortError('tokenization cancelled');

/**
 * Tokenizes whole documents in a worker thread, so that opening a 50 MB file never blocks the
 * extension host. One worker, created on demand, requests served in order; `signal` cancels a queued
 * or running request (checked every ≈5 ms of work). A pending request keeps the process alive (a
 * CLI or test awaiting it); an idle worker does not, and is stopped after IDLE_MS.
 */
export class BackgroundTokenizer implements IDisposable {
  private worker: { readonly thread: Worker; readonly channel: RequestChannel<TokenizeRequest, TokenizeResults[TokenizeKind], number> } | undefined;
  private disposed = false;

  constructor(
    private readonly workerScript: string,
    private readonly ranksDir: string,
    private readonly logger?: ILogger,
  ) {}

  tokenize(encoding: EncodingName, text: string, options: BackgroundTokenizeOptions = {}): Promise<BlockArrays> {
    return this.request('tokenize', encoding, text, options);
  }

  /**
   * Encodes with tiktoken's WASM build (the reference implementation) in the worker. A running
   * WASM call cannot be interrupted: on abort the promise rejects at once and the result is dropped.
   */
  referenceEncode(encoding: EncodingName, text: string, signal?: AbortSignal): Promise<ReferenceResult> {
    return this.request('reference', encoding, text, { signal });
  }

  /** Token count of `text` (as if sent alone), computed in the worker. */
  count(encoding: EncodingName, text: string, signal?: AbortSignal): Promise<number> {
    return this.request('count', encoding, text, { signal });
  }

  /**
   * Token count of `text` by the GGUF model at `modelPath` (its vocabulary is read in the worker and
   * kept for the next request while the file is unchanged). Cannot stop once running: on abort the
   * promise rejects at once.
   */
  modelCount(modelPath: string, text: string, signal?: AbortSignal): Promise<number> {
    return this.send({ kind: 'modelCount', modelPath, text }, signal ? { signal } : {}) as Promise<number>;
  }

  /** Structural glitch analysis of an encoding's vocabulary (≈0.1–0.5 s), in the worker. */
  structure(encoding: EncodingName, signal?: AbortSignal): Promise<StructuralReport> {
    return this.request('structure', encoding, '', { signal });
  }

  private request<K extends Exclude<TokenizeKind, 'modelCount'>>(kind: K, encoding: EncodingName, text: string, options: BackgroundTokenizeOptions): Promise<TokenizeResults[K]> {
    return this.send({ kind, encoding, text, blockTarget: options.blockTarget ?? 4096 }, options) as Promise<TokenizeResults[K]>;
  }

  private send(request: TokenizeRequest, options: BackgroundTokenizeOptions): Promise<TokenizeResults[TokenizeKind]> {
    if (this.disposed) return Promise.reject(new Error('background tokenizer disposed'));
    const kind = request.kind;
    // only tokenization polls the abort flag; the other kinds cannot stop, so they settle at once
    return this.ensureWorker().channel.request(request, {
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onProgress ? { onEvent: options.onProgress } : {}),
      settleOnAbort: kind === 'tokenize' ? 'reply' : 'now',
    });
  }

  private ensureWorker(): NonNullable<BackgroundTokenizer['worker']> {
    if (this.worker) return this.worker;
    const thread = new Worker(this.workerScript, { workerData: { ranksDir: this.ranksDir } });
    const channel = new RequestChannel<TokenizeRequest, TokenizeResults[TokenizeKind], number>(workerTransport(thread), {
      abortError: cancelled,
      replyError: (code, message) => (code === 'aborted' ? cancelled() : new Error(message)),
      exitError: (exit) => {
        if (exit.error) {
          this.logger?.error(`tokenizer worker failed: ${exit.error.message}`);
          return exit.error;
        }
        if (this.worker?.thread === thread) this.worker = undefined;
        return new Error(`tokenizer worker exited with code ${exit.code}`);
      },
      idle: { ms: IDLE_MS, then: () => this.stopWorker(new Error('tokenizer worker stopped while idle')) },
      keepAliveWhileBusy: true,
    });
    this.worker = { thread, channel };
    return this.worker;
  }

  /** Detached first, so that a request arriving meanwhile starts a new worker instead of meeting a dying one. */
  private stopWorker(reason: Error): void {
    const w = this.worker;
    this.worker = undefined;
    w?.channel.close(reason);
    void w?.thread.terminate();
  }

  dispose(): void {
    this.disposed = true;
    this.stopWorker(new Error('background tokenizer disposed'));
  }
}
