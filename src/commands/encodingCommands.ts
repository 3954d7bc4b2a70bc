import * as vscode from 'vscode';
import { formatCharsPerToken, formatCount } from '../core/format/formatCount';
import { ENCODINGS, ENCODING_NAMES, isEncodingName, type EncodingName } from '../core/tokenizer/encodings';
import type { BackgroundTokenizer } from '../core/tokenizer/backgroundTokenizer';
import type { TokenizerRegistry } from '../core/tokenizer/tokenizerRegistry';
import type { Configuration } from '../configuration';
import { COMMAND_COMPARE_ENCODINGS, COMMAND_SELECT_ENCODING, COMMAND_SET_ENCODING } from './commandIds';

export interface EncodingComparison {
  readonly scope: 'selection' | 'document';
  readonly chars: number;
  readonly rows: readonly { readonly encoding: EncodingName; readonly tokens: number; readonly charsPerToken: number }[];
  /** The loaded local model's own tokenizer (undefined: no model loaded, or the text is over MODEL_COUNT_LIMIT). */
  readonly model?: { readonly name: string; readonly tokens: number; readonly charsPerToken: number };
}

/** A loaded local model's tokenizer, for "Compare Encodings". */
export interface LocalModelTokenizer {
  readonly name: string;
  count(text: string): number;
}

/** The local model's tokenizer runs on this thread (≈36 MB/s): up to 2 M UTF-16 units is ≤ 60 ms. */
const MODEL_COUNT_LIMIT = 2 * 1024 * 1024;

/** Above this many UTF-16 units the comparison runs in the worker, with progress (≈20 ms per encoding per MB). */
const COMPARE_IN_WORKER = 512 * 1024;

type Target = { label: string; description: string; target: vscode.ConfigurationTarget; language?: string };

/**
 * "Select Encoding…" (the encoding, then where: workspace or user, all files or this language),
 * the internal "set encoding" used by tooltip links, and "Compare Encodings" (a quick pick listing
 * the count and chars/token of the selection or document under every encoding; picking one selects it).
 */
