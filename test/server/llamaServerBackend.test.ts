import * as assert from 'assert';
import { isBackendError } from '../../src/common/errors';
import { LlamaServerBackend, OpenAiCompatibleBackend } from '../../src/core/backend/remoteBackends';
import { existsSync, readFileSync } from 'fs';
import * as path from 'path';
import { LocalBackend } from '../../src/core/backend/local/localBackend';
import { REPO_ROOT } from '../corpus';
import { LlamaServerProcess, SHIPPED_MODEL } from '../support/llamaServer';

const WORKER = path.join(REPO_ROOT, 'out', 'src', 'core', 'backend', 'local', 'localWorker.js');

/**
 * The remote backends against a real llama-server built from the llama.cpp that node-llama-cpp
 * ships, serving the shipped model (faults a real server cannot produce stay in the unit tier's
 * fake servers).
 */
describe('llama-server (real): the remote backends', function () {
  let server: LlamaServerProcess;
  let backend: LlamaServerBackend;

  before(async () => {
    server = await LlamaServerProcess.start({ slots: 2 });
    backend = new LlamaServerBackend({ url: server.url, timeoutMs: 30000 });
  });
  after(async () => {
    backend?.dispose();
    await server?.kill();
  });

  async function slotsIdle(): Promise<{ n_decoded: number }[]> {
    for (;;) {
      const slots = (await (await fetch(`${server.url}/slots`)).json()) as { is_processing: boolean; next_token: { n_decoded: number }[] }[];
      if (slots.every((s) => !s.is_processing)) return slots.map((s) => s.next_token[0]!);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it('is healthy and detects token healing from the tokenizer pieces', async () => {
    const h = await backend.health();
    assert.ok(h.ok, JSON.stringify(h));
    assert.match(h.detail, /token-level/);
    assert.strictEqual(backend.capabilities.tokenHealing, true);
  });

  it('streams an infill in pieces with the server figures', async () => {
    const chunks: string[] = [];
    const r = await backend.infill({ prefix: 'def add(a, b):\n    return a', suffix: '\n\n\ndef sub(a, b):\n    return a - b\n', maxTokens: 24, temperature: 0, onText: (c) => chunks.push(c) });
    assert.ok(r.text.length > 0);
    assert.strictEqual(chunks.join(''), r.text);
    assert.ok(chunks.length > 1, `streamed in pieces: ${JSON.stringify(chunks)}`);
    assert.ok(['eos', 'limit'].includes(r.stopReason));
    assert.ok((r.promptTokens ?? 0) > 10 && (r.generatedTokens ?? 0) > 0, JSON.stringify(r));
    assert.ok(r.firstTokenMs !== undefined && r.firstTokenMs <= r.totalMs);
  });

  it('heals a cut token: "ret|" continues as "urn", where plain infill starts a new statement', async () => {
    const req = { prefix: 'def add(a, b):\n    ret', suffix: '\n', maxTokens: 12, temperature: 0 } as const;
    const plain = await backend.infill({ ...req, healing: 'off' });
    const healed = await backend.infill({ ...req, healing: 'classic' });
    assert.ok(healed.text.startsWith('urn'), `healed: ${JSON.stringify(healed.text)}`);
    // the server's tokenizer splits "    ret" as "   " + " ret": the cut is " ret"
    assert.strictEqual(healed.healedBytes, 4);
    // the failure healing fixes, on this server: the model does not continue a token it never saw cut
    assert.ok(!plain.text.startsWith('urn'), `plain: ${JSON.stringify(plain.text)}`);
  });

  it('heals as the local engine does: same text on held-out code at every cursor kind', async () => {
    // both continue the same model from the same token ids; the mask is built differently (the
    // local vocabulary's bytes, the server's grammar and bans), the choice must be the same
    const local = await LocalBackend.open({ modelPath: SHIPPED_MODEL, workerScript: WORKER, contextSize: 512, threads: 1 });
    try {
      // a file the shipped model never trained on (tools/train/results.json → heldout_files)
      const heldout = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'tools', 'train', 'results.json'), 'utf8')) as { heldout_files: string[] }).heldout_files;
      const src = readFileSync(heldout.find((f) => f.endsWith('.py') && existsSync(f))!, 'utf8');
      let same = 0;
      let healedCases = 0;
      const diffs: string[] = [];
      const cuts: string[] = [];
      for (let at = 200; at < src.length - 100; at += Math.floor(src.length / 24)) {
        const req = { prefix: src.slice(Math.max(0, at - 600), at), suffix: src.slice(at, at + 200), maxTokens: 10, temperature: 0, healing: 'classic', stop: ['\n'] } as const;
        const r = await backend.infill(req);
        const l = await local.infill(req);
        if ((r.healedBytes ?? 0) > 0) healedCases++;
        // the cut is the tokenizers' (the server's and ours), not the builds' arithmetic: always equal
        if ((r.healedBytes ?? 0) !== (l.healedBytes ?? 0)) cuts.push(`${JSON.stringify(req.prefix.slice(-12))}: server ${r.healedBytes ?? 0} bytes, local ${l.healedBytes ?? 0}`);
        if (r.text === l.text) same++;
        else diffs.push(`${JSON.stringify(req.prefix.slice(-12))}: server ${JSON.stringify(r.text)} local ${JSON.stringify(l.text)}`);
      }
      assert.ok(healedCases >= 10, `healed ${healedCases}`);
      assert.deepStrictEqual(cuts, [], 'the healed bytes differ');
      // Two llama.cpp builds (node-llama-cpp's prebuilt, this server's -march=native one) do their
      // arithmetic with different SIMD kernels and may break near-ties differently, so the texts
      // may part where two tokens are nearly equally likely. Measured: 84 of 84 (and 24 of 24)
      // identical on one CI machine; 22 of 24 on an AVX2-only AMD EPYC (2026-12-07), the two
      // parting at a near tie ("mor|" → "morph…" / "morning."; "…returned by the" / "…returned.").
      // A wrong mask would part most of the ≥ 10 healed cases.
      assert.ok(same >= 20, `${same} identical of 24:\n${diffs.join('\n')}`);
    } finally {
      local.dispose();
    }
  });

  it('an indentation is healed, not re-typed', async () => {
    const indent = await backend.infill({ prefix: 'def f(x):\n    ', suffix: '\n', maxTokens: 8, temperature: 0, healing: 'classic', stop: ['\n'] });
    assert.ok((indent.healedBytes ?? 0) >= 1, JSON.stringify(indent));
    assert.ok(!indent.text.startsWith('\n'), JSON.stringify(indent.text));
  });

  it('reuses the slot cache: a repeated prompt re-evaluates only a few tokens', async () => {
    const prefix = 'import os\nimport sys\n\n\ndef main(argv):\n    """Print each argument."""\n    for arg in argv:\n        print(';
    const typed = await backend.infill({ prefix: `${prefix}a`, suffix: ')\n', maxTokens: 4, temperature: 0 });
    const typedMore = await backend.infill({ prefix: `${prefix}ar`, suffix: ')\n', maxTokens: 4, temperature: 0 });
    assert.ok(typed.promptTokens! > 20 && typedMore.promptEvaluated !== undefined, JSON.stringify(typedMore));
    // the prompt's start is the slot's cache: only the changed end and the suffix after it are evaluated
    assert.ok(typedMore.promptEvaluated < typedMore.promptTokens! / 2, `evaluated ${typedMore.promptEvaluated} of ${typedMore.promptTokens} prompt tokens after typing one character`);
  });

  it('cancelling mid-stream stops the generation on the server', async () => {
    const req = { prefix: 'def table():\n    rows = [\n', suffix: '', maxTokens: 300, temperature: 0 } as const;
    const full = await backend.infill(req);
    assert.ok((full.generatedTokens ?? 0) > 40, `the uncancelled run generates enough to cancel inside: ${full.generatedTokens}`);
    const abort = new AbortController();
    await assert.rejects(
      backend.infill({ ...req, prefix: req.prefix + ' ', signal: abort.signal, onText: () => abort.abort() }),
      (e: unknown) => isBackendError(e, 'aborted') || (e instanceof Error && e.name === 'AbortError'),
    );
    const slots = await slotsIdle();
    const decoded = Math.max(...slots.map((s) => s.n_decoded));
    assert.ok(decoded < full.generatedTokens!, `the server stopped at ${decoded} of ${full.generatedTokens} tokens`);
    // and serves the next request
    assert.ok((await backend.infill({ ...req, maxTokens: 4 })).text.length > 0);
  });

  it('OpenAI-compatible /v1/completions with the StarCoder FIM template', async () => {
    const openai = new OpenAiCompatibleBackend({ url: `${server.url}/v1`, timeoutMs: 30000, fimTemplate: 'starcoder' });
    try {
      assert.ok((await openai.health()).ok);
      const chunks: string[] = [];
      const r = await openai.infill({ prefix: 'def add(a, b):\n    return a', suffix: '\n', maxTokens: 8, temperature: 0, onText: (c) => chunks.push(c) });
      assert.ok(r.text.length > 0 && chunks.join('') === r.text);
      assert.ok(['eos', 'limit', 'stop'].includes(r.stopReason));
      // the same prompt through /infill gives the same greedy text (the template matches the server's)
      const viaInfill = await backend.infill({ prefix: 'def add(a, b):\n    return a', suffix: '\n', maxTokens: 8, temperature: 0 });
      assert.strictEqual(r.text, viaInfill.text);
    } finally {
      openai.dispose();
    }
  });
});

