import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { LocalBackend } from '../../../../src/core/backend/local/localBackend';
import { ggufIsSpecial, ggufTokenByteIndex } from '../../../../src/core/completion/heal/ggufTokenBytes';
import { findHealCut } from '../../../../src/core/completion/heal/healTail';
import { REPO_ROOT } from '../../../corpus';
import { ensureVocabs, vocabPath } from '../gguf/vocabFixtures';
import { Rng } from '../tokenizer/random';
import { SHIPPED_MODEL, WORKER_SCRIPT } from './localFixtures';

/**
 * Lossless speculative decoding on the shipped model in the real llama.cpp engine: with each
 * drafter and with all, drafting at every step, the output is token-identical to plain greedy
 * decoding, on FIM prompts at random cursors of held-out files and on repetitive code where the
 * drafts are mostly right; rejected drafts leave the KV cache as a fresh context would be.
 *
 * One exception, and the test checks it is only that: llama.cpp's arithmetic differs slightly
 * between a batch and single steps, so where the two likeliest tokens are within a few thousandths
 * of a logit, greedy decoding itself depends on how the tokens were evaluated (measured: logits
 * 12.6893 and 12.6836; plain decoding took one, a prefill of the same tokens the other). A
 * divergence is accepted only at such a tie (gap < TIE), with every token before it identical;
 * on this model about 4 in 10 runs of 40 tokens meet one.
 */
