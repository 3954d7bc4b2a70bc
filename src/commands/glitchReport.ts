import * as vscode from 'vscode';
import { errorMessage } from '../common/errors';
import { formatCount } from '../core/format/formatCount';
import type { GlitchKind } from '../core/glitch/glitchIndex';
import { GlitchTracker } from '../core/glitch/glitchTracker';
import { DocumentTokens } from '../core/tokenizer/documentTokens';
import type { EncodingName } from '../core/tokenizer/encodings';
import type { TokenizerRegistry } from '../core/tokenizer/tokenizerRegistry';
import type { Configuration } from '../configuration';
import type { GlitchIndexes } from '../features/glitchTokens/glitchIndexes';
import { COMMAND_GLITCH_REPORT } from './commandIds';

export interface GlitchReportRow {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly text: string;
  readonly kind: GlitchKind;
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

/**
 * "Tokenscope: Glitch Token Report": every finding in the active document, or in the workspace
 * (text files up to 1 MB, scanned in slices with progress and cancellation so the editor stays
 * responsive), plus the structural facts of the encoding; opened as a Markdown document.
 */
export function register(registry: TokenizerRegistry, indexes: GlitchIndexes, config: Configuration): vscode.Disposable {
  return vscode.commands.registerCommand(COMMAND_GLITCH_REPORT, async (args?: { scope?: 'document' | 'workspace'; open?: boolean }): Promise<GlitchReport | undefined> => {
    let scope = args?.scope;
    if (!scope) {
      const items = [
        ...(vscode.window.activeTextEditor ? [{ label: 'This document', scope: 'document' as const }] : []),
        ...(vscode.workspace.workspaceFolders?.length ? [{ label: 'The whole workspace', description: `text files up to 1 MB`, scope: 'workspace' as const }] : []),
      ];
      if (items.length === 0) {
        void vscode.window.showInformationMessage('Tokenscope: open a document or a folder for a glitch token report.');
        return undefined;
      }
      scope = (await vscode.window.showQuickPick(items, { title: 'Tokenscope: glitch token report' }))?.scope;
      if (!scope) return undefined;
    }
    const rows: GlitchReportRow[] = [];
    const encodings = new Set<EncodingName>();
    let files = 0;
    if (scope === 'document') {
      const editor = vscode.window.activeTextEditor;
      if (!editor) return undefined;
      const doc = editor.document;
      const encoding = config.forDocument(doc).encoding;
      encodings.add(encoding);
      const index = await indexes.whenComplete(encoding);
      const tracker = new GlitchTracker(index, DocumentTokens.build(registry.get(encoding), doc.getText()));
      collect(rows, vscode.workspace.asRelativePath(doc.uri), doc.getText(), tracker);
      files = 1;
    } else {
      const cancelled = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: 'Tokenscope: scanning the workspace for glitch tokens', cancellable: true },
        async (progress, token) => {
          const uris = await vscode.workspace.findFiles('**/*', EXCLUDE, MAX_FILES, token);
          const step = 100 / Math.max(1, uris.length);
          for (const uri of uris) {
            if (token.isCancellationRequested) return true;
            progress.report({ message: vscode.workspace.asRelativePath(uri), increment: step });
            try {
              const stat = await vscode.workspace.fs.stat(uri);
              if (stat.size > MAX_FILE_BYTES || stat.type !== vscode.FileType.File) continue;
              const bytes = await vscode.workspace.fs.readFile(uri);
              if (bytes.subarray(0, 8192).includes(0)) continue; // binary
              const text = new TextDecoder('utf-8').decode(bytes);
              const encoding = config.forDocument(undefined).encoding;
              encodings.add(encoding);
              const index = await indexes.whenComplete(encoding);
              const tracker = new GlitchTracker(index, DocumentTokens.build(registry.get(encoding), text));
              collect(rows, vscode.workspace.asRelativePath(uri), text, tracker);
              files++;
            } catch (e) {
              void e; // unreadable files are skipped; the report counts what was scanned
            }
            // yield to the extension host between files (each costs ≤ ~25 ms at 1 MB)
            await new Promise((r) => setImmediate(r));
          }
          return false;
        },
      );
      if (cancelled) return undefined;
    }
    const markdown = render(scope, [...encodings], files, rows, indexes);
    if (args?.open !== false) {
      try {
        await vscode.window.showTextDocument(await vscode.workspace.openTextDocument({ language: 'markdown', content: markdown }));
      } catch (e) {
        void vscode.window.showErrorMessage(`Tokenscope: could not open the report: ${errorMessage(e)}`);
      }
    }
    return { scope, encodings: [...encodings], files, rows, markdown };
  });
}

function collect(rows: GlitchReportRow[], file: string, text: string, tracker: GlitchTracker): void {
  let line = 0;
  let lineStart = 0;
  let scanned = 0;
  for (const f of tracker.findings) {
    for (; scanned < f.start; scanned++) {
      if (text.charCodeAt(scanned) === 10) {
        line++;
        lineStart = scanned + 1;
      }
    }
    rows.push({ file, line: line + 1, column: f.start - lineStart + 1, text: f.info.text, kind: f.info.kind, id: f.info.id, why: f.info.why, reference: f.info.reference });
  }
}

function render(scope: string, encodings: EncodingName[], files: number, rows: readonly GlitchReportRow[], indexes: GlitchIndexes): string {
  const out: string[] = [`# Glitch token report`, '', `Scope: ${scope} · ${formatCount(files)} file(s) · encodings: ${encodings.join(', ') || '–'}`, ''];
  for (const e of encodings) {
    const s = indexes.structural(e);
    if (s) out.push(`- \`${e}\`: ${formatCount(s.size)} ids, ${formatCount(s.partial.length)} partial-UTF-8 tokens, ${formatCount(s.unreachable.length)} unreachable, ${formatCount(s.special.length)} special.`);
  }
  out.push('', rows.length ? `## ${formatCount(rows.length)} finding(s)` : '## No findings', '');
  if (rows.length) {
    out.push('| where | text | kind | id | why | source |', '|---|---|---|---:|---|---|');
    for (const r of rows) {
      const text = r.text.replace(/\|/g, '\\|').replace(/\n/g, '↵').replace(/ /g, '·');
      out.push(`| ${r.file}:${r.line}:${r.column} | \`${text}\` | ${r.kind} | ${r.id} | ${r.why.replace(/\|/g, '\\|')} | ${(r.reference ?? '').replace(/\|/g, '\\|')} |`);
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
