/**
 * Inline completions in the real VS Code with the shipped model: typing shows ghost text, Tab
 * accepts it, a cut identifier is healed, typing through a suggestion keeps it without a new
 * generation, and a backend that is down shows in the status without a popup.
 */
import * as assert from 'assert';
import * as vscode from 'vscode';
import type { TokenscopeApi } from '../../src/extension';
import type { Suggestion } from '../../src/core/completion/types';
import { closedPort } from '../support/fakeServers';
import { activateExtension, closeActive, closeAllEditors, inlineAnswer, openUntitled, screenshot, waitFor, type InlineOutcome, setUserSetting } from './helpers';

const set = setUserSetting;

/** Types `text` as the user would (the `type` command: VS Code's inline-suggest trigger follows it). */
async function type(text: string): Promise<void> {
  for (const ch of text) await vscode.commands.executeCommand('type', { text: ch });
}

describe('inline completions', function () {
  this.timeout(120000);
  let api: TokenscopeApi;
  before(async () => {
    api = await activateExtension();
    await vscode.workspace.getConfiguration('editor').update('quickSuggestions', { other: 'off', comments: 'off', strings: 'off' }, vscode.ConfigurationTarget.Global);
  });
  after(async () => {
    await vscode.workspace.getConfiguration('editor').update('quickSuggestions', undefined, vscode.ConfigurationTarget.Global);
  });
  afterEach(async () => {
    for (const k of ['completion.backend', 'server.url', 'completion.healing', 'completion.enabled']) await set(k, undefined);
    await vscode.commands.executeCommand('tokenscope.retryBackend');
    await closeAllEditors();
  });

  type Outcome = InlineOutcome;
  const answer = <T>(what: string, doc: vscode.TextDocument, accept: (o: Outcome) => T | undefined): Promise<T> => inlineAnswer(api, what, doc, accept);

  /** A suggestion for the document's current version. */
  function suggest(doc: vscode.TextDocument): Promise<Suggestion> {
    return answer('a suggestion', doc, (o) => o.suggestion);
  }

  /** The provider's answer for the current version: a suggestion, or why there is none. */
  function outcomeFor(doc: vscode.TextDocument): Promise<Outcome> {
    return answer('an answer', doc, (o) => (o.suggestion || o.skipped ? o : undefined));
  }

  /**
   * Tab on the shown suggestion. VS Code renders ghost text a little after the provider answers,
   * so a commit can come too early and do nothing: then the suggestion is asked for again (served
   * from the cache) and committed again, until the document changes.
   */
  async function acceptShown(doc: vscode.TextDocument): Promise<void> {
    const before = doc.getText();
    for (let attempt = 0; attempt < 6; attempt++) {
      await vscode.commands.executeCommand('editor.action.inlineSuggest.commit');
      try {
        await waitFor('the suggestion inserted', () => (doc.getText() !== before ? true : undefined), 3000);
        return;
      } catch {
        await vscode.commands.executeCommand('editor.action.inlineSuggest.trigger');
      }
    }
    throw new Error('the shown suggestion was never inserted');
  }

  it('typing shows a ghost-text suggestion from the shipped model; Tab accepts it', async () => {
    const doc = await openUntitled({ language: 'python', content: 'import os\n\n\ndef main():\n    \n\n\nmain()\n' });
    const editor = await vscode.window.showTextDocument(doc);
    assert.strictEqual(api.internal.inlineCompletion().registered(), true, 'the provider is registered while the backend can serve');
    editor.selection = new vscode.Selection(4, 4, 4, 4);
    await type('pri');
    const s = await suggest(doc);
    assert.ok(s.text.length > 0);
    assert.strictEqual(s.healing, 'token', 'the cursor splits " pri": healed in the engine');
    // the engine cut and re-produced the cursor's token: " pri" (4 bytes) when this keystroke's
    // request built the prompt; " p" (2) when the "p" keystroke's did and "ri" was typed through
    // it or served from its generation in flight (which one depends on the machine's load)
    assert.ok(s.healedBytes >= 2, `${s.healedBytes} bytes healed (${s.source}, ${s.detail?.typedBytes ?? 0} bytes typed through)`);
    await screenshot('inline-completion');
    const before = doc.getText();
    await vscode.commands.executeCommand('editor.action.inlineSuggest.commit');
    await waitFor('the suggestion inserted', () => (doc.getText() !== before ? true : undefined));
    const line = doc.lineAt(4).text;
    assert.ok(line.startsWith(`    pri${s.text.split('\n')[0]}`), `line 5 is ${JSON.stringify(line)}, the suggestion was ${JSON.stringify(s.text)}`);
    await waitFor('the acceptance counted', () => (api.internal.inlineCompletion().stats.snapshot().some((r) => r.healing === 'token' && r.accepted >= 1) ? true : undefined));
    await closeActive(doc);
  });

  it('exact healing: a mid-identifier suggestion healed at byte level, the host turning all along', async () => {
    await set('completion.healing', 'exact');
    const doc = await openUntitled({ language: 'python', content: 'import sys\n\n\ndef run():\n    \n' });
    const editor = await vscode.window.showTextDocument(doc);
    editor.selection = new vscode.Selection(4, 4, 4, 4);
    // event-loop turns of the extension host while the engine works: a blocked host makes none
    let turns = 0;
    let counting = true;
    const tick = (): void => {
      turns++;
      if (counting) setImmediate(tick);
    };
    setImmediate(tick);
    await type('pri');
    const s = await suggest(doc);
    counting = false;
    assert.strictEqual(s.healing, 'exact', `healed ${s.healing}`);
    // generated for "    pri", it backed off at least "pri"; a request still in flight from "p" or
    // "pr" (a slower machine types slower) serves the typed text through, healed as it was asked
    assert.ok(s.healedBytes >= (s.source === 'generated' ? 3 : 1), `${s.source}: ${s.healedBytes} bytes healed`);
    assert.ok(s.text.length > 0);
    assert.ok(turns > 10, `the extension host turned ${turns} times while the suggestion was made`);
    await closeActive(doc);
  });

  it('a cursor inside a word: the suggestion joins the word’s rest, never doubles it', async () => {
    const doc = await openUntitled({ language: 'python', content: 'def show(values):\n    for v in values:\n        pnt(v)\n' });
    const editor = await vscode.window.showTextDocument(doc);
    editor.selection = new vscode.Selection(2, 9, 2, 9);
    await type('ri');
    // the provider's answer for this version: a suggestion, or the filter that dropped it
    const outcome = await outcomeFor(doc);
    if (outcome.suggestion) {
      const t = outcome.suggestion.text;
      assert.ok(!t.includes('\n') && !/nt\(v\)/.test(t) && !t.endsWith('nt'), `the suggestion ${JSON.stringify(t)} stops before the word's rest`);
    } else {
      assert.match(outcome.skipped!, /meetSuffixHead|dropEmpty/, 'a suggestion that re-types only the rest, or never meets it, is dropped');
    }
    await closeActive(doc);
  });

  it('"Why This Suggestion": the tokens with their probabilities, the healed steps marked', async () => {
    const doc = await openUntitled({ language: 'python', content: 'def total(values):\n    s = 0\n    \n' });
    const editor = await vscode.window.showTextDocument(doc);
    editor.selection = new vscode.Selection(2, 4, 2, 4);
    await type('for');
    const s = await suggest(doc);
    const md = (await vscode.commands.executeCommand<string>('tokenscope.explainSuggestion'));
    assert.match(md, /## Tokens/);
    assert.match(md, /\| healing \|/, 'the healed steps are marked');
    assert.match(md, /\d+(\.\d)? %|\de-\d/, 'probabilities are shown');
    assert.ok(md.includes(s.text.split('\n')[0]!.slice(0, 6).replace(/\|/g, '\\|')), 'the suggestion text is shown');
    await closeAllEditors();
  });

  it('after Tab the next suggestion comes from the prefetch, not a new generation', async () => {
    const doc = await openUntitled({ language: 'python', content: 'def total(values):\n    s = 0\n    \n' });
    const editor = await vscode.window.showTextDocument(doc);
    editor.selection = new vscode.Selection(2, 4, 2, 4);
    await type('for');
    await suggest(doc);
    // the provider starts the prefetch in the same turn it answers (the engine is idle then)
    const pipeline = api.internal.inlineCompletion().provider.pipeline;
    const started = pipeline.started;
    await acceptShown(doc);
    const outcome = await outcomeFor(doc);
    // served from the prefetch (which then prefetches the next one: the count goes on from there)
    if (outcome.suggestion) assert.ok(['cache', 'in-flight'].includes(outcome.suggestion.source), `served by ${outcome.suggestion.source}`);
    else assert.strictEqual(pipeline.started, started, `no generation after the acceptance (answer: ${outcome.skipped})`);
    await closeActive(doc);
  });

  it('typing through a suggestion serves the rest without a new generation', async () => {
    const doc = await openUntitled({ language: 'typescript', content: 'function add(a: number, b: number): number {\n  \n}\n' });
    const editor = await vscode.window.showTextDocument(doc);
    editor.selection = new vscode.Selection(1, 2, 1, 2);
    await type('ret');
    const s = await suggest(doc);
    const next = s.text[0]!;
    await type(next);
    const after = await suggest(doc);
    assert.ok(['typed-through', 'in-flight', 'cache'].includes(after.source), `served by ${after.source}`);
    assert.strictEqual(after.text, s.text.slice(1));
    await closeActive(doc);
  });

  it('"Toggle Inline Completions" turns them off: no request, the reason is in the status', async () => {
    assert.strictEqual(await vscode.commands.executeCommand('tokenscope.toggleCompletions'), false);
    const doc = await openUntitled({ language: 'python', content: 'x = 1\n' });
    const editor = await vscode.window.showTextDocument(doc);
    editor.selection = new vscode.Selection(1, 0, 1, 0);
    await type('y');
    await vscode.commands.executeCommand('editor.action.inlineSuggest.trigger');
    const last = await waitFor('the provider says why', () => {
      const l = api.internal.inlineCompletion().provider.last;
      return l?.document === doc && l.version === doc.version && l.skipped ? l : undefined;
    });
    assert.match(last.skipped!, /tokenscope\.completion\.enabled/);
    await closeActive(doc);
  });

  it('a remote server that is down: the status says so, no popup, typing goes on', async () => {
    await set('server.url', `http://127.0.0.1:${await closedPort()}`);
    await set('completion.backend', 'llama-server');
    const doc = await openUntitled({ language: 'python', content: 'def f():\n    \n' });
    const editor = await vscode.window.showTextDocument(doc);
    editor.selection = new vscode.Selection(1, 4, 1, 4);
    await type('ret');
    await vscode.commands.executeCommand('editor.action.inlineSuggest.trigger');
    await waitFor('the completion status shows the failure', () => {
      const st = api.internal.inlineCompletion().status.state;
      return st.kind === 'error' || (st.kind === 'off' && /server/i.test(st.why)) ? st : undefined;
    }, 60000);
    await type('urn');
    assert.strictEqual(doc.lineAt(1).text, '    return', 'typing is unaffected');
    await closeActive(doc);
  });
});
