import { Worker } from 'worker_threads';
import type { IDisposable } from '../../common/dispose';
import type { ILogger } from '../../common/logger';
import type { StructuralReport } from '../glitch/structural';
import type { BlockArrays } from './documentTokens';
import type { EncodingName } from './encodings';
import type { WorkerRequest, WorkerResponse } from './tokenizeWorkerProtocol';

export interface BackgroundTokenizeOptions {
  readonly blockTarget?: number;
  readonly signal?: AbortSignal;
  /** Code units done so far, about every 256 K. */
  readonly onProgress?: (done: number) => void;
}

type Result = BlockArrays | ReferenceResult | number | StructuralReport;

interface Pending {
  readonly resolve: (a: Result) => void;
  readonly reject: (e: Error) => void;
  readonly onProgress?: (done: number) => void;
}

/** tiktoken's own ids for a text, and how long tiktoken took (ms, in the worker). */
export interface ReferenceResult {
  readonly ids: Uint32Array;
  readonly ms: number;
}

/**
 * Worker is stopped after this long without requests: it holds ~30 MB with o200k loaded, and after
 * a large document far more (its heap is only returned to the system when it exits).
 */
const IDLE_MS = 10_000;

/**
 * Tokenizes whole documents in a worker thread, so that opening a 50 MB file never blocks the
 * extension host. One worker, created on demand, requests served in order; `signal` cancels a queued
 * or running request (checked every ≈5 ms of work).
 */
export class BackgroundTokenizer implements IDisposable {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private idleTimer: NodeJS.Timeout | undefined;
  private disposed = false;

  constructor(
    private readonly workerScript: string,
    private readonly ranksDir: string,
    private readonly logger?: ILogger,
  ) {}

  tokenize(encoding: EncodingName, text: string, options: BackgroundTokenizeOptions = {}): Promise<BlockArrays> {
    return this.request('tokenize', encoding, text, options) as Promise<BlockArrays>;
  }

  /**
   * Encodes with tiktoken's WASM build (the reference implementation) in the worker. A running
   * WASM call cannot be interrupted: on abort the promise rejects at once and the result is dropped.
   */
  referenceEncode(encoding: EncodingName, text: string, signal?: AbortSignal): Promise<ReferenceResult> {
    return this.request('reference', encoding, text, { signal }) as Promise<ReferenceResult>;
  }

  /** Token count of `text` (as if sent alone), computed in the worker. */
  count(encoding: EncodingName, text: string, signal?: AbortSignal): Promise<number> {
    return this.request('count', encoding, text, { signal }) as Promise<number>;
  }

  /** Structural glitch analysis of an encoding's vocabulary (≈0.1–0.5 s), in the worker. */
  structure(encoding: EncodingName, signal?: AbortSignal): Promise<StructuralReport> {
    return this.request('structure', encoding, '', { signal }) as Promise<StructuralReport>;
  }

  private request(kind: 'tokenize' | 'reference' | 'count' | 'structure', encoding: EncodingName, text: string, options: BackgroundTokenizeOptions): Promise<Result> {
    if (this.disposed) return Promise.reject(new Error('background tokenizer disposed'));
    const signal = options.signal;
    if (signal?.aborted) return Promise.reject(abortError());
    clearTimeout(this.idleTimer);
    const worker = this.ensureWorker();
    // A pending request keeps the process alive (a CLI or test awaiting it); an idle worker does not.
    worker.ref();
    const id = this.nextId++;
    const cancel = new SharedArrayBuffer(4);
    return new Promise<Result>((resolve, reject) => {
      const onAbort = (): void => {
        Atomics.store(new Int32Array(cancel), 0, 1);
        if (kind !== 'tokenize') {
          this.pending.delete(id);
          done();
          reject(abortError());
        }
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const done = (): void => signal?.removeEventListener('abort', onAbort);
      this.pending.set(id, {
        resolve: (a) => {
          done();
          resolve(a);
        },
        reject: (e) => {
          done();
          reject(e);
        },
        onProgress: options.onProgress,
      });
      const req: WorkerRequest = { id, kind, encoding, text, blockTarget: options.blockTarget ?? 4096, cancel };
      worker.postMessage(req);
    });
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(this.workerScript, { workerData: { ranksDir: this.ranksDir } });
    w.on('message', (m: WorkerResponse) => this.onMessage(m));
    w.on('error', (e) => {
      this.logger?.error(`tokenizer worker failed: ${e.message}`);
      this.failAll(e);
    });
    w.on('exit', (code) => {
      if (this.worker === w) this.worker = undefined;
      if (this.pending.size > 0) this.failAll(new Error(`tokenizer worker exited with code ${code}`));
    });
    this.worker = w;
    return w;
  }

  private onMessage(m: WorkerResponse): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    switch (m.type) {
      case 'progress':
        p.onProgress?.(m.done);
        return;
      case 'result':
        this.pending.delete(m.id);
        p.resolve({ chunkEnds: m.chunkEnds, tokenEnds: m.tokenEnds, ids: m.ids, blocks: m.blocks });
        break;
      case 'reference':
        this.pending.delete(m.id);
        p.resolve({ ids: m.ids, ms: m.ms });
        break;
      case 'count':
        this.pending.delete(m.id);
        p.resolve(m.tokens);
        break;
      case 'structure':
        this.pending.delete(m.id);
        p.resolve(m.report);
        break;
      case 'cancelled':
        this.pending.delete(m.id);
        p.reject(abortError());
        break;
      case 'error':
        this.pending.delete(m.id);
        p.reject(new Error(m.message));
        break;
    }
    if (this.pending.size === 0) {
      this.worker?.unref();
      this.scheduleIdleStop();
    }
  }

  private scheduleIdleStop(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      if (this.pending.size === 0) void this.worker?.terminate();
    }, IDLE_MS);
    this.idleTimer.unref();
  }

  private failAll(e: Error): void {
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.idleTimer);
    this.failAll(new Error('background tokenizer disposed'));
    void this.worker?.terminate();
    this.worker = undefined;
  }
}

function abortError(): Error {
  const e = new Error('tokenization cancelled');
  e.name = 'AbortError';
  return e;
}
