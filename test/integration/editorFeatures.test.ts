import * as assert from 'assert';
import { get_encoding, type Tiktoken } from 'tiktoken';
import * as vscode from 'vscode';
import type { EncodingComparison } from '../../src/features/encodings/compareEncodingsCommand';
import type { TokenscopeApi } from '../../src/extension';
import type { BoundaryState } from '../../src/features/tokenBoundaries/tokenBoundaries';
import { pairs } from '../../src/core/tokenizer/boundarySegments';
import type { TokenInfo } from '../../src/features/tokenHover/tokenHover';
import { activateExtension, closeAllEditors, screenshot, waitFor, workspaceFile, openUntitled, closeActive } from './helpers';

const encoders = new Map<string, Tiktoken>();
/** tiktoken itself, in the test: the oracle for every count the extension reports. */
function oracle(name: 'o200k_base' | 'cl100k_base' | 'p50k_base' | 'r50k_base'): Tiktoken {
  let e = encoders.get(name);
  if (!e) encoders.set(name, (e = get_encoding(name)));
  return e;
}

function boundariesFor(api: TokenscopeApi, doc: vscode.TextDocument, pred: (s: BoundaryState) => boolean = () => true): BoundaryState | undefined {
  const s = api.internal.boundaries(doc);
  return s && s.version === doc.version && pred(s) ? s : undefined;
}


