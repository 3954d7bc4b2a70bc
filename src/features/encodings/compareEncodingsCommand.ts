import * as vscode from 'vscode';
import { COMMAND_COMPARE_ENCODINGS } from '../../commandIds';
import type { Configuration } from '../../configuration';
import { formatCharsPerToken, formatCount } from '../../core/format/formatCount';
import type { BackgroundTokenizer } from '../../core/tokenizer/backgroundTokenizer';
import { ENCODINGS, ENCODING_NAMES, type EncodingName } from '../../core/tokenizer/encodings';
import type { TokenizerRegistry } from '../../core/tokenizer/tokenizerRegistry';
import type { LocalModelTokenizer } from '../../services/backendService';
import { withSignal } from '../../util/cancellation';
import type { Command } from '../../util/command';
import { activeEditorFor, nonEmptySelections } from '../../util/editor';

export interface EncodingComparison {
  readonly scope: 'selection' | 'document';
  readonly chars: number;
  readonly rows: readonly EncodingRow[];
  /** The loaded local model's own tokenizer (undefined: no model loaded, or the text is over MODEL_COUNT_LIMIT). */
  readonly model?: { readonly name: string; readonly tokens: number; readonly charsPerToken: number };
}

interface EncodingRow {
  readonly encoding: EncodingName;
  readonly tokens: number;
  readonly charsPerToken: number;
}

/** The local model's count is not taken over this many UTF-16 units (the worker reads it at 5–36 MB/s). */
const MODEL_COUNT_LIMIT = 16 * 1024 * 1024;

/**
 * Above this many UTF-16 units the comparison runs in the worker, with progress: the six encodings
 * take ≈20 ms per MB each, the local model's tokenizer 30–200 ms per MB (code … binary junk).
 */
const COMPARE_IN_WORKER = 32 * 1024;

interface Counted {
  readonly rows: readonly EncodingRow[];
  /** The local model's count (undefined: no model loaded, or the text is too long). */
  readonly modelTokens: number | undefined;
}

/**
 * Every count on this thread, for texts up to COMPARE_IN_WORKER long (≈5–10 ms in all); encodings
 * not used yet are loaded first in slices (a rank table at once is 30–75 ms).
 */
async function countHere(registry: TokenizerRegistry, texts: readonly string[], chars: number, local: LocalModelTokenizer | undefined): Promise<Counted> {
  for (const e of ENCODING_NAMES) await registry.preload(e);
  const rows = ENCODING_NAMES.map((e) => row(e, texts.reduce((n, s) => n + registry.get(e).count(s), 0), chars));
  return { rows, modelTokens: local ? texts.reduce((n, t) => n + local.count(t), 0) : undefined };
}

/**
 * "Compare Encodings": a quick pick listing the count and chars/token of the selection or document
 * under every encoding (and the loaded local model's tokenizer); picking one uses it in this
 * workspace. `{ pick: false }` returns the comparison without the quick pick.
 */
export class CompareEncodingsCommand implements Command {
  readonly id = COMMAND_COMPARE_ENCODINGS;

  constructor(
    private readonly registry: TokenizerRegistry,
    private readonly background: BackgroundTokenizer,
    private readonly config: Pick<Configuration, 'encoding' | 'setEncoding' | 'defaultTarget'>,
    private readonly localModel: () => LocalModelTokenizer | undefined,
  ) {}

  async execute(options?: { pick?: boolean }): Promise<EncodingComparison | undefined> {
    const editor = activeEditorFor('compare encodings');
    if (!editor) return undefined;
    const sels = nonEmptySelections(editor);
    const texts = sels.length ? sels.map((s) => editor.document.getText(s)) : [editor.document.getText()];
    const chars = texts.reduce((n, t) => n + t.length, 0);
    const local = this.localModel();
    const counted = chars > COMPARE_IN_WORKER ? await this.countInWorker(texts, chars, local) : await countHere(this.registry, texts, chars, local);
    if (!counted) return undefined;
    const { rows, modelTokens } = counted;
    const model: EncodingComparison['model'] = local && modelTokens !== undefined ? { name: local.name, tokens: modelTokens, charsPerToken: modelTokens ? chars / modelTokens : 0 } : undefined;
    const result: EncodingComparison = { scope: sels.length ? 'selection' : 'document', chars, rows, ...(model ? { model } : {}) };
    if (options?.pick === false) return result;
    await this.pick(result, this.config.encoding.of(editor.document), local);
    return result;
  }

  /** Every encoding's count and the local model's in the worker, with cancellable progress; undefined when cancelled or failed. */
  private countInWorker(texts: readonly string[], chars: number, local: LocalModelTokenizer | undefined): Thenable<Counted | undefined> {
    const withModel = local !== undefined && chars <= MODEL_COUNT_LIMIT;
    const steps = ENCODING_NAMES.length + (withModel ? 1 : 0);
    return vscode.window
      .withProgress({ location: vscode.ProgressLocation.Notification, title: 'Tokenscope: counting under every encoding…', cancellable: true }, (progress, token) =>
        withSignal(token, async (signal) => {
          const rows: EncodingRow[] = [];
          for (const encoding of ENCODING_NAMES) {
            progress.report({ message: encoding, increment: 100 / steps });
            let tokens = 0;
            for (const t of texts) tokens += await this.background.count(encoding, t, signal);
            rows.push(row(encoding, tokens, chars));
          }
          if (!withModel) return { rows, modelTokens: undefined };
          progress.report({ message: local.name, increment: 100 / steps });
          let modelTokens = 0;
          for (const t of texts) modelTokens += await this.background.modelCount(local.modelPath, t, signal);
          return { rows, modelTokens };
        }),
      )
      .then(
        (r) => r,
        () => undefined,
      );
  }

  private async pick(result: EncodingComparison, current: EncodingName, local: LocalModelTokenizer | undefined): Promise<void> {
    const { rows, model, chars } = result;
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
    const picked = await vscode.window.showQuickPick(items, { title: `Tokenscope: ${result.scope} (${formatCount(chars)} characters) under each encoding`, placeHolder: 'Pick one to use it in this workspace' });
    if (picked?.encoding && picked.encoding !== current) await this.config.setEncoding(picked.encoding, this.config.defaultTarget);
  }
}

function row(encoding: EncodingName, tokens: number, chars: number): EncodingRow {
  return { encoding, tokens, charsPerToken: tokens ? chars / tokens : 0 };
}