const TIE = 0.02;
describe('core/backend: lossless speculative decoding (llama.cpp, shipped model)', function () {
  this.timeout(300000);
  let b: LocalBackend;
  before(async () => {
    b = await LocalBackend.open({ modelPath: SHIPPED_MODEL, workerScript: WORKER_SCRIPT, contextSize: 512 });
  });
  after(() => b?.dispose());

  function prompts(): { prompt: number[]; cursorAt: number }[] {
    const results = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'tools', 'train', 'results.json'), 'utf8')) as { heldout_files: string[] };
    const files = results.heldout_files.filter((f) => fs.existsSync(f)).map((f) => fs.readFileSync(f, 'utf8'));
    const rng = new Rng(21);
    const out: { prompt: number[]; cursorAt: number }[] = [];
    for (let i = 0; i < 10; i++) {
      const text = rng.pick(files);
      const at = 1 + rng.int(text.length - 1);
      out.push(b.fimPromptAt(text.slice(Math.max(0, at - 900), at), text.slice(at, at + 300)));
    }
    const repetitive = 'def area(r):\n    return 3.14 * r * r\n\ndef area2(r):\n    return 3.14 * r * r\n\ndef area3(r):\n    return 3.14';
    out.push(b.fimPromptAt(repetitive, '\n'));
    return out;
  }

  it('each drafter and all together: token-identical to plain greedy, with and without healing', async () => {
    let drafted = 0;
    let accepted = 0;
    let identical = 0;
    let ties = 0;
    for (const [i, { prompt, cursorAt }] of prompts().entries()) {
      const heal = i % 2 === 0 ? { healCursorAt: cursorAt } : {};
      const plain = await b.generate({ prompt, maxTokens: 40, temperature: 0, ...heal });
      for (const drafters of [['lookup'], ['recycling'], ['lookup', 'recycling']]) {
        const s = await b.generate({ prompt, maxTokens: 40, temperature: 0, ...heal, speculate: { drafters, always: true } });
        const d = divergence(s.tokens, plain.tokens);
        if (d < 0) identical++;
        else {
          assert.ok(d >= plain.forced, `prompt ${i}: differs inside the healing steps (token ${d})`);
          const base = heal.healCursorAt !== undefined ? cutPrompt(prompt, heal.healCursorAt) : prompt;
          const gap = await topGap(base, plain.tokens.slice(0, d));
          assert.ok(gap < TIE, `prompt ${i}, drafters ${drafters.join('+')}: differs at token ${d} where the two best logits are ${gap.toFixed(4)} apart`);
          ties++;
          continue;
        }
        assert.strictEqual(s.stopReason, plain.stopReason);
        drafted += s.speculation!.drafted;
        accepted += s.speculation!.accepted;
        assert.strictEqual(s.speculation!.sources.length, s.tokens.length - s.forced, 'a source per generated token');
      }
    }
    assert.ok(drafted > 100 && accepted > 10 && accepted < drafted, `drafts were made and some rejected: ${accepted} of ${drafted} kept`);
    // how often a tie decides: reported, not bounded (a 20M-parameter model has many near-ties)
    assert.ok(identical > 0, `${identical} identical, ${ties} diverging at a tie`);
  });

  function divergence(a: readonly number[], b: readonly number[]): number {
    for (let i = 0; i < Math.max(a.length, b.length); i++) if (a[i] !== b[i]) return i;
    return -1;
  }

  /** The prompt as healing cut it in the engine (the generated tokens then re-produce the cut bytes). */
  function cutPrompt(prompt: readonly number[], cursorAt: number): number[] {
    const cut = findHealCut(prompt.slice(0, cursorAt), ggufTokenByteIndex(b.tokenizer), { isSpecial: ggufIsSpecial(b.tokenizer) });
    return [...prompt.slice(0, cut.keep), ...prompt.slice(cursorAt)];
  }

  /** The gap between the two best logits after `prompt` + `generated`, all evaluated in one batch. */
  async function topGap(prompt: readonly number[], generated: readonly number[]): Promise<number> {
    const p = await b.prefill([...prompt, ...generated], 2);
    const [first, second] = p.next.top;
    return first![1] - second![1];
  }

  it('after rejected drafts the KV cache is consistent: the next request equals it on a fresh context', async () => {
    const [a, c] = prompts();
    await b.generate({ prompt: a!.prompt, maxTokens: 40, temperature: 0, speculate: { always: true } });
    const after = await b.generate({ prompt: c!.prompt, maxTokens: 24, temperature: 0 });
    const fresh = await LocalBackend.open({ modelPath: SHIPPED_MODEL, workerScript: WORKER_SCRIPT, contextSize: 512 });
    try {
      const clean = await fresh.generate({ prompt: c!.prompt, maxTokens: 24, temperature: 0 });
      assert.deepStrictEqual(after.tokens, clean.tokens);
    } finally {
      fresh.dispose();
    }
  });

  it('a draft model: the shipped model drafting for itself is used and lossless; one with another vocabulary is refused before loading', async () => {
    await ensureVocabs();
    const refused = await LocalBackend.open({ modelPath: SHIPPED_MODEL, workerScript: WORKER_SCRIPT, contextSize: 512, draftModelPath: vocabPath('qwen2') });
    try {
      assert.strictEqual(refused.load?.draft?.used, false);
      assert.match(refused.load.draft.why!, /vocabulary has \d+ tokens, the model's 49152/);
      // generation goes on without it
      const r = await refused.generate({ prompt: prompts()[0]!.prompt, maxTokens: 8, temperature: 0, speculate: {} });
      assert.ok(r.tokens.length > 0);
    } finally {
      refused.dispose();
    }
    const paired = await LocalBackend.open({ modelPath: SHIPPED_MODEL, workerScript: WORKER_SCRIPT, contextSize: 512, draftModelPath: SHIPPED_MODEL });
    try {
      assert.deepStrictEqual(paired.load?.draft, { path: SHIPPED_MODEL, used: true });
      let kept = 0;
      let drafted = 0;
      for (const { prompt } of prompts().slice(0, 4)) {
        const plain = await paired.generate({ prompt, maxTokens: 32, temperature: 0 });
        const s = await paired.generate({ prompt, maxTokens: 32, temperature: 0, speculate: { drafters: ['draft-model'], always: true } });
        const d = divergence(s.tokens, plain.tokens);
        if (d >= 0) assert.ok((await topGapOn(paired, prompt, plain.tokens.slice(0, d))) < TIE, `differs at token ${d}, not at a tie`);
        kept += s.speculation!.accepted;
        drafted += s.speculation!.drafted;
      }
      // the same weights draft: nearly every draft holds (ties aside)
      assert.ok(drafted > 20 && kept / drafted > 0.8, `${kept} of ${drafted} drafted tokens kept`);
    } finally {
      paired.dispose();
    }
  });

  async function topGapOn(backend: LocalBackend, prompt: readonly number[], generated: readonly number[]): Promise<number> {
    const p = await backend.prefill([...prompt, ...generated], 2);
    return p.next.top[0]![1] - p.next.top[1]![1];
  }
});
