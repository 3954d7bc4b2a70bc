import * as vscode from 'vscode';
import { COMMAND_GLITCH_REPORT } from '../../commandIds';
import { errorMessage } from '../../common/errors';
import { formatCount } from '../../core/format/formatCount';
import type { GlitchKind } from '../../core/glitch/glitchIndex';
import type { GlitchSettings, GlitchSeverity, ScopedSettingSlice } from '../../configuration';
import { findingSeverity } from './glitchDiagnostics';
import { GlitchTracker } from '../../core/glitch/glitchTracker';
import type { BackgroundTokenizer } from '../../core/tokenizer/backgroundTokenizer';
import { DocumentTokens } from '../../core/tokenizer/documentTokens';
import type { EncodingName } from '../../core/tokenizer/encodings';
import type { GlitchIndexes } from '../../services/glitchIndexes';
import type { TokenModels } from '../../services/tokenModels';
import { withSignal } from '../../util/cancellation';
import type { Command } from '../../util/command';
import { openMarkdown } from '../../util/editor';

export interface GlitchReportRow {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly text: string;
  readonly kind: GlitchKind;
  /** As the editor shows it (findings it does not show are not in the report). */
  readonly severity: Exclude<GlitchSeverity, 'off'>;
  readonly id: number;
  readonly why: string;
  readonly reference: string | undefined;
}

export interface GlitchReport {
  readonly scope: 'document' | 'workspace';
  readonly encodings: readonly EncodingName[];
  readonly files: number;
  readonly rows: readonly GlitchReportRow[];
  /** The report as shown (markdown). */
  readonly markdown: string;
}

/** Files above this size are skipped in a workspace scan (bytes). */
const MAX_FILE_BYTES = 1024 * 1024;
const MAX_FILES = 5000;
const EXCLUDE = '{**/node_modules/**,**/.git/**,**/dist/**,**/out/**,**/build/**,**/.vscode-test/**,**/*.min.js,**/*.map}';

type Scope = GlitchReport['scope'];

/** What a scan gathers before it is rendered. */
interface Gathered {
  readonly rows: GlitchReportRow[];
  readonly encodings: Set<EncodingName>;
  files: number;
}

/**
 * "Tokenscope: Glitch Token Report": every finding in the active document (from its token model:
 * no re-tokenization), or in the workspace (text files up to 1 MB, tokenized in the worker thread,
 * with progress and cancellation), plus the structural facts of the encoding; opened as Markdown.
 */
export class GlitchReportCommand implements Command {
  readonly id = COMMAND_GLITCH_REPORT;

  constructor(
    private readonly models: TokenModels,
    private readonly background: BackgroundTokenizer,
    private readonly indexes: GlitchIndexes,
    /** The diagnostics' settings: a finding is reported exactly when the editor shows it. */
    private readonly settings: ScopedSettingSlice<GlitchSettings>,
    /** The language a file that is not open would get (prompt files by name; everything else plaintext). */
    private readonly languageOf: (uri: vscode.Uri) => string,
  ) {}

  async execute(args?: { scope?: Scope; open?: boolean }): Promise<GlitchReport | undefined> {
    const scope = args?.scope ?? (await pickScope());
    if (!scope) return undefined;
    const g: Gathered = { rows: [], encodings: new Set(), files: 0 };
    if (scope === 'document') {
      const doc = vscode.window.activeTextEditor?.document;
      if (!doc) return undefined;
      await this.scanDocument(doc, g);
    } else if (!(await this.scanWorkspace(g))) {
      return undefined;
    }
    const markdown = render(scope, [...g.encodings], g.files, g.rows, this.indexes);
    if (args?.open !== false) {
      try {
        await openMarkdown(markdown, 'Glitch Token Report');
      } catch (e) {
        void vscode.window.showErrorMessage(`Tokenscope: could not open the report: ${errorMessage(e)}`);
      }
    }
    return { scope, encodings: [...g.encodings], files: g.files, rows: g.rows, markdown };
  }

  /** The document's own token model (built in the worker for a large document), scanned once. */
  private async scanDocument(doc: vscode.TextDocument, g: Gathered): Promise<void> {
    const { model, encoding } = await this.models.whenReady(doc);
    const index = await this.indexes.whenComplete(encoding);
    // the model absorbs edits in place: its text and the scan are taken together, synchronously
    g.encodings.add(encoding);
    collect(g.rows, vscode.workspace.asRelativePath(doc.uri), model.getText(), new GlitchTracker(index, model), this.settings.of(doc));
    g.files = 1;
  }

