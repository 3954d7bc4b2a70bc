import { COMMAND_COMPLETION_ACCEPTED, COMMAND_SHOW_COMPLETION_STATS, COMMAND_TOGGLE_COMPLETIONS } from '../../commandIds';
import type { Configuration } from '../../configuration';
import type { HealingApplied } from '../../core/completion/types';
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
    await openMarkdown(md);
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
