import * as vscode from 'vscode';
import { COMMAND_COMPLETION_ACCEPTED, COMMAND_EXPLAIN_SUGGESTION, COMMAND_SHOW_COMPLETION_STATS, COMMAND_TOGGLE_COMPLETIONS } from '../../commandIds';
import type { Configuration } from '../../configuration';
import { explainMarkdown } from '../../core/completion/explain';
import type { HealingApplied, Suggestion } from '../../core/completion/types';
import type { BackendService } from '../../services/backendService';
import type { Command } from '../../util/command';
import { openMarkdown } from '../../util/editor';
import type { CompletionStats } from './completionStats';

/** Run by VS Code when the user accepts a suggestion (the item's command): counts it. */
export class CompletionAcceptedCommand implements Command {
  readonly id = COMMAND_COMPLETION_ACCEPTED;
  constructor(private readonly stats: CompletionStats) {}
  execute(healing: HealingApplied = 'none'): void {
    this.stats.accepted(healing);
  }
}

export class ShowCompletionStatsCommand implements Command {
  readonly id = COMMAND_SHOW_COMPLETION_STATS;
  constructor(private readonly stats: CompletionStats) {}
  async execute(): Promise<string> {
    const md = this.stats.report();
    await openMarkdown(md, 'Completion Statistics');
    return md;
  }
}

/** Flips `tokenscope.completion.enabled` in the user settings; returns the new value. */
export class ToggleCompletionsCommand implements Command {
  readonly id = COMMAND_TOGGLE_COMPLETIONS;
  constructor(
    private readonly config: Configuration,
    private readonly enabledNow: () => boolean,
  ) {}
  async execute(): Promise<boolean> {
    const next = !this.enabledNow();
    await this.config.setCompletionsEnabled(next);
    return next;
  }
}

/**
 * "Why This Suggestion": the last suggestion's tokens with their probabilities and sources, what
 * healing forced, the prompt tokens the engine evaluated, and the timings (core/completion/explain.ts).
 */
export class ExplainSuggestionCommand implements Command {
  readonly id = COMMAND_EXPLAIN_SUGGESTION;
  constructor(
    private readonly last: () => Suggestion | undefined,
    private readonly backend: Pick<BackendService, 'explainTokens'>,
  ) {}

  async execute(): Promise<string | undefined> {
    const s = this.last();
    if (!s) {
      void vscode.window.showInformationMessage('Tokenscope: no inline suggestion yet — type in an editor and wait for one.');
      return undefined;
    }
    const forcedBytes = s.healedBytes + (s.detail?.typedBytes ?? 0);
    const explained = s.detail ? await this.backend.explainTokens(s.detail, forcedBytes).catch(() => undefined) : undefined;
    const md = explainMarkdown(s, explained?.tokens, explained?.forced ?? '');
    await openMarkdown(md, 'Why This Suggestion');
    return md;
  }
}