  /** Every text file up to 1 MB; false when cancelled. Files are tokenized in the worker, one at a time. */
  private async scanWorkspace(g: Gathered): Promise<boolean> {
    return vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Tokenscope: scanning the workspace for glitch tokens', cancellable: true },
      async (progress, token) => {
        const uris = await vscode.workspace.findFiles('**/*', EXCLUDE, MAX_FILES, token);
        const step = 100 / Math.max(1, uris.length);
        return withSignal(token, async (signal) => {
          for (const uri of uris) {
            if (token.isCancellationRequested) return false;
            progress.report({ message: vscode.workspace.asRelativePath(uri), increment: step });
            try {
              await this.scanFile(uri, g, signal);
            } catch (e) {
              if (token.isCancellationRequested) return false;
              void e; // unreadable files are skipped; the report counts what was scanned
            }
          }
          return true;
        });
      },
    );
  }

  private async scanFile(uri: vscode.Uri, g: Gathered, signal: AbortSignal): Promise<void> {
    const stat = await vscode.workspace.fs.stat(uri);
    if (stat.size > MAX_FILE_BYTES || stat.type !== vscode.FileType.File) return;
    const bytes = await vscode.workspace.fs.readFile(uri);
    if (bytes.subarray(0, 8192).includes(0)) return; // binary
    const text = new TextDecoder('utf-8').decode(bytes);
    const encoding = this.models.encodingOf(undefined);
    g.encodings.add(encoding);
    const index = await this.indexes.whenComplete(encoding);
    const arrays = await this.background.tokenize(encoding, text, { signal });
    const model = DocumentTokens.fromBlockArrays(this.models.tokenizerOf(undefined), text, arrays);
    const scope = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString()) ?? { uri, languageId: this.languageOf(uri) };
    collect(g.rows, vscode.workspace.asRelativePath(uri), text, new GlitchTracker(index, model), this.settings.of(scope));
    g.files++;
  }
}

async function pickScope(): Promise<Scope | undefined> {
  const items = [
    ...(vscode.window.activeTextEditor ? [{ label: 'This document', scope: 'document' as const }] : []),
    ...(vscode.workspace.workspaceFolders?.length ? [{ label: 'The whole workspace', description: `text files up to 1 MB`, scope: 'workspace' as const }] : []),
  ];
  if (items.length === 0) {
    void vscode.window.showInformationMessage('Tokenscope: open a document or a folder for a glitch token report.');
    return undefined;
  }
  return (await vscode.window.showQuickPick(items, { title: 'Tokenscope: glitch token report' }))?.scope;
}

function collect(rows: GlitchReportRow[], file: string, text: string, tracker: GlitchTracker, settings: GlitchSettings): void {
  let line = 0;
  let lineStart = 0;
  let scanned = 0;
  for (const f of tracker.findings) {
    const severity = findingSeverity(f.info, settings);
    if (severity === 'off') continue;
    for (; scanned < f.start; scanned++) {
      if (text.charCodeAt(scanned) === 10) {
        line++;
        lineStart = scanned + 1;
      }
    }
    rows.push({ file, line: line + 1, column: f.start - lineStart + 1, text: f.info.text, kind: f.info.kind, severity, id: f.info.id, why: f.info.why, reference: f.info.reference });
  }
}

function render(scope: string, encodings: EncodingName[], files: number, rows: readonly GlitchReportRow[], indexes: GlitchIndexes): string {
  const out: string[] = [`# Glitch token report`, '', `Scope: ${scope} · ${formatCount(files)} file(s) · encodings: ${encodings.join(', ') || '–'}`, ''];
  for (const e of encodings) {
    const s = indexes.structural(e);
    if (s) out.push(`- \`${e}\`: ${formatCount(s.size)} ids, ${formatCount(s.partial.length)} partial-UTF-8 tokens, ${formatCount(s.unreachable.length)} unreachable, ${formatCount(s.special.length)} special.`);
  }
  out.push('', rows.length ? `## ${formatCount(rows.length)} finding(s)` : '## No findings', '');
  out.push('The findings the editor marks, with its settings (`tokenscope.glitch.*`, per language: special-token text is not flagged in prompt files).', '');
  if (rows.length) {
    out.push('| where | text | kind | severity | id | why | source |', '|---|---|---|---|---:|---|---|');
    for (const r of rows) {
      const text = r.text.replace(/\|/g, '\\|').replace(/\n/g, '↵').replace(/ /g, '·');
      out.push(`| ${r.file}:${r.line}:${r.column} | \`${text}\` | ${r.kind} | ${r.severity} | ${r.id} | ${r.why.replace(/\|/g, '\\|')} | ${(r.reference ?? '').replace(/\|/g, '\\|')} |`);
    }
  }
  const model = indexes.modelCandidates;
  if (model.length) {
    out.push('', `## Under-trained candidates of ${model[0]!.model}`, '', `Warned about as text in documents (${model.length}; from **Find Under-trained Tokens of the Local Model**):`, '');
    out.push('| rank | id | token | evidence |', '|---:|---:|---|---|');
    for (const c of model.slice(0, 50)) out.push(`| ${c.rank + 1} | ${c.id} | \`${c.text.replace(/\|/g, '\\|').replace(/\n/g, '↵').replace(/ /g, '·')}\` | ${c.verified ? 'confirmed by prompting' : `${c.indicator} ${c.value.toPrecision(3)}`} |`);
  }
  return out.join('\n') + '\n';
}

/**
 * The language VS Code gives a file by its name, for the one language whose settings differ by
 * default (tokenscope-prompt, from this extension's own contribution); other files count as
 * plaintext, so a user's language-specific glitch settings apply only to files that are open.
 */
export function promptLanguageOf(context: vscode.ExtensionContext): (uri: vscode.Uri) => string {
  const pkg = context.extension.packageJSON as { contributes?: { languages?: { id: string; extensions?: string[]; filenamePatterns?: string[] }[] } };
  const prompt = pkg.contributes?.languages?.find((l) => l.id === 'tokenscope-prompt');
  const suffixes = [...(prompt?.extensions ?? []), ...(prompt?.filenamePatterns ?? []).filter((p) => p.startsWith('*')).map((p) => p.slice(1))].map((x) => x.toLowerCase());
  return (uri) => (suffixes.some((x) => uri.path.toLowerCase().endsWith(x)) ? 'tokenscope-prompt' : 'plaintext');
}
