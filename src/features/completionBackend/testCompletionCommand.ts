import * as vscode from 'vscode';
import { COMMAND_TEST_COMPLETION } from '../../commandIds';
import { errorMessage, isBackendError } from '../../common/errors';
import type { ILogger } from '../../common/logger';
import type { InfillResult } from '../../core/backend/backend';
import type { BackendService } from '../../services/backendService';
import { withSignal } from '../../util/cancellation';
import type { Command } from '../../util/command';

const TEST_PREFIX = 'def fibonacci(n):\n    """Return the n-th Fibonacci number."""\n    if n < 2:\n        return n\n    return ';
const TEST_SUFFIX = '\n\n\nprint(fibonacci(10))\n';

/**
 * "Test Completion Backend": one greedy infill of a small Python function (or `args`), timed and
 * logged. With `args` it runs without progress or messages and throws on failure.
 */
export class TestCompletionCommand implements Command {
  readonly id = COMMAND_TEST_COMPLETION;

  constructor(
    private readonly service: BackendService,
    private readonly showLog: () => void,
    private readonly log: ILogger,
  ) {}

  async execute(args?: { prefix?: string; suffix?: string; maxTokens?: number }): Promise<InfillResult | undefined> {
    const run = (signal?: AbortSignal): Promise<InfillResult> =>
      this.service.infill({ prefix: args?.prefix ?? TEST_PREFIX, suffix: args?.suffix ?? TEST_SUFFIX, maxTokens: args?.maxTokens ?? 48, temperature: 0, ...(signal ? { signal } : {}) });
    try {
      const r = args
        ? await run()
        : await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Tokenscope: test completion', cancellable: true }, (_p, token) => withSignal(token, run));
      const rate = r.generatedTokens && r.firstTokenMs !== undefined ? ` · ${((1000 * r.generatedTokens) / Math.max(1, r.totalMs - r.firstTokenMs)).toFixed(0)} tokens/s` : '';
      this.log.info(`test completion (${r.stopReason}, first token ${r.firstTokenMs?.toFixed(0) ?? '?'} ms, total ${r.totalMs.toFixed(0)} ms${rate}): ${JSON.stringify(r.text)}`);
      if (!args) void vscode.window.showInformationMessage(`Completion (${r.totalMs.toFixed(0)} ms${rate}): ${JSON.stringify(r.text.slice(0, 120))}`);
      return r;
    } catch (e) {
      if (args) throw e;
      if (!isBackendError(e, 'aborted')) void vscode.window.showErrorMessage(`Tokenscope: ${errorMessage(e)}`, 'Show Log').then((a) => a && this.showLog());
      return undefined;
    }
  }
}
