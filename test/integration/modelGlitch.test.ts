/**
 * "Find Under-trained Tokens of the Local Model" in a real VS Code: the analysis of the shipped
 * model runs in a child process, its candidates become diagnostics with a hover and quick fixes
 * (checked with the model's own tokenizer), verification by prompting marks them, and the glitch
 * report lists them.
 */
import * as assert from 'assert';
import * as vscode from 'vscode';
import type { GlitchReport } from '../../src/features/glitchTokens/glitchReportCommand';
import type { ModelAnalysis } from '../../src/core/glitch/modelAnalysisProtocol';
import type { TokenscopeApi } from '../../src/extension';
import { activateExtension, closeAllEditors, waitFor, openUntitled } from './helpers';

describe('under-trained tokens of the local model', function () {
  this.timeout(120000);
  let api: TokenscopeApi;
  before(async () => {
    api = await activateExtension();
  });
  afterEach(() => closeAllEditors());

  it('analyses the model off the host, warns where a candidate\'s text occurs, explains it and offers rewrites', async () => {
    const a = await vscode.commands.executeCommand<ModelAnalysis>('tokenscope.findUndertrainedTokens', { open: false, force: true });
    assert.ok(a.candidates.length > 100, `${a.candidates.length} candidates`);
    const editorCandidates = await waitFor('candidates in the glitch index', () => (api.internal.modelCandidates().length ? api.internal.modelCandidates() : undefined));
    const c = editorCandidates[0]!;
    assert.ok(a.candidates.some((x) => x.id === c.id && x.text === c.text));
    const doc = await openUntitled({ language: 'plaintext', content: `A line with the token${c.text} in it.\n` });
    await vscode.window.showTextDocument(doc);
    const f = await waitFor('a model finding', () => api.internal.glitchFindings(doc).find((x) => x.kind === 'model'));
    assert.strictEqual(f.text, c.text);
    assert.strictEqual(f.id, c.id);
    const hover = api.internal.glitchHover(doc, doc.positionAt(f.start + 1));
    const md = (hover!.contents[0] as vscode.MarkdownString).value;
    assert.match(md, /Under-trained token/);
    assert.match(md, /Fishing for Magikarp/);
    assert.match(md, new RegExp(`token ${c.id}`));
    const diag = await waitFor('the diagnostic', () => vscode.languages.getDiagnostics(doc.uri).find((d) => d.source === 'Tokenscope' && d.message.includes(`#${c.id}`)));
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', doc.uri, diag.range);
    assert.ok(actions.some((x) => /zero-width space/.test(x.title)), actions.map((x) => x.title).join('; '));

    const report = await vscode.commands.executeCommand<GlitchReport>('tokenscope.glitchReport', { scope: 'document', open: false });
    assert.match(report.markdown, /## Under-trained candidates of/);
    assert.ok(report.rows.some((r) => r.kind === 'model' && r.id === c.id));
  });

  it('verifies the top candidates by prompting and serves the cached analysis next time', async () => {
    const a = await vscode.commands.executeCommand<ModelAnalysis>('tokenscope.findUndertrainedTokens', { open: false, verify: 2 });
    const verified = a.candidates.filter((x) => x.verification);
    assert.strictEqual(verified.length, 2);
    assert.deepStrictEqual(verified.map((x) => x.id), a.candidates.slice(0, 2).map((x) => x.id));
    const again = await vscode.commands.executeCommand<ModelAnalysis>('tokenscope.findUndertrainedTokens', { open: false });
    assert.strictEqual(again.analysedAt, a.analysedAt, 'cached');
    assert.strictEqual(again.candidates.filter((x) => x.verification).length, 2);
  });
});
