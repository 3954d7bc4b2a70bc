import * as assert from 'assert';
import * as vscode from 'vscode';
import type { GlitchReport } from '../../src/features/glitchTokens/glitchReportCommand';
import type { TokenscopeApi } from '../../src/extension';
import type { PublishedFinding } from '../../src/features/glitchTokens/glitchDiagnostics';
import { activateExtension, closeAllEditors, screenshot, waitFor, openUntitled } from './helpers';

async function setEncoding(encoding: string | undefined): Promise<void> {
  await vscode.workspace.getConfiguration('tokenscope').update('encoding', encoding, vscode.ConfigurationTarget.Global);
}

function mine(doc: vscode.TextDocument): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(doc.uri).filter((d) => d.source === 'Tokenscope' && d.code === 'glitch-token');
}

async function findingsOf(api: TokenscopeApi, doc: vscode.TextDocument, pred: (f: readonly PublishedFinding[]) => boolean): Promise<readonly PublishedFinding[]> {
  return waitFor('glitch findings', () => {
    const f = api.internal.glitchFindings(doc);
    return pred(f) ? f : undefined;
  }, 15000);
}

describe('glitch tokens', () => {
  let api: TokenscopeApi;
  before(async () => {
    api = await activateExtension();
  });
  afterEach(async () => {
    await closeAllEditors();
    await setEncoding(undefined);
  });

  it('warns about " SolidGoldMagikarp" under r50k, explains it, and fixes it with a rewrite', async () => {
    await setEncoding('r50k_base');
    const doc = await openUntitled({ language: 'plaintext', content: 'Please repeat the string " SolidGoldMagikarp" back to me.\n' });
    const editor = await vscode.window.showTextDocument(doc);
    const [f] = await findingsOf(api, doc, (x) => x.length > 0);
    assert.deepStrictEqual({ text: f!.text, kind: f!.kind, id: f!.id, severity: f!.severity }, { text: ' SolidGoldMagikarp', kind: 'curated', id: 43453, severity: 'warning' });
    const diag = await waitFor('the diagnostic', () => mine(doc)[0]);
    assert.strictEqual(diag.severity, vscode.DiagnosticSeverity.Warning);
    assert.strictEqual(doc.getText(diag.range), ' SolidGoldMagikarp');
    // hover: what, why, evidence, source
    const hover = api.internal.glitchHover(doc, diag.range.start.translate(0, 5));
    const md = (hover!.contents[0] as vscode.MarkdownString).value;
    assert.match(md, /Glitch token.*r50k_base token 43453/);
    assert.match(md, /could not repeat/);
    assert.match(md, /Rumbelow & M\. Watkins/);
    assert.match(md, /Quick fixes/);
    editor.selection = new vscode.Selection(diag.range.start.translate(0, 6), diag.range.start.translate(0, 6));
    await vscode.commands.executeCommand('editor.action.showHover');
    await screenshot('glitch-hover');
    // quick fix: rewrite so that it no longer tokenizes as 43453
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', doc.uri, diag.range, vscode.CodeActionKind.QuickFix.value);
    const fix = actions.find((a) => a.title.startsWith('Insert a zero-width space'));
    assert.ok(fix?.edit, actions.map((a) => a.title).join('; '));
    assert.match(fix.title, /·SolidGoldMagikarp \(1\) → .*│.* \(\d+ tokens\)/);
    const split = actions.find((a) => a.title.startsWith('Split into words'));
    assert.ok(split, 'camel-case split offered');
    assert.ok(await vscode.workspace.applyEdit(fix.edit));
    assert.ok(doc.getText().includes('\u200b'));
    await findingsOf(api, doc, (x) => x.length === 0);
    await waitFor('diagnostic gone', () => (mine(doc).length === 0 ? true : undefined));
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  it('warns about " davidjl" under cl100k, and switching the encoding updates the diagnostics', async () => {
    await setEncoding('cl100k_base');
    const doc = await openUntitled({ language: 'plaintext', content: 'user davidjl and\nSmartyHeaderCode\n' });
    await vscode.window.showTextDocument(doc);
    const f = await findingsOf(api, doc, (x) => x.length === 2);
    assert.deepStrictEqual(f.map((x) => [x.text, x.id]), [[' davidjl', 99944], ['SmartyHeaderCode', 99168]]);
    await setEncoding('o200k_base');
    await findingsOf(api, doc, (x) => x.length === 0);
    await setEncoding('r50k_base');
    const r50 = await findingsOf(api, doc, (x) => x.length === 1);
    assert.deepStrictEqual([r50[0]!.text, r50[0]!.id], [' davidjl', 23282]);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  it('notes an o200k unreachable token and special-token text; clean text gets nothing', async () => {
    await setEncoding('o200k_base');
    const doc = await openUntitled({ language: 'plaintext', content: 'spam: 亚洲AV\nend of text: <|endoftext|>\n' });
    await vscode.window.showTextDocument(doc);
    const f = await findingsOf(api, doc, (x) => x.length === 2);
    assert.deepStrictEqual(
      f.map((x) => [x.text, x.kind, x.id, x.severity]),
      [
        [' 亚洲AV', 'unreachable', 99494, 'information'],
        ['<|endoftext|>', 'specialText', 199999, 'information'],
      ],
    );
    const hover = api.internal.glitchHover(doc, doc.positionAt(doc.getText().indexOf('亚洲')));
    assert.match((hover!.contents[0] as vscode.MarkdownString).value, /never produces it/);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');

    const clean = await openUntitled({ language: 'typescript', content: 'export function add(a: number, b: number): number {\n  // I\'m a comment\n  return a + b;\n}\n' });
    await vscode.window.showTextDocument(clean);
    await waitFor('model', () => (api.internal.modelState(clean).kind === 'ready' ? true : undefined));
    await new Promise((r) => setTimeout(r, 500));
    assert.deepStrictEqual(api.internal.glitchFindings(clean), []);
    assert.strictEqual(mine(clean).length, 0);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  it('follows typing incrementally', async () => {
    await setEncoding('r50k_base');
    const doc = await openUntitled({ language: 'plaintext', content: 'a SolidGoldMagikarp b\n' });
    const editor = await vscode.window.showTextDocument(doc);
    await findingsOf(api, doc, (x) => x.length === 1);
    // type inside the word: the token is gone
    await editor.edit((e) => e.insert(new vscode.Position(0, 7), 'X'));
    await findingsOf(api, doc, (x) => x.length === 0);
    // undo: back
    await vscode.commands.executeCommand('undo');
    await findingsOf(api, doc, (x) => x.length === 1);
    // a second glitch token typed at the end
    await editor.edit((e) => e.insert(doc.lineAt(0).range.end, ' petertodd'));
    const two = await findingsOf(api, doc, (x) => x.length === 2);
    assert.deepStrictEqual(two.map((x) => x.id), [43453, 37444]);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  it('marks at most 1,000 findings of a document and says how many more there are; the findings follow an edit storm, published once it pauses', async () => {
    const doc = await openUntitled({ language: 'plaintext', content: 'say <|endoftext|> here\n'.repeat(1500) });
    const editor = await vscode.window.showTextDocument(doc);
    await findingsOf(api, doc, (x) => x.length === 1500);
    const marked = await waitFor('1,001 diagnostics', () => (mine(doc).length === 1001 ? mine(doc) : undefined));
    assert.match(marked[1000]!.message, /^500 more glitch-token findings from here on are not marked/);
    assert.strictEqual(marked[1000]!.range.start.line, 1000, 'the summary sits on the first finding left out');
    for (let i = 0; i < 30; i++) assert.ok(await editor.edit((e) => e.insert(new vscode.Position(0, 0), 'x <|endoftext|>\n')));
    await findingsOf(api, doc, (x) => x.length === 1530 && x[0]!.start === 2);
    await waitFor('the summary follows', () => (mine(doc)[1000]?.message.startsWith('530 more') ? true : undefined));
    // 20 undos sent in one burst (VS Code delivers several in one task): the findings follow all of them
    await Promise.all(Array.from({ length: 20 }, () => vscode.commands.executeCommand('undo')));
    await findingsOf(api, doc, (x) => x.length === 1510 && x[0]!.start === 2);
    await waitFor('the summary follows the undos', () => (mine(doc)[1000]?.message.startsWith('510 more') ? true : undefined));
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  it('leaves special tokens alone in prompt files', async () => {
    const doc = await openUntitled({ language: 'tokenscope-prompt', content: '<|im_start|>user\nhi<|im_end|><|endoftext|>\n' });
    await vscode.window.showTextDocument(doc);
    await waitFor('model', () => (api.internal.modelState(doc).kind === 'ready' ? true : undefined));
    await new Promise((r) => setTimeout(r, 500));
    assert.deepStrictEqual(api.internal.glitchFindings(doc), []);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  it('"Glitch Token Report" lists the findings of the document', async () => {
    await setEncoding('r50k_base');
    const doc = await openUntitled({ language: 'plaintext', content: 'one\n  SolidGoldMagikarp and TheNitromeFan\n' });
    await vscode.window.showTextDocument(doc);
    const r = await vscode.commands.executeCommand<GlitchReport>('tokenscope.glitchReport', { scope: 'document', open: false });
    assert.ok(r);
    assert.deepStrictEqual(r.rows.map((x) => [x.line, x.column, x.text, x.id]), [
      [2, 2, ' SolidGoldMagikarp', 43453],
      [2, 24, ' TheNitromeFan', 42090],
    ]);
    assert.match(r.markdown, /r50k_base`: 50,257 ids, 344 partial-UTF-8 tokens, 0 unreachable/);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  it('"Glitch Token Report": exactly what the editor marks, shown as a rendered preview with nothing left to save', async () => {
    // special-token text: flagged in a text file, meant (and not flagged) in a prompt file
    const text = await openUntitled({ language: 'plaintext', content: 'say <|endoftext|> here\n' });
    await vscode.window.showTextDocument(text);
    await findingsOf(api, text, (x) => x.length === 1);
    const marked = await waitFor('a diagnostic', () => (mine(text).length === 1 ? mine(text) : undefined));
    const r1 = await vscode.commands.executeCommand<GlitchReport>('tokenscope.glitchReport', { scope: 'document', open: false });
    assert.deepStrictEqual(r1.rows.map((x) => [x.line - 1, x.column - 1, x.severity]), [[marked[0]!.range.start.line, marked[0]!.range.start.character, 'information']]);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    const prompt = await openUntitled({ language: 'tokenscope-prompt', content: '<|im_start|>user\nsay <|endoftext|> here<|im_end|>\n' });
    await vscode.window.showTextDocument(prompt);
    const r2 = await vscode.commands.executeCommand<GlitchReport>('tokenscope.glitchReport', { scope: 'document' });
    assert.deepStrictEqual(r2.rows, [], 'the report lists nothing the Problems panel leaves out');
    assert.strictEqual(mine(prompt).length, 0);
    // opened as VS Code's Markdown preview of a read-only document: no untitled buffer to save
    const tab = await waitFor('the preview tab', () => vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.input instanceof vscode.TabInputWebview && /markdown\.preview/.test(t.input.viewType)));
    assert.match(tab.label, /Glitch Token Report/);
    const report = await vscode.workspace.openTextDocument(vscode.Uri.from({ scheme: 'tokenscope-report', path: '/Glitch Token Report.md' }));
    assert.ok(!report.isDirty && report.getText() === r2.markdown, 'the previewed document is read-only and holds the report');
    assert.deepStrictEqual(vscode.workspace.textDocuments.filter((d) => d.isUntitled && d.languageId === 'markdown').map((d) => d.uri.toString()), []);
    await closeAllEditors();
  });

  it('"Glitch Token Report" scans the workspace', async () => {
    const r = await vscode.commands.executeCommand<GlitchReport>('tokenscope.glitchReport', { scope: 'workspace', open: false });
    assert.ok(r);
    assert.ok(r.files >= 4, `${r.files} files scanned`);
    // the sample prompt.md contains " SolidGoldMagikarp" in quotes and <|endoftext|>
    assert.ok(r.rows.some((x) => x.file.endsWith('prompt.md') && x.kind === 'specialText'), r.markdown);
  });
});
