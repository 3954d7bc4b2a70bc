import * as vscode from 'vscode';
import { Disposable } from '../../common/dispose';
import { COMMAND_EXPLAIN_SUGGESTION, COMMAND_SHOW_COMPLETION_STATS } from '../../commandIds';
import type { Suggestion } from '../../core/completion/types';

export type CompletionStatusState =
  | { readonly kind: 'off'; readonly why: string }
  | { readonly kind: 'idle' }
  | { readonly kind: 'generating' }
  | { readonly kind: 'ready'; readonly suggestion: Suggestion }
  | { readonly kind: 'skipped'; readonly why: string }
  | { readonly kind: 'error'; readonly message: string };

const HEALING_NOTE: Record<Suggestion['healing'], string> = {
  token: 'healed at token level (the engine\'s byte mask, or llama-server\'s grammar and bans)',
  exact: 'healed at byte level (exact next-byte probabilities, then the byte mask)',
  text: 'healed at text level (this backend gives no token control)',
  none: 'no token split at the cursor',
};

/** The status-bar item of inline completions: generating / ready / off, and why in the tooltip. */
export class CompletionStatus extends Disposable {
  private readonly item = this._register(vscode.window.createStatusBarItem('tokenscope.completion', vscode.StatusBarAlignment.Right, 98));
  state: CompletionStatusState = { kind: 'idle' };

  constructor() {
    super();
    this.item.name = 'Tokenscope Inline Completions';
    this.item.command = COMMAND_SHOW_COMPLETION_STATS;
    this.set({ kind: 'idle' });
    this.item.show();
  }

  set(s: CompletionStatusState): void {
    this.state = s;
    const [text, tooltip] = render(s);
    this.item.text = text;
    const md = new vscode.MarkdownString(`${tooltip}\n\n[Why this suggestion](command:${COMMAND_EXPLAIN_SUGGESTION}) · click: completion statistics`);
    // only our own command may run from the link
    md.isTrusted = { enabledCommands: [COMMAND_EXPLAIN_SUGGESTION] };
    this.item.tooltip = md;
  }
}

function render(s: CompletionStatusState): [string, string] {
  switch (s.kind) {
    case 'off':
      return ['$(circle-slash) FIM', `Inline completions: off — ${s.why}.`];
    case 'idle':
      return ['$(sparkle) FIM', 'Inline completions: waiting for typing.'];
    case 'generating':
      return ['$(loading~spin) FIM', 'Inline completions: generating…'];
    case 'ready':
      return [`$(sparkle) FIM ${s.suggestion.latencyMs.toFixed(0)} ms`, `Inline completions: last suggestion ${s.suggestion.source} in ${s.suggestion.latencyMs.toFixed(0)} ms, ${HEALING_NOTE[s.suggestion.healing]}.`];
    case 'skipped':
      return ['$(sparkle) FIM', `Inline completions: no suggestion — ${s.why}.`];
    case 'error':
      return ['$(warning) FIM', `Inline completions: failed — ${s.message}.`];
  }
}
