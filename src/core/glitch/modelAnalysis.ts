import { fork } from 'child_process';
import { TokenscopeError } from '../../common/errors';
import type { ModelCandidate } from './glitchIndex';
import type { AnalysisMessage, AnalysisRequest, ModelAnalysis } from './modelAnalysisProtocol';

export interface AnalysisRun {
  readonly analysis: ModelAnalysis;
  /** Served from the cache (same fingerprint analysed before). */
  readonly cached: boolean;
}

/**
 * Runs one analysis request in a fresh child process (`script` = modelAnalysisProcess.js) and
 * resolves with its result. Cancelling kills the process at once (safe even inside llama.cpp);
 * the cache keeps whatever was finished. Errors: TokenscopeError with the child's code
 * ('aborted', 'gguf-…', 'failed', 'crashed').
 */
export function runModelAnalysis(script: string, request: AnalysisRequest, options: { signal?: AbortSignal; onProgress?: (fraction: number, phase: string) => void } = {}): Promise<AnalysisRun> {
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) {
      reject(new TokenscopeError('aborted', 'cancelled'));
      return;
    }
    const child = fork(script, [], { execArgv: [], serialization: 'advanced', stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (d: string) => (stderr = (stderr + d).slice(-2000)));
    let settled = false;
    const settle = (f: () => void): void => {
      if (settled) return;
      settled = true;
      options.signal?.removeEventListener('abort', onAbort);
      f();
    };
    const onAbort = (): void => {
      child.kill('SIGKILL');
      settle(() => reject(new TokenscopeError('aborted', 'cancelled')));
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.on('message', (m: AnalysisMessage) => {
      if (m.type === 'progress') options.onProgress?.(m.fraction, m.phase);
      else if (m.type === 'result') settle(() => resolve({ analysis: m.analysis, cached: m.cached }));
      else settle(() => reject(new TokenscopeError(m.code, m.message)));
    });
    child.on('error', (e) => settle(() => reject(new TokenscopeError('crashed', `analysis process failed: ${e.message}`, { cause: e }))));
    child.on('exit', (code, signal) => settle(() => reject(new TokenscopeError('crashed', `analysis process exited (${signal ?? `code ${code}`}) without a result${stderr ? `: ${stderr.trim().split('\n').slice(-2).join(' | ')}` : ''}`))));
    child.send(request);
  });
}

/** Unverified candidates that become text warnings: the top of the ranking only (the 2 % tail is noisy). */
export const UNVERIFIED_IN_EDITOR = 200;

/**
 * The candidates worth a diagnostic in documents: tokens whose text is distinctive (at least two
 * letters and three characters: under-trained pieces of punctuation or whitespace would flag every
 * file), either confirmed by prompting or among the top-ranked unverified ones; never tokens the
 * model repeated fine.
 */
export function candidatesForEditor(a: ModelAnalysis): ModelCandidate[] {
  const out: ModelCandidate[] = [];
  let unverified = 0;
  for (const c of a.candidates) {
    const v = c.verification?.verdict;
    if (v === 'trained') continue;
    const letters = c.text.match(/\p{L}/gu)?.length ?? 0;
    if (letters < 2 || c.text.trim().length < 3 || c.text.includes('\uFFFD')) continue;
    if (v !== 'under-trained' && ++unverified > UNVERIFIED_IN_EDITOR) continue;
    out.push({ id: c.id, text: c.text, rank: c.rank, indicator: a.indicatorLabel, value: c.value, model: a.modelName, ...(v === 'under-trained' ? { verified: true } : {}) });
  }
  return out;
}
