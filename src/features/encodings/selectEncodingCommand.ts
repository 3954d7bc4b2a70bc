import * as vscode from 'vscode';
import { COMMAND_SELECT_ENCODING, COMMAND_SET_ENCODING } from '../../commandIds';
import type { Configuration, SettingTarget } from '../../configuration';
import { ENCODINGS, ENCODING_NAMES, isEncodingName, type EncodingName } from '../../core/tokenizer/encodings';
import type { Command } from '../../util/command';

type Where = vscode.QuickPickItem & { target: SettingTarget; language?: string };

/**
 * "Select Encoding…": the encoding, then where (workspace or user, all files or this language).
 * With arguments `{ encoding, target, language? }` it writes at once (keybindings, tests).
 */
export class SelectEncodingCommand implements Command {
  readonly id = COMMAND_SELECT_ENCODING;

  constructor(private readonly config: Pick<Configuration, 'encoding' | 'setEncoding'>) {}

  async execute(args?: { encoding: EncodingName; target: SettingTarget; language?: string }): Promise<EncodingName | undefined> {
    if (args && isEncodingName(args.encoding)) {
      await this.config.setEncoding(args.encoding, args.target === 'user' ? 'user' : 'workspace', args.language);
      return args.encoding;
    }
    const doc = vscode.window.activeTextEditor?.document;
    const current = this.config.encoding.of(doc);
    const pick = await vscode.window.showQuickPick(
      ENCODING_NAMES.map((e) => ({ label: e, description: e === current ? '(current)' : '', detail: ENCODINGS[e].models, encoding: e })),
      { title: 'Tokenscope: encoding', placeHolder: 'Tokenizer for counts, boundaries and commands' },
    );
    if (!pick) return undefined;
    const where = await vscode.window.showQuickPick(targets(doc), { title: `Use ${pick.encoding} for…` });
    if (!where) return undefined;
    await this.config.setEncoding(pick.encoding, where.target, where.language);
    return pick.encoding;
  }
}

function targets(doc: vscode.TextDocument | undefined): Where[] {
  const out: Where[] = [];
  const hasWorkspace = !!vscode.workspace.workspaceFolders?.length;
  if (hasWorkspace) out.push({ label: 'This workspace', description: 'all files', target: 'workspace' });
  if (hasWorkspace && doc) out.push({ label: `This workspace, ${doc.languageId} files`, description: `[${doc.languageId}]`, target: 'workspace', language: doc.languageId });
  out.push({ label: 'User settings', description: 'all workspaces', target: 'user' });
  if (doc) out.push({ label: `User settings, ${doc.languageId} files`, description: `[${doc.languageId}]`, target: 'user', language: doc.languageId });
  return out;
}

/** Internal (status-bar tooltip links): use an encoding in this workspace (or the user settings without one). */
export class SetEncodingCommand implements Command {
  readonly id = COMMAND_SET_ENCODING;

  constructor(private readonly config: Pick<Configuration, 'setEncoding' | 'defaultTarget'>) {}

  async execute(encoding: unknown): Promise<void> {
    if (!isEncodingName(encoding)) return;
    await this.config.setEncoding(encoding, this.config.defaultTarget);
  }
}
