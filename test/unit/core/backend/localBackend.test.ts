/**
 * The in-process backend with the real llama.cpp engine (node-llama-cpp's prebuilt CPU binary, in a
 * child process) and the project's trained FIM model (media/models). Nothing is mocked.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { isBackendError, type BackendErrorCode } from '../../../../src/common/errors';
import { LocalBackend } from '../../../../src/core/backend/local/localBackend';
import { readModelInfo } from '../../../../src/core/backend/local/modelInfo';
import { REPO_ROOT } from '../../../corpus';
import { ensureVocabs, vocabPath } from '../gguf/vocabFixtures';
import { SHIPPED_MODEL, WORKER_SCRIPT } from './localFixtures';

const PY_PREFIX = 'import os\n\n\ndef read_lines(path):\n    with open(path) as f:\n        return ';
const PY_SUFFIX = '\n\n\ndef main():\n    for line in read_lines("x.txt"):\n        print(line)\n';

async function rejectsWith(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => isBackendError(e, code as BackendErrorCode));
}

describe('core/backend/local: llama.cpp in a child process with the shipped model', function () {
  this.timeout(120000);
  let b: LocalBackend;
  before(async () => {
    assert.ok(fs.existsSync(SHIPPED_MODEL), `the shipped model is missing: ${SHIPPED_MODEL}`);
    b = await LocalBackend.open({ modelPath: SHIPPED_MODEL, workerScript: WORKER_SCRIPT, contextSize: 512 });
  });
  after(() => b?.dispose());

  it('reads the metadata and FIM tokens of the model', () => {
    assert.strictEqual(b.info.architecture, 'llama');
    assert.strictEqual(b.info.fim.source, 'metadata');
    assert.strictEqual(b.info.fim.order, 'psm');
    assert.strictEqual(b.tokenizer.vocab.text(b.info.fim.prefix), '<fim_prefix>');
    assert.strictEqual(b.tokenizer.vocab.text(b.info.fim.suffix), '<fim_suffix>');
    assert.strictEqual(b.tokenizer.vocab.text(b.info.fim.middle), '<fim_middle>');
    assert.strictEqual(b.info.vocabSize, 49152);
    assert.ok(b.info.quantization.length > 0);
    assert.ok(b.capabilities.verifyDraft && b.capabilities.vocabulary && b.capabilities.logitBias);
  });

  it('tokenizes exactly like llama.cpp (our tokenizer on this thread vs llama.cpp in the engine)', async () => {
    const texts = [
      PY_PREFIX + PY_SUFFIX,
      'const x = 12345678901234567890; // ünïcödé — 日本語 🤖🤖\r\n\ttabs\u00a0nbsp   spaces\n\n\n',
      '<fim_prefix>not special here</fim_middle>',
      '',
      ' ',
      "it's they're we'll I'd   \n  \n",
    ];
    // and real source files, whole
    for (const f of ['src/core/tokenizer/bpeTokenizer.ts', 'tools/train/train.py', 'README.md']) {
      const p = path.join(REPO_ROOT, f);
      if (fs.existsSync(p)) texts.push(fs.readFileSync(p, 'utf8'));
    }
    let tokens = 0;
    for (const t of texts) {
      const ours = await b.tokenize(t);
      assert.deepStrictEqual(ours, await b.llamaTokenize(t), JSON.stringify(t.slice(0, 60)));
      assert.strictEqual(await b.detokenize(ours), t);
      tokens += ours.length;
    }
    assert.ok(tokens > 3000, `${tokens} tokens compared`);
  });

  it('FIM-generates deterministically at temperature 0, and generation equals step-by-step greedy decoding', async () => {
    const a = await b.infill({ prefix: PY_PREFIX, suffix: PY_SUFFIX, maxTokens: 24, temperature: 0 });
    const again = await b.infill({ prefix: PY_PREFIX, suffix: PY_SUFFIX, maxTokens: 24, temperature: 0 });
    assert.deepStrictEqual(again.tokens, a.tokens);
    assert.strictEqual(again.text, a.text);
    assert.ok(a.tokens && a.tokens.length > 0);

    // the same tokens one at a time through the token-level interface
    const prompt = b.fimPrompt(PY_PREFIX, PY_SUFFIX);
    const steps: number[] = [];
    let next = (await b.prefill(prompt)).next.token;
    while (steps.length < a.tokens.length) {
      steps.push(next);
      next = (await b.append([next])).token;
    }
    assert.deepStrictEqual(steps, a.tokens);
  });

  it('exposes the next-token distribution (sorted top-k logits, greedy first)', async () => {
    const r = await b.prefill(b.fimPrompt(PY_PREFIX, PY_SUFFIX), 8);
    assert.strictEqual(r.next.top.length, 8);
    assert.strictEqual(r.next.top[0]![0], r.next.token);
    for (let i = 1; i < r.next.top.length; i++) assert.ok(r.next.top[i - 1]![1] >= r.next.top[i]![1]);
  });

  it('applies a logit bias: forbidding the greedy token changes the first token; a large bias forces one', async () => {
    const prompt = b.fimPrompt(PY_PREFIX, PY_SUFFIX);
    const greedy = (await b.generate({ prompt, maxTokens: 1, temperature: 0 })).tokens[0]!;
    const banned = await b.generate({ prompt, maxTokens: 1, temperature: 0, bias: [[greedy, -Infinity]] });
    assert.notStrictEqual(banned.tokens[0], greedy);
    const forced = (await b.tokenize(' zebra'))[0]!;
    const pushed = await b.generate({ prompt, maxTokens: 1, temperature: 0, bias: [[forced, 100]] });
    assert.strictEqual(pushed.tokens[0], forced);
  });

  it('stops at end-of-generation with stopReason eos, and biases apply to EOS too (forced, then forbidden)', async () => {
    const prompt = b.fimPrompt(PY_PREFIX, PY_SUFFIX);
    const eos = b.info.eos!;
    const forced = await b.generate({ prompt, maxTokens: 8, temperature: 0, bias: [[eos, 100]] });
    assert.deepStrictEqual([forced.stopReason, forced.tokens], ['eos', []]);
    // the later entry wins: EOS forbidden although it was just pushed up
    const banned = await b.generate({ prompt, maxTokens: 3, temperature: 0, bias: [[eos, 100], [eos, -Infinity]] });
    assert.strictEqual(banned.stopReason, 'limit');
    assert.strictEqual(banned.tokens.length, 3);
    assert.ok(!banned.tokens.includes(eos));
  });

  it('verifies a draft batch exactly as step-by-step greedy decoding would, erasing rejected tokens', async () => {
    const prompt = b.fimPrompt(PY_PREFIX, PY_SUFFIX);
    const greedy = (await b.generate({ prompt, maxTokens: 12, temperature: 0 })).tokens;
    assert.ok(greedy.length >= 8, `greedy run too short: ${greedy.length}`);

    // a fully correct draft: everything accepted, and `next` is the following greedy token
    await b.prefill(prompt);
    const all = await b.verify(greedy.slice(0, 6));
    assert.deepStrictEqual([all.accepted, all.next], [6, greedy[6]]);
    assert.deepStrictEqual(await b.contextTokens(), [...prompt, ...greedy.slice(0, 6)]);

    // a draft that goes wrong at position 3: three accepted, the wrong tail erased from the KV cache
    await b.prefill(prompt);
    const wrong = (await b.tokenize(' zebra'))[0]!;
    const draft = [...greedy.slice(0, 3), wrong === greedy[3] ? wrong + 1 : wrong, ...greedy.slice(4, 7)];
    const part = await b.verify(draft);
    assert.deepStrictEqual([part.accepted, part.next], [3, greedy[3]]);
    assert.deepStrictEqual(await b.contextTokens(), [...prompt, ...greedy.slice(0, 3)]);
    // decoding continues correctly from the repaired cache
    const cont = await b.append([greedy[3]!]);
    assert.strictEqual(cont.token, greedy[4]);

    // a draft wrong at its first token accepts nothing
    await b.prefill(prompt);
    const none = await b.verify([greedy[0]! + 1, greedy[1]!]);
    assert.deepStrictEqual([none.accepted, none.next], [0, greedy[0]]);
    assert.deepStrictEqual(await b.contextTokens(), prompt);
  });

  it('rolls back the KV cache and decodes the same continuation again', async () => {
    const prompt = b.fimPrompt(PY_PREFIX, PY_SUFFIX);
    const greedy = (await b.generate({ prompt, maxTokens: 8, temperature: 0 })).tokens;
    await b.prefill(prompt);
    await b.append(greedy.slice(0, 6));
    assert.strictEqual(await b.rollback(4), prompt.length + 2);
    assert.deepStrictEqual(await b.contextTokens(), [...prompt, ...greedy.slice(0, 2)]);
    assert.strictEqual((await b.append([greedy[2]!])).token, greedy[3]);
  });

  it('reuses the KV cache of a shared prefix', async () => {
    const prompt = b.fimPrompt(PY_PREFIX, PY_SUFFIX);
    await b.generate({ prompt, maxTokens: 4, temperature: 0 });
    const edited = b.fimPrompt(PY_PREFIX, PY_SUFFIX + '\nmain()\n');
    const r = await b.generate({ prompt: edited, maxTokens: 4, temperature: 0 });
    // everything up to the end of the old suffix is reused
    assert.ok(r.reused >= b.fimPrompt(PY_PREFIX, '').length, `reused ${r.reused}`);
    assert.strictEqual(r.evaluated + r.reused, edited.length);
  });

  it('cancels a generation mid-way (AbortSignal) and releases the request; the backend stays usable', async () => {
    const prompt = b.fimPrompt('# a long list of numbers\n', '');
    const ac = new AbortController();
    let seen = 0;
    const r = await b.generate({ prompt, maxTokens: 400, temperature: 0, bias: [[b.info.eos ?? 0, -Infinity]] }, () => {
      if (++seen === 5) ac.abort();
    }, ac.signal);
    assert.strictEqual(r.stopReason, 'aborted');
    assert.ok(r.tokens.length >= 5 && r.tokens.length < 20, `stopped after ${r.tokens.length} tokens`);
    assert.strictEqual(b.pendingRequests, 0);
    // an already-aborted signal never reaches the worker
    await rejectsWith(b.generate({ prompt, maxTokens: 4, temperature: 0 }, undefined, AbortSignal.abort()), 'aborted');
    assert.strictEqual(b.pendingRequests, 0);
    // infill's own signal: rejects with 'aborted'
    const ac2 = new AbortController();
    const p = b.infill({ prefix: '# a long list of numbers\n', suffix: '', maxTokens: 400, temperature: 0, signal: ac2.signal, onText: () => ac2.abort() });
    await rejectsWith(p, 'aborted');
    assert.strictEqual(b.pendingRequests, 0);
    const after = await b.infill({ prefix: PY_PREFIX, suffix: PY_SUFFIX, maxTokens: 4, temperature: 0 });
    assert.ok(after.tokens && after.tokens.length > 0);
  });
});

describe('core/backend/local: lifecycle and bad model files', function () {
  this.timeout(120000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tokenscope-local-'));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('dispose during a generation rejects it and ends the engine process (the model is freed)', async () => {
    const b = await LocalBackend.open({ modelPath: SHIPPED_MODEL, workerScript: WORKER_SCRIPT, contextSize: 512 });
    assert.ok(b.loaded);
    let first!: () => void;
    const started = new Promise<void>((r) => (first = r));
    const gen = b.generate({ prompt: b.fimPrompt('x = [', ''), maxTokens: 400, temperature: 0, bias: [[b.info.eos ?? 0, -Infinity]] }, () => first());
    await started;
    b.dispose();
    await rejectsWith(gen, 'aborted');
    await b.whenExited();
    assert.strictEqual(b.loaded, false);
    assert.strictEqual(b.pendingRequests, 0);
    await rejectsWith(b.tokenize('x').then(() => b.prefill([1])), 'model-missing');
  });

  it('an engine crash fails the request with engine-crashed; the next request restarts it; a crash loop stops restarts', async () => {
    const b = await LocalBackend.open({ modelPath: SHIPPED_MODEL, workerScript: WORKER_SCRIPT, contextSize: 512 });
    try {
      const prompt = b.fimPrompt(PY_PREFIX, PY_SUFFIX);
      const expected = (await b.generate({ prompt, maxTokens: 6, temperature: 0 })).tokens;
      const gen = b.generate({ prompt: b.fimPrompt('x = [', ''), maxTokens: 400, temperature: 0, bias: [[b.info.eos ?? 0, -Infinity]] }, () => {
        // a native abort() looks like this from outside
        if (b.enginePid) process.kill(b.enginePid, 'SIGKILL');
      });
      await rejectsWith(gen, 'engine-crashed');
      assert.strictEqual(b.pendingRequests, 0);
      // restarted with the model loaded again: same greedy output as before the crash
      assert.deepStrictEqual((await b.generate({ prompt, maxTokens: 6, temperature: 0 })).tokens, expected);
      for (let i = 0; i < 2; i++) {
        process.kill(b.enginePid!, 'SIGKILL');
        await b.whenExited();
        if (i === 0) await b.prefill([1]);
      }
      // three crashes within a minute: no more restarts, a clear state instead
      await rejectsWith(b.prefill([1]), 'engine-crashed');
      const h = await b.health();
      assert.ok(!h.ok && h.error === 'engine-crashed', JSON.stringify(h));
    } finally {
      b.dispose();
    }
  });

  it('a missing file is model-missing', async () => {
    await rejectsWith(LocalBackend.open({ modelPath: path.join(tmp, 'nope.gguf'), workerScript: WORKER_SCRIPT }), 'model-missing');
  });

  it('a file that is not GGUF is model-corrupt', async () => {
    const f = path.join(tmp, 'garbage.gguf');
    fs.writeFileSync(f, Buffer.from('this is not a model file at all'.repeat(100)));
    await rejectsWith(LocalBackend.open({ modelPath: f, workerScript: WORKER_SCRIPT }), 'model-corrupt');
  });

  it('a truncated model (metadata intact, weights cut off) is model-corrupt, from llama.cpp itself', async () => {
    const f = path.join(tmp, 'truncated.gguf');
    const size = fs.statSync(SHIPPED_MODEL).size;
    const fd = fs.openSync(SHIPPED_MODEL, 'r');
    const buf = Buffer.alloc(Math.floor(size * 0.6));
    fs.readSync(fd, buf, 0, buf.length, 0);
    fs.closeSync(fd);
    fs.writeFileSync(f, buf);
    // our metadata reader accepts it (the header and vocabulary are complete)…
    const { tokenizer } = readModelInfo(f);
    tokenizer.dispose();
    // …llama.cpp refuses the weights, and that arrives as a typed error, not a crash
    await rejectsWith(LocalBackend.open({ modelPath: f, workerScript: WORKER_SCRIPT }), 'model-corrupt');
  });

  it('a model without FIM tokens is model-no-fim', async () => {
    await ensureVocabs();
    await rejectsWith(LocalBackend.open({ modelPath: vocabPath('llama-bpe'), workerScript: WORKER_SCRIPT }), 'model-no-fim');
  });
});
