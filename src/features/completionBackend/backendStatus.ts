import * as vscode from 'vscode';
import { Disposable } from '../../common/dispose';
import type { BackendErrorCode } from '../../common/errors';
import {
  COMMAND_BACKEND_MENU,
  COMMAND_DOWNLOAD_MODEL,
  COMMAND_PICK_MODEL,
  COMMAND_RETRY_BACKEND,
  COMMAND_SELECT_BACKEND,
  COMMAND_SHOW_LOG,
  COMMAND_SHOW_MODEL_INFO,
} from '../../commandIds';
import type { BackendService, BackendState } from '../../services/backendService';

const SHORT: Readonly<Record<BackendErrorCode, string>> = {
  'model-missing': 'Model missing',
  'model-corrupt': 'Model unreadable',
  'model-no-fim': 'Model has no FIM',
  'server-down': 'Server down',
  timeout: 'Server timeout',
  http: 'Server error',
  malformed: 'Bad server reply',
  truncated: 'Reply cut off',
  unsupported: 'Not supported',
  'engine-crashed': 'Engine crashed',
  aborted: 'Cancelled',
};

function isModelProblem(code: BackendErrorCode): boolean {
  return code === 'model-missing' || code === 'model-corrupt' || code === 'model-no-fim';
}

/** The status-bar item of the completion backend: its state, and a click to the actions that fix it. */
export class BackendStatus extends Disposable {
  private readonly item: vscode.StatusBarItem;
  /** What the item shows, for tests. */
  shown: { text: string; tooltip: string; visible: boolean } = { text: '', tooltip: '', visible: false };

  constructor(private readonly service: BackendService) {
    super();
    this.item = this._register(vscode.window.createStatusBarItem('tokenscope.backend', vscode.StatusBarAlignment.Right, 99));
    this.item.name = 'Tokenscope Completion Backend';
    this.item.command = COMMAND_BACKEND_MENU;
    this._register(service.onDidChangeState((s) => this.render(s)));
    this.render(service.state);
  }

  private render(s: BackendState): void {
    if (s.kind === 'off') {
      this.item.hide();
      this.shown = { text: '', tooltip: '', visible: false };
      return;
    }
    const md = new vscode.MarkdownString('', true);
    md.isTrusted = { enabledCommands: [COMMAND_SHOW_MODEL_INFO, COMMAND_PICK_MODEL, COMMAND_DOWNLOAD_MODEL, COMMAND_RETRY_BACKEND, COMMAND_SHOW_LOG, COMMAND_SELECT_BACKEND] };
    const local = this.service.kind === 'local';
    const what = local ? `local model **${s.label}**` : `**${this.service.kind}** ${s.label}`;
    let text: string;
    let background: vscode.ThemeColor | undefined;
    const links: string[] = [];
    switch (s.kind) {
      case 'idle':
        text = `$(hubot) ${s.label}`;
        md.appendMarkdown(`Tokenscope completions: ${what}${local ? ' — loads on first use' : ''}.`);
        links.push(`[Show Model Info](command:${COMMAND_SHOW_MODEL_INFO})`);
        break;
      case 'loading':
        text = `$(loading~spin) ${s.label}`;
        md.appendMarkdown(`Tokenscope completions: ${local ? 'loading' : 'connecting to'} ${what}…`);
        break;
      case 'ready':
        text = `$(hubot) ${s.label}`;
        md.appendMarkdown(`Tokenscope completions: ${what} — ready.\n\n${s.detail}`);
        links.push(`[Show Model Info](command:${COMMAND_SHOW_MODEL_INFO})`);
        break;
      case 'error':
        text = `$(warning) ${SHORT[s.code]}`;
        background = new vscode.ThemeColor(s.code === 'model-corrupt' || s.code === 'engine-crashed' ? 'statusBarItem.errorBackground' : 'statusBarItem.warningBackground');
        md.appendMarkdown(`Tokenscope completions: ${what} — **${SHORT[s.code].toLowerCase()}**.\n\n`);
        md.appendText(s.message.length > 400 ? `${s.message.slice(0, 400)}…` : s.message);
        if (isModelProblem(s.code)) links.push(`[Pick Model…](command:${COMMAND_PICK_MODEL})`, `[Download Model…](command:${COMMAND_DOWNLOAD_MODEL})`);
        links.push(`[Retry](command:${COMMAND_RETRY_BACKEND})`);
        if (!local) links.push(`[Select Backend…](command:${COMMAND_SELECT_BACKEND})`);
        links.push(`[Show Log](command:${COMMAND_SHOW_LOG})`);
        break;
    }
    if (s.kind !== 'loading' && s.kind !== 'error') links.push(`[Pick Model…](command:${COMMAND_PICK_MODEL})`, `[Select Backend…](command:${COMMAND_SELECT_BACKEND})`);
    if (links.length) md.appendMarkdown(`\n\n${links.join(' · ')}`);
    this.item.text = text;
    this.item.tooltip = md;
    this.item.backgroundColor = background;
    this.item.show();
    this.shown = { text, tooltip: md.value, visible: true };
  }
}
