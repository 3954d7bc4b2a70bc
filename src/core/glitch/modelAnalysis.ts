import { fork } from 'child_process';
import { TokenscopeError } from '../../common/errors';
import { childProcessTransport, describeExit, RequestChannel, stderrSummary } from '../../common/requestChannel';
import type { ModelCandidate } from './glitchIndex';
import type { AnalysisProgress, AnalysisRequest, AnalysisResult, ModelAnalysis } from './modelAnalysisProtocol';

export type AnalysisRun = AnalysisResult;

const cancelled = (): TokenscopeError => new TokenscopeError('aborted', 'cancelled');

/**
 * Runs one analysis request in a fresh child process (`script` = modelAnalysisProcess.js) and
 * resolves with its result. Cancelling kills the process at once (safe even inside llama.cpp);
 * the cache keeps whatever was finished. Errors: TokenscopeError with the child's code
 * ('aborted', 'gguf-…', 'failed', 'crashed').
 */
export async function runModelAnalysis(script: string, request: AnalysisRequest, options: { signal?: AbortSignal; onProgress?: (fraction: number, phase: string) => void } = {}): Promise<AnalysisRun> {
  if (options.signal?.aborted) throw cancelled();
  const child = fork(script, [], { execArgv: [], serialization: 'advanced', stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  const channel = new RequestChannel<AnalysisRequest, AnalysisResult, AnalysisProgress>(childProcessTransport(child), {
    abortError: cancelled,
    replyError: (code, message) => new TokenscopeError(code, message),
    exitError: (exit) => {
      if (exit.error) return new TokenscopeError('crashed', `analysis process failed: ${exit.error.message}`, { cause: exit.error });
      const tail = stderrSummary(exit, 2);
      return new TokenscopeError('crashed', `analysis process exited (${describeExit(exit)}) without a result${tail ? `: ${tail}` : ''}`);
    },
  });
  try {
    const { onProgress } = options;
    return await channel.request(request, {
      ...(options.signal ? { signal: options.signal } : {}),
      ...(onProgress ? { onEvent: (p: AnalysisProgress) => onProgress(p.fraction, p.phase) } : {}),
      settleOnAbort: 'now',
    });
  } finally {
    channel.dispose();
    // an abort ends the process here (SIGKILL: safe at any moment); after a reply it is exiting anyway
    child.kill('SIGKILL');
  }
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