describe('llama-server (real): server-side speculation', function () {
  it('reports the drafts of a server with a draft model, and its output is the plain server\'s', async () => {
    const spec = await LlamaServerProcess.start({ slots: 1, extraArgs: ['-md', SHIPPED_MODEL, '--spec-type', 'draft-simple'] });
    const plain = await LlamaServerProcess.start({ slots: 1 });
    const a = new LlamaServerBackend({ url: spec.url, timeoutMs: 30000 });
    const b = new LlamaServerBackend({ url: plain.url, timeoutMs: 30000 });
    try {
      await Promise.all([a.health(), b.health()]);
      const req = { prefix: 'import os\nimport sys\nimport os\nimport sys\nimport os\n', suffix: '', maxTokens: 40, temperature: 0 } as const;
      const withDrafts = await a.infill(req);
      const without = await b.infill(req);
      assert.ok(withDrafts.speculation && withDrafts.speculation.drafted > 0, JSON.stringify(withDrafts));
      assert.ok(withDrafts.speculation.accepted <= withDrafts.speculation.drafted);
      assert.strictEqual(without.speculation, undefined);
      assert.strictEqual(withDrafts.text, without.text);
    } finally {
      a.dispose();
      b.dispose();
      await spec.kill();
      await plain.kill();
    }
  });
});

describe('llama-server (real): killed mid-request and restarted', function () {
  it('the request fails with a clear error, health says down, and recovers when the server is back', async () => {
    let server = await LlamaServerProcess.start({ slots: 1 });
    const port = server.port;
    const backend = new LlamaServerBackend({ url: server.url, timeoutMs: 30000 });
    try {
      assert.ok((await backend.health()).ok);
      let killed: Promise<void> | undefined;
      await assert.rejects(
        backend.infill({ prefix: 'def table():\n    rows = [\n', suffix: '', maxTokens: 400, temperature: 0, onText: () => void (killed ??= server.kill()) }),
        (e: unknown) => isBackendError(e, 'truncated') || isBackendError(e, 'server-down'),
      );
      await killed;
      const down = await backend.health();
      assert.strictEqual(down.ok, false);
      if (!down.ok) assert.strictEqual(down.error, 'server-down');
      server = await LlamaServerProcess.start({ slots: 1, port });
      const up = await backend.health();
      assert.ok(up.ok, JSON.stringify(up));
      assert.ok((await backend.infill({ prefix: 'x = ', suffix: '\n', maxTokens: 4, temperature: 0 })).generatedTokens! > 0);
    } finally {
      backend.dispose();
      await server.kill();
    }
  });
});