export function register(registry: TokenizerRegistry, background: BackgroundTokenizer, config: Configuration, localModel: () => LocalModelTokenizer | undefined = () => undefined): vscode.Disposable {
  const write = async (encoding: EncodingName, target: vscode.ConfigurationTarget, language?: string): Promise<void> => {
    const scope = language ? { languageId: language } : undefined;
    await vscode.workspace.getConfiguration('tokenscope', scope).update('encoding', encoding, target, language !== undefined);
  };
  const defaultTarget = (): vscode.ConfigurationTarget => (vscode.workspace.workspaceFolders?.length ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global);

  const select = vscode.commands.registerCommand(
    COMMAND_SELECT_ENCODING,
    async (args?: { encoding: EncodingName; target: 'workspace' | 'user'; language?: string }): Promise<EncodingName | undefined> => {
    if (args && isEncodingName(args.encoding)) {
      // non-interactive form (keybindings, tests)
      await write(args.encoding, args.target === 'user' ? vscode.ConfigurationTarget.Global : vscode.ConfigurationTarget.Workspace, args.language);
      return args.encoding;
    }
    const doc = vscode.window.activeTextEditor?.document;
    const current = config.forDocument(doc).encoding;
    const pick = await vscode.window.showQuickPick(
      ENCODING_NAMES.map((e) => ({ label: e, description: e === current ? '(current)' : '', detail: ENCODINGS[e].models, encoding: e })),
      { title: 'Tokenscope: encoding', placeHolder: 'Tokenizer for counts, boundaries and commands' },
    );
    if (!pick) return undefined;
    const targets: Target[] = [];
    const hasWorkspace = !!vscode.workspace.workspaceFolders?.length;
    if (hasWorkspace) targets.push({ label: 'This workspace', description: 'all files', target: vscode.ConfigurationTarget.Workspace });
    if (hasWorkspace && doc) targets.push({ label: `This workspace, ${doc.languageId} files`, description: `[${doc.languageId}]`, target: vscode.ConfigurationTarget.Workspace, language: doc.languageId });
    targets.push({ label: 'User settings', description: 'all workspaces', target: vscode.ConfigurationTarget.Global });
    if (doc) targets.push({ label: `User settings, ${doc.languageId} files`, description: `[${doc.languageId}]`, target: vscode.ConfigurationTarget.Global, language: doc.languageId });
    const where = await vscode.window.showQuickPick(targets, { title: `Use ${pick.encoding} for…` });
    if (!where) return undefined;
    await write(pick.encoding, where.target, where.language);
    return pick.encoding;
  },
  );

  const set = vscode.commands.registerCommand(COMMAND_SET_ENCODING, async (encoding: unknown) => {
    if (!isEncodingName(encoding)) return;
    await write(encoding, defaultTarget());
  });

  const compare = vscode.commands.registerCommand(COMMAND_COMPARE_ENCODINGS, async (options?: { pick?: boolean }): Promise<EncodingComparison | undefined> => {
    const editor = vscode.window.activeTextEditor;
    if (!editor) {
      void vscode.window.showInformationMessage('Tokenscope: open an editor to compare encodings.');
      return undefined;
    }
    const sels = editor.selections.filter((s) => !s.isEmpty);
    const texts = sels.length ? sels.map((s) => editor.document.getText(s)) : [editor.document.getText()];
    const chars = texts.reduce((n, t) => n + t.length, 0);
    const row = (encoding: EncodingName, tokens: number): EncodingComparison['rows'][number] => ({ encoding, tokens, charsPerToken: tokens ? chars / tokens : 0 });
    const rows =
      chars > COMPARE_IN_WORKER
        ? await vscode.window.withProgress(
            { location: vscode.ProgressLocation.Notification, title: 'Tokenscope: counting under every encoding…', cancellable: true },
            async (progress, token) => {
              const ac = new AbortController();
              const sub = token.onCancellationRequested(() => ac.abort());
              try {
                const out = [];
                for (const encoding of ENCODING_NAMES) {
                  progress.report({ message: encoding, increment: 100 / ENCODING_NAMES.length });
                  let tokens = 0;
                  for (const t of texts) tokens += await background.count(encoding, t, ac.signal);
                  out.push(row(encoding, tokens));
                }
                return out;
              } finally {
                sub.dispose();
              }
            },
          ).then(
            (r) => r,
            () => undefined,
          )
        : ENCODING_NAMES.map((encoding) => row(encoding, texts.reduce((n, s) => n + registry.get(encoding).count(s), 0)));
    if (!rows) return undefined;
    const local = localModel();
    let model: EncodingComparison['model'];
    if (local && chars <= MODEL_COUNT_LIMIT) {
      const tokens = texts.reduce((n, t) => n + local.count(t), 0);
      model = { name: local.name, tokens, charsPerToken: tokens ? chars / tokens : 0 };
    }
    const result: EncodingComparison = { scope: sels.length ? 'selection' : 'document', chars, rows, ...(model ? { model } : {}) };
    if (options?.pick === false) return result;
    const current = config.forDocument(editor.document).encoding;
    const fewest = Math.min(...rows.map((r) => r.tokens), ...(model ? [model.tokens] : []));
    const items: (vscode.QuickPickItem & { encoding?: EncodingName })[] = rows.map((r) => ({
      label: `${r.encoding === current ? '$(check) ' : ''}${r.encoding}`,
      description: `${formatCount(r.tokens)} tokens · ${formatCharsPerToken(chars, r.tokens)} chars/token${r.tokens === fewest ? ' · fewest' : ''}`,
      detail: ENCODINGS[r.encoding].models,
      encoding: r.encoding,
    }));
    if (model) {
      items.push({ label: '', kind: vscode.QuickPickItemKind.Separator }, {
        label: `$(hubot) ${model.name}`,
        description: `${formatCount(model.tokens)} tokens · ${formatCharsPerToken(chars, model.tokens)} chars/token${model.tokens === fewest ? ' · fewest' : ''}`,
        detail: 'The loaded local model’s own tokenizer (from its GGUF file)',
      });
    } else if (local) {
      items.push({ label: '', kind: vscode.QuickPickItemKind.Separator }, { label: `$(hubot) ${local.name}`, description: 'not counted: over 2 M characters' });
    }
    const picked = await vscode.window.showQuickPick(
      items,
      { title: `Tokenscope: ${result.scope} (${formatCount(chars)} characters) under each encoding`, placeHolder: 'Pick one to use it in this workspace' },
    );
    if (picked?.encoding && picked.encoding !== current) await write(picked.encoding, defaultTarget());
    return result;
  });
  return vscode.Disposable.from(select, set, compare);
}
