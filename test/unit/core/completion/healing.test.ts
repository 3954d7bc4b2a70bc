import * as assert from 'assert';
import { LocalBackend } from '../../../../src/core/backend/local/localBackend';
import { SHIPPED_MODEL, WORKER_SCRIPT } from '../backend/localFixtures';

/**
 * Token healing in the real llama.cpp engine with the shipped model: the output re-produces the
 * bytes cut from the prompt exactly, at every kind of cursor position, and the text the host
 * shows starts right at the cursor.
 */
describe('core/completion: classic token healing on the shipped model (llama.cpp)', function () {
  this.timeout(120000);
  let b: LocalBackend;
  before(async () => {
    b = await LocalBackend.open({ modelPath: SHIPPED_MODEL, workerScript: WORKER_SCRIPT, contextSize: 512 });
  });
  after(() => b?.dispose());

  const CASES: [kind: string, prefix: string, suffix: string][] = [
    ['mid-identifier', 'import os\n\ndef main():\n    pri', '\n\nmain()\n'],
    ['mid-identifier (js)', 'function add(a, b) {\n  ret', '\n}\n'],
    ['after a space', 'const total = ', ';\n'],
    ['mid-indentation', 'def f(x):\n  ', '\n'],
    ['mid-operator', 'if (a =', ') {}\n'],
    ['after a multi-byte character', 'const s = "café', '";\n'],
  ];

  for (const [kind, prefix, suffix] of CASES) {
    it(`${kind}: the first tokens re-produce the healed bytes, then generation goes on`, async () => {
      const { prompt, cursorAt } = b.fimPromptAt(prefix, suffix);
      const events: number[] = [];
      const r = await b.generate({ prompt, maxTokens: 8, temperature: 0, healCursorAt: cursorAt }, (e) => events.push(e));
      assert.ok(r.healedBytes > 0, `${kind}: nothing healed`);
      assert.strictEqual(events[0], -1 - r.healedBytes, 'the healed-bytes announcement comes first');
      const out = Buffer.from(b.tokenizer.decodeBytes(r.tokens));
      const removed = Buffer.from(prefix).subarray(-r.healedBytes);
      assert.ok(out.length >= removed.length && out.subarray(0, removed.length).equals(removed), `${kind}: output ${JSON.stringify(out.toString('latin1'))} does not start with ${JSON.stringify(removed.toString('latin1'))}`);
      assert.ok(r.forced >= 1 && r.forced <= r.tokens.length);
      // the infill text starts at the cursor: the healed bytes are stripped
      const infill = await b.infill({ prefix, suffix, maxTokens: 8, temperature: 0, healing: 'classic' });
      assert.strictEqual(infill.healedBytes, r.healedBytes);
      assert.strictEqual(infill.text, out.subarray(removed.length).toString('utf8').slice(0, infill.text.length));
    });
  }

  it('exact healing: the healed bytes, then bytes chosen by the exact byte-level distribution, then free generation', async () => {
    for (const [kind, prefix, suffix] of CASES) {
      const { prompt, cursorAt } = b.fimPromptAt(prefix, suffix);
      const r = await b.generate({ prompt, maxTokens: 8, temperature: 0, healCursorAt: cursorAt, exactBytes: 8 });
      const out = Buffer.from(b.tokenizer.decodeBytes(r.tokens));
      const removed = Buffer.from(prefix).subarray(-r.healedBytes);
      assert.ok(out.subarray(0, removed.length).equals(removed), `${kind}: output ${JSON.stringify(out.toString('latin1'))} does not start with the healed bytes`);
      assert.ok(r.exactBytes !== undefined && r.exactBytes >= 1 && r.exactBytes <= 8, `${kind}: ${r.exactBytes} exact bytes`);
      assert.ok(out.length >= removed.length + r.exactBytes, `${kind}: the chosen bytes are in the output`);
      assert.ok(r.exactEvaluations! >= 1);
      const infill = await b.infill({ prefix, suffix, maxTokens: 8, temperature: 0, healing: 'exact' });
      assert.strictEqual(infill.text, out.subarray(removed.length).toString('utf8').slice(0, infill.text.length), `${kind}: the infill text starts at the cursor`);
    }
  });

  it('byte-level likelihoods by cover sums are consistent: a longer text is less likely, the restricted sums are parts of the whole', async () => {
    const prefix = 'def main():\n    pri';
    const { prompt, cursorAt } = b.fimPromptAt(prefix, '\n');
    const cutPrompt = [...prompt.slice(0, cursorAt - 1), ...prompt.slice(cursorAt)];
    const healed = Buffer.from(b.tokenizer.tokenBytes(prompt[cursorAt - 1]!));
    const s = await b.coverScore(cutPrompt, Buffer.concat([healed, Buffer.from('nt("hi")')]), healed.length);
    for (const v of [s.logP, s.logPHealed, s.logPClassic]) assert.ok(Number.isFinite(v) && v <= 1e-9, `${v}`);
    assert.ok(s.logP <= s.logPHealed + 1e-9, 'P(healed + more) ≤ P(healed)');
    assert.ok(s.logPClassic > s.logP, 'classic renormalizes by its mask: the healed bytes cost it nothing');
    // the unhealed prompt: the same middle is far less likely right after the split token (what healing fixes)
    const off = await b.coverScore(prompt, Buffer.from('nt("hi")'), 0);
    assert.ok(off.logP < s.logP - s.logPHealed, `off ${off.logP} against exact ${s.logP - s.logPHealed}`);
  });

  it('digits: StarCoder has one token per digit, so nothing after a digit is unstable', async () => {
    const { prompt, cursorAt } = b.fimPromptAt('const port = 80', ';\n');
    const r = await b.generate({ prompt, maxTokens: 4, temperature: 0, healCursorAt: cursorAt });
    assert.strictEqual(r.healedBytes, 0);
    assert.strictEqual(r.forced, 0);
  });

  it('scores a continuation by teacher forcing, with the mask mass of the forced steps', async () => {
    const prefix = 'def main():\n    pri';
    const { prompt, cursorAt } = b.fimPromptAt(prefix, '\n');
    const cutPrompt = [...prompt.slice(0, cursorAt - 1), ...prompt.slice(cursorAt)];
    const removed = b.tokenizer.tokenBytes(prompt[cursorAt - 1]!);
    const truth = Array.from(b.tokenizer.encode(`${Buffer.from(removed).toString('utf8')}nt("hi")`));
    const s = await b.score(cutPrompt, truth, removed);
    assert.strictEqual(s.logProbs.length, truth.length);
    assert.ok(s.logProbs.every((x) => x <= 0 && Number.isFinite(x)));
    assert.ok(s.maskLogMass[0]! < 0 && s.maskLogMass[0]! >= s.logProbs[0]!, 'the mask holds the true token, and more');
    assert.ok(s.maskLogMass.slice(1).every((x) => x === 0), 'one token re-produced the bytes: later steps are free');
  });
});