describe('editor features', () => {
  let api: TokenscopeApi;
  before(async () => {
    api = await activateExtension();
  });
  afterEach(closeAllEditors);
  after(() => encoders.forEach((e) => e.free()));

  describe('token boundaries', () => {
    it('are on for prompt files: every visible token decorated, alternating colours, whitespace markers', async () => {
      const doc = await vscode.workspace.openTextDocument(workspaceFile('chat.prompt'));
      assert.strictEqual(doc.languageId, 'tokenscope-prompt');
      await vscode.window.showTextDocument(doc);
      const s = await waitFor('boundaries of chat.prompt', () => boundariesFor(api, doc, (b) => b.enabled));
      const ids = oracle('o200k_base').encode_ordinary(doc.getText());
      assert.strictEqual(s.tokenCount, ids.length, 'the whole (short) file is in the window');
      // colours: token i is drawn in slot i % 6, so neighbours never share a colour
      const flat = s.bySlot.flatMap((ranges, slot) => pairs(ranges).map(([a, b]) => ({ a, b, slot }))).sort((x, y) => x.a - y.a);
      for (let i = 1; i < flat.length; i++) {
        assert.ok(flat[i]!.a >= flat[i - 1]!.b, 'decorated ranges do not overlap');
        if (flat[i]!.a === flat[i - 1]!.b) assert.notStrictEqual(flat[i]!.slot, flat[i - 1]!.slot, 'adjacent tokens have different colours');
      }
      assert.strictEqual(flat.length, ids.length, 'one range per token (ASCII text: no split characters)');
      assert.ok(s.spaces > 10 && s.lineEnds >= 9, `${s.spaces} space markers, ${s.lineEnds} line ends`);
      await screenshot('boundaries-prompt');
    });

    it('never split a surrogate pair; characters shared by two tokens get the split style', async () => {
      const text = '你好世界🙂👩‍👩‍👧 ǅ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ⟨√2⟩ naïve café 🇩🇪\n'.repeat(3);
      const doc = await openUntitled({ language: 'plaintext', content: text });
      await vscode.window.showTextDocument(doc);
      await vscode.workspace.getConfiguration('tokenscope').update('encoding', 'cl100k_base', vscode.ConfigurationTarget.Global);
      try {
        assert.strictEqual(await vscode.commands.executeCommand('tokenscope.toggleBoundaries'), true);
        const s = await waitFor('boundaries of the multi-byte text', () => boundariesFor(api, doc, (b) => b.enabled && b.tokenCount > 0));
        assert.strictEqual(s.tokenCount, oracle('cl100k_base').encode_ordinary(text).length);
        assert.ok(s.split.length > 0, 'cl100k splits some of these characters between tokens');
        const isLow = (o: number): boolean => o > 0 && o < text.length && text.charCodeAt(o) >= 0xdc00 && text.charCodeAt(o) <= 0xdfff;
        for (const [a, b] of [...s.bySlot.flatMap((r) => pairs(r)), ...pairs(s.split)]) {
          assert.ok(!isLow(a) && !isLow(b), `range [${a}, ${b}) cuts a surrogate pair`);
          assert.ok(b > a);
        }
        // every character is covered exactly once (own ranges + split ranges tile the text)
        const covered = new Uint8Array(text.length);
        for (const [a, b] of [...s.bySlot.flatMap((r) => pairs(r)), ...pairs(s.split)]) for (let o = a; o < b; o++) covered[o]!++;
        assert.ok(covered.every((c) => c === 1), 'decorations tile the text');
        await screenshot('boundaries-multibyte');
      } finally {
        await vscode.workspace.getConfiguration('tokenscope').update('encoding', undefined, vscode.ConfigurationTarget.Global);
      }
      await closeActive();
    });

    it('decorate only the visible lines plus a margin, and follow scrolling', async () => {
      const line = 'const value = compute(alpha, beta) + 42; // comment\n';
      const doc = await openUntitled({ language: 'javascript', content: line.repeat(5000) });
      const editor = await vscode.window.showTextDocument(doc);
      assert.strictEqual(api.internal.boundaries(doc)?.enabled ?? false, false, 'off by default for JavaScript');
      await vscode.commands.executeCommand('tokenscope.toggleBoundaries');
      const top = await waitFor('boundaries at the top', () => boundariesFor(api, doc, (b) => b.enabled && b.tokenCount > 0));
      assert.strictEqual(top.window[0], 0);
      assert.ok(top.window[1] < doc.getText().length / 20, `window ends at ${top.window[1]} of ${doc.getText().length}`);
      assert.ok(top.tokenCount < 3000 && !top.capped, `${top.tokenCount} tokens`);
      editor.revealRange(new vscode.Range(3000, 0, 3000, 0), vscode.TextEditorRevealType.AtTop);
      const mid = await waitFor('boundaries after scrolling', () => boundariesFor(api, doc, (b) => b.enabled && b.window[0] > 0));
      const line3000 = doc.offsetAt(new vscode.Position(3000, 0));
      assert.ok(mid.window[0] < line3000 && mid.window[1] > line3000, `window [${mid.window[0]}, ${mid.window[1]}) around line 3000 (${line3000})`);
      // toggling off clears them
      assert.strictEqual(await vscode.commands.executeCommand('tokenscope.toggleBoundaries'), false);
      await waitFor('boundaries off', () => boundariesFor(api, doc, (b) => !b.enabled));
      await closeActive();
    });

    it('an edit below the window keeps the drawing (carried to the new version); one inside redraws it exactly', async () => {
      const line = 'let total = price * count; // items\n';
      const doc = await openUntitled({ language: 'plaintext', content: line.repeat(3000) });
      const editor = await vscode.window.showTextDocument(doc);
      await vscode.commands.executeCommand('tokenscope.toggleBoundaries');
      const top = await waitFor('boundaries at the top', () => boundariesFor(api, doc, (b) => b.enabled && b.tokenCount > 0));
      assert.ok(top.window[1] < doc.offsetAt(new vscode.Position(2500, 0)), `window [${top.window[0]}, ${top.window[1]})`);
      // far below the window: the same ranges, now at the new version, without a redraw
      assert.ok(await editor.edit((b) => b.insert(new vscode.Position(2500, 4), 'x\n')));
      const carried = await waitFor('the drawing carried to the edit below', () => boundariesFor(api, doc, (b) => b.enabled));
      assert.strictEqual(carried.carried, true, 'not redrawn');
      assert.deepStrictEqual(carried.bySlot, top.bySlot);
      // inside the window: redrawn, and equal to a full re-encode of the window's text (colours shift with the token count)
      assert.ok(await editor.edit((b) => b.insert(new vscode.Position(3, 4), 'y')));
      const redrawn = await waitFor('the drawing after an edit inside', () => boundariesFor(api, doc, (b) => b.enabled && !b.carried));
      const ids = oracle('o200k_base').encode_ordinary(doc.getText(new vscode.Range(doc.positionAt(0), doc.positionAt(redrawn.window[1]))));
      assert.strictEqual(redrawn.tokenCount, ids.length, 'every token of the window');
      assert.notDeepStrictEqual(redrawn.bySlot, top.bySlot);
      await closeActive();
    });

    it('are capped on a huge single line', async () => {
      const doc = await openUntitled({ language: 'plaintext', content: 'word '.repeat(60_000) });
      await vscode.window.showTextDocument(doc);
      await vscode.commands.executeCommand('tokenscope.toggleBoundaries');
      const s = await waitFor('capped boundaries', () => boundariesFor(api, doc, (b) => b.enabled && b.tokenCount > 0), 20000);
      assert.strictEqual(s.capped, true, `not capped: ${JSON.stringify({ uri: s.uri, version: s.version, window: s.window, tokenCount: s.tokenCount, docLength: doc.getText().length, closed: doc.isClosed })}`);
      assert.strictEqual(s.tokenCount, 3000);
      await closeActive();
    });

    it('"Toggle Token Boundaries Everywhere" flips the user setting', async () => {
      const doc = await vscode.workspace.openTextDocument(workspaceFile('hello.ts'));
      await vscode.window.showTextDocument(doc);
      try {
        assert.strictEqual(await vscode.commands.executeCommand('tokenscope.toggleBoundariesGlobally'), true);
        assert.strictEqual(vscode.workspace.getConfiguration('tokenscope').get('boundaries.enabled'), true);
        await waitFor('boundaries on hello.ts', () => boundariesFor(api, doc, (b) => b.enabled && b.tokenCount > 0));
      } finally {
        await vscode.workspace.getConfiguration('tokenscope').update('boundaries.enabled', undefined, vscode.ConfigurationTarget.Global);
      }
      await waitFor('boundaries off again', () => boundariesFor(api, doc, (b) => !b.enabled));
    });
  });

  describe('hover and inspect', () => {
    it('shows id, bytes, rank, index and the other encodings for the token under the mouse', async () => {
      const doc = await vscode.workspace.openTextDocument(workspaceFile('chat.prompt'));
      await vscode.window.showTextDocument(doc);
      await waitFor('model', () => (api.internal.modelState(doc).kind === 'ready' ? true : undefined));
      const offset = doc.getText().indexOf('careful') + 2;
      const hover = api.internal.provideHover(doc, doc.positionAt(offset));
      assert.ok(hover, 'no hover in a prompt file');
      const md = (hover.contents[0] as vscode.MarkdownString).value;
      const ids = oracle('o200k_base').encode_ordinary(doc.getText());
      const careful = oracle('o200k_base').encode_ordinary(' careful')[0]!;
      assert.ok(Array.from(ids).includes(careful));
      assert.match(md, new RegExp(`\\| id \\| ${careful} \\|`));
      assert.match(md, /\| text \| `·careful` \|/);
      assert.match(md, /\| bytes \| `20 63 61 72 65 66 75 6c` \(8\) \|/);
      assert.match(md, /cl100k_base: 1 · p50k_base: 1 · r50k_base: 1/);
      assert.match(md, /Token [\d,]+\*\* of [\d,]+ · `o200k_base`/);
      // no hover in a TypeScript file without boundaries (default "withBoundaries")
      const ts = await vscode.workspace.openTextDocument(workspaceFile('hello.ts'));
      assert.strictEqual(api.internal.provideHover(ts, new vscode.Position(1, 3)), undefined);
    });

    it('"Inspect Token at Cursor" reports the token and opens the hover', async () => {
      const doc = await vscode.workspace.openTextDocument(workspaceFile('hello.ts'));
      const editor = await vscode.window.showTextDocument(doc);
      const at = doc.getText().indexOf('greeting');
      editor.selection = new vscode.Selection(doc.positionAt(at + 3), doc.positionAt(at + 3));
      const info = await vscode.commands.executeCommand<TokenInfo>('tokenscope.inspectTokenAtCursor');
      assert.ok(info);
      assert.strictEqual(info.text, ' greeting');
      assert.strictEqual(info.id, oracle('o200k_base').encode_ordinary(' greeting')[0]);
      assert.strictEqual(info.start, at - 1);
      assert.strictEqual(info.end, at + 'greeting'.length);
      await screenshot('hover-inspect');
    });
  });

  describe('commands', () => {
    it('"Compare Encodings" counts the document under every encoding', async () => {
      const doc = await vscode.workspace.openTextDocument(workspaceFile('multilingual.txt'));
      await vscode.window.showTextDocument(doc);
      const r = await vscode.commands.executeCommand<EncodingComparison>('tokenscope.compareEncodings', { pick: false });
      assert.ok(r);
      const text = doc.getText();
      const expected: Record<string, number> = {
        o200k_base: oracle('o200k_base').encode_ordinary(text).length,
        o200k_harmony: oracle('o200k_base').encode_ordinary(text).length, // same ranks and pattern
        cl100k_base: oracle('cl100k_base').encode_ordinary(text).length,
        p50k_base: oracle('p50k_base').encode_ordinary(text).length,
        r50k_base: oracle('r50k_base').encode_ordinary(text).length,
      };
      assert.deepStrictEqual(Object.fromEntries(r.rows.map((x) => [x.encoding, x.tokens])), expected);
      assert.strictEqual(r.scope, 'document');
    });

    it('"Compare Encodings" on a large document counts in the worker', async () => {
      const content = 'Sphinx of black quartz, judge my vow — 1234567 🙂\n'.repeat(15_000);
      const doc = await openUntitled({ language: 'plaintext', content });
      await vscode.window.showTextDocument(doc);
      const r = await vscode.commands.executeCommand<EncodingComparison>('tokenscope.compareEncodings', { pick: false });
      assert.ok(r && r.chars > 512 * 1024);
      assert.strictEqual(r.rows.find((x) => x.encoding === 'cl100k_base')?.tokens, oracle('cl100k_base').encode_ordinary(content).length);
      await closeActive();
    });

    it('"Select Encoding" writes the setting for a language only, and the status bar follows', async () => {
      const doc = await vscode.workspace.openTextDocument(workspaceFile('hello.ts'));
      await vscode.window.showTextDocument(doc);
      try {
        await vscode.commands.executeCommand('tokenscope.selectEncoding', { encoding: 'p50k_base', target: 'user', language: 'typescript' });
        const s = await waitFor('p50k count', () => {
          const c = api.internal.tokenCount();
          return c.kind === 'counted' && c.encoding === 'p50k_base' ? c : undefined;
        });
        assert.strictEqual(s.documentTokens, oracle('p50k_base').encode_ordinary(doc.getText()).length);
        const txt = await vscode.workspace.openTextDocument(workspaceFile('multilingual.txt'));
        await vscode.window.showTextDocument(txt);
        await waitFor('o200k for plaintext', () => {
          const c = api.internal.tokenCount();
          return c.kind === 'counted' && c.uri === txt.uri.toString() && c.encoding === 'o200k_base' ? c : undefined;
        });
      } finally {
        await vscode.workspace.getConfiguration('tokenscope', { languageId: 'typescript' }).update('encoding', undefined, vscode.ConfigurationTarget.Global, true);
      }
    });

    it('copies the ids of the selection and decodes ids back', async () => {
      const doc = await openUntitled({ language: 'plaintext', content: 'Hello, wörld! <|endoftext|> 🙂' });
      const editor = await vscode.window.showTextDocument(doc);
      editor.selection = new vscode.Selection(0, 0, 0, doc.lineAt(0).text.length);
      const ids = await vscode.commands.executeCommand<number[]>('tokenscope.copyTokenIds');
      assert.deepStrictEqual(ids, Array.from(oracle('o200k_base').encode_ordinary(doc.getText())));
      assert.strictEqual(await vscode.env.clipboard.readText(), JSON.stringify(ids));
      editor.selection = new vscode.Selection(doc.positionAt(doc.getText().length), doc.positionAt(doc.getText().length));
      const text = await vscode.commands.executeCommand<string>('tokenscope.decodeTokenIds', { ids: `[${ids.slice(0, 3).join(', ')}]`, action: 'insert' });
      assert.strictEqual(text, 'Hello, w');
      assert.ok(doc.getText().endsWith('🙂Hello, w'));
      await closeActive();
    });

    it('truncates to N tokens in one undoable edit', async () => {
      const original = 'one two three four five six seven eight nine ten\n';
      const doc = await openUntitled({ language: 'plaintext', content: original });
      await vscode.window.showTextDocument(doc);
      const r = await vscode.commands.executeCommand<{ before: number; after: number }>('tokenscope.truncateToTokens', 4);
      assert.deepStrictEqual(r, { before: oracle('o200k_base').encode_ordinary(original).length, after: 4 });
      assert.strictEqual(doc.getText(), 'one two three four');
      await vscode.commands.executeCommand('undo');
      assert.strictEqual(doc.getText(), original);
      await closeActive();
    });

    it('splits a document into chunks of at most N tokens that add up to it', async () => {
      const doc = await vscode.workspace.openTextDocument(workspaceFile('multilingual.txt'));
      await vscode.window.showTextDocument(doc);
      const counts = await vscode.commands.executeCommand<number[]>('tokenscope.splitIntoChunks', 25);
      assert.ok(counts && counts.length > 2);
      assert.ok(counts.every((c) => c <= 25 && c > 0), counts.join(','));
      const out = vscode.window.activeTextEditor!.document;
      const joined = out.getText().replace(/^<<<<< chunk \d+ of \d+ · \d+ tokens >>>>>\n/gm, '');
      assert.strictEqual(joined.replace(/\n/g, ''), doc.getText().replace(/\n/g, ''));
      await closeActive();
    });
  });

  describe('digit chunking lint', () => {
    it('marks long numbers in prompt files and fixes them with thousands separators', async () => {
      const doc = await vscode.workspace.openTextDocument(workspaceFile('chat.prompt'));
      await vscode.window.showTextDocument(doc);
      const diag = await waitFor('digit diagnostic', () => vscode.languages.getDiagnostics(doc.uri).find((d) => d.source === 'Tokenscope' && d.code === 'digit-chunking'), 10000);
      assert.strictEqual(doc.getText(diag.range), '1234567');
      assert.match(diag.message, /123\|456\|7/);
      assert.strictEqual(vscode.languages.getDiagnostics(doc.uri).filter((d) => d.source === 'Tokenscope').length, 2, '1234567 and 98765');
      const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', doc.uri, diag.range, vscode.CodeActionKind.QuickFix.value);
      const fix = actions.find((a) => a.title === 'Insert thousands separators: 1,234,567');
      assert.ok(fix?.edit, `actions: ${actions.map((a) => a.title).join('; ')}`);
      assert.ok(await vscode.workspace.applyEdit(fix.edit));
      try {
        assert.ok(doc.getText().includes('1,234,567 words'));
        await waitFor('diagnostic gone', () => (vscode.languages.getDiagnostics(doc.uri).some((d) => doc.getText(d.range) === '1234567') ? undefined : true), 10000);
      } finally {
        await vscode.commands.executeCommand('undo');
        await vscode.commands.executeCommand('workbench.action.files.revert');
      }
      // none in TypeScript files (off by default outside prompt files)
      const ts = await vscode.workspace.openTextDocument(workspaceFile('hello.ts'));
      await vscode.window.showTextDocument(ts);
      await new Promise((r) => setTimeout(r, 400));
      assert.strictEqual(vscode.languages.getDiagnostics(ts.uri).filter((d) => d.source === 'Tokenscope').length, 0);
    });
  });

  describe('token inspector', () => {
    it('opens beside the editor and draws the document statistics', async () => {
      const doc = await vscode.workspace.openTextDocument(workspaceFile('multilingual.txt'));
      await vscode.window.showTextDocument(doc);
      await vscode.commands.executeCommand('tokenscope.showInspector');
      const r = await waitFor('inspector rendered', () => {
        const x = api.internal.inspector();
        return x && x.file.endsWith('multilingual.txt') ? x : undefined;
      }, 20000);
      assert.strictEqual(r.tokens, oracle('o200k_base').encode_ordinary(doc.getText()).length);
      assert.strictEqual(r.bars, 16);
      assert.ok(r.rows >= 10, `${r.rows} table rows`);
      await screenshot('inspector');
      // live: a selection narrows it to the selected text
      const editor = vscode.window.visibleTextEditors.find((e) => e.document === doc)!;
      editor.selection = new vscode.Selection(0, 0, 0, 9); // "English: "
      const sel = await waitFor('inspector on the selection', () => {
        const x = api.internal.inspector();
        return x && x.tokens === oracle('o200k_base').encode_ordinary('English: ').length ? x : undefined;
      }, 20000);
      assert.ok(sel.tokens < r.tokens);
    });
  });
});
