import * as assert from 'assert';
import * as http from 'http';
import type { AddressInfo } from 'net';
import { isBackendError } from '../../../../src/common/errors';
import type { CompletionBackend } from '../../../../src/core/backend/backend';
import { LlamaServerBackend, OllamaBackend, OpenAiCompatibleBackend } from '../../../../src/core/backend/remoteBackends';
import { closedPort, startFakeServer, type FakeServer, type Protocol } from '../../../support/fakeServers';

const COMPLETION = 'return a + b;\n}\n';

function make(protocol: Protocol, url: string, extra: { fimTemplate?: 'qwen' } = {}): CompletionBackend {
  const opts = { url, timeoutMs: 400, model: protocol === 'ollama' ? 'qwen2.5-coder:1.5b' : 'fim-model', ...extra };
  return protocol === 'llama-server' ? new LlamaServerBackend(opts) : protocol === 'ollama' ? new OllamaBackend(opts) : new OpenAiCompatibleBackend(opts);
}

describe('core/backend: remote backends against fake servers', function () {
  this.timeout(20000);
  for (const protocol of ['llama-server', 'ollama', 'openai'] as const) {
    describe(protocol, () => {
      let server: FakeServer;
      let backend: CompletionBackend;
      beforeEach(async () => {
        server = await startFakeServer(protocol, { completion: COMPLETION, delayMs: 1500 });
        backend = make(protocol, server.url);
      });
      afterEach(async () => {
        backend.dispose();
        await server.close();
      });

      it('follows a front that redirects every request (307) to the server, as fetch did', async () => {
        const front = http.createServer((req, res) => void res.writeHead(307, { location: `${server.url}${req.url ?? '/'}` }).end());
        await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
        const viaFront = make(protocol, `http://127.0.0.1:${(front.address() as AddressInfo).port}`);
        try {
          assert.strictEqual((await viaFront.health()).ok, true);
          assert.strictEqual((await viaFront.infill({ prefix: 'function add(a, b) {\n  ', suffix: '\n', maxTokens: 32, temperature: 0 })).text, COMPLETION);
        } finally {
          viaFront.dispose();
          await new Promise<void>((r) => (front.closeAllConnections(), front.close(() => r())));
        }
      });

      it('is healthy and streams an infill', async () => {
        assert.strictEqual((await backend.health()).ok, true);
        const chunks: string[] = [];
        const r = await backend.infill({ prefix: 'function add(a, b) {\n  ', suffix: '\n', maxTokens: 32, temperature: 0, onText: (c) => chunks.push(c) });
        assert.strictEqual(r.text, COMPLETION);
        assert.strictEqual(chunks.join(''), COMPLETION);
        assert.ok(chunks.length > 1, 'streamed in pieces');
        assert.strictEqual(r.stopReason, 'eos');
        const sent = server.requests.at(-1)!.body as Record<string, unknown>;
        if (protocol === 'llama-server') assert.deepStrictEqual([sent.input_prefix, sent.input_suffix, sent.cache_prompt], ['function add(a, b) {\n  ', '\n', true]);
        if (protocol === 'ollama') assert.deepStrictEqual([sent.prompt, sent.suffix, sent.model], ['function add(a, b) {\n  ', '\n', 'qwen2.5-coder:1.5b']);
        if (protocol === 'openai') assert.deepStrictEqual([sent.prompt, sent.suffix, sent.max_tokens], ['function add(a, b) {\n  ', '\n', 32]);
      });

      it('cuts at a stop string', async () => {
        const r = await backend.infill({ prefix: 'x', suffix: '', maxTokens: 32, temperature: 0, stop: ['\n}'] });
        assert.strictEqual(r.text, 'return a + b;');
        assert.strictEqual(r.stopReason, 'stop');
      });

      it('reports a server that answers too slowly as a timeout', async () => {
        server.fault = 'slow';
        await assert.rejects(backend.infill({ prefix: 'x', suffix: '', maxTokens: 8, temperature: 0 }), (e: unknown) => isBackendError(e, 'timeout'));
      });

      it('reports a stream that stalls as a timeout', async () => {
        server.fault = 'stall';
        await assert.rejects(backend.infill({ prefix: 'x', suffix: '', maxTokens: 8, temperature: 0 }), (e: unknown) => isBackendError(e, 'timeout'));
      });

      it('reports HTTP 500 with its status and body', async () => {
        server.fault = 'http500';
        await assert.rejects(backend.infill({ prefix: 'x', suffix: '', maxTokens: 8, temperature: 0 }), (e: unknown) => isBackendError(e, 'http') && e.status === 500 && /the model crashed/.test(e.message));
        const h = await backend.health();
        assert.deepStrictEqual([h.ok, !h.ok && h.error], [false, 'http']);
      });

      it('reports garbage as malformed', async () => {
        server.fault = 'garbage';
        await assert.rejects(backend.infill({ prefix: 'x', suffix: '', maxTokens: 8, temperature: 0 }), (e: unknown) => isBackendError(e, 'malformed') || isBackendError(e, 'truncated'));
        const h = await backend.health();
        assert.deepStrictEqual([h.ok, !h.ok && h.error], [false, 'malformed']);
      });

      it('reports a web page where the API belongs as malformed, saying so', async () => {
        server.fault = 'html';
        await assert.rejects(backend.infill({ prefix: 'x', suffix: '', maxTokens: 8, temperature: 0 }), (e: unknown) => isBackendError(e, 'malformed') && /answered a web page \(text\/html/.test(e.message));
        const h = await backend.health();
        assert.deepStrictEqual([h.ok, !h.ok && h.error], [false, 'malformed']);
      });

      it('reports a connection cut mid-stream as truncated', async () => {
        server.fault = 'truncate';
        await assert.rejects(backend.infill({ prefix: 'x', suffix: '', maxTokens: 8, temperature: 0 }), (e: unknown) => isBackendError(e, 'truncated'));
      });

      it('reports a refused connection as server-down', async () => {
        const port = await closedPort();
        const down = make(protocol, protocol === 'openai' ? `http://127.0.0.1:${port}/v1` : `http://127.0.0.1:${port}`);
        await assert.rejects(down.infill({ prefix: 'x', suffix: '', maxTokens: 8, temperature: 0 }), (e: unknown) => isBackendError(e, 'server-down'));
        const h = await down.health();
        assert.deepStrictEqual([h.ok, !h.ok && h.error], [false, 'server-down']);
      });

      it('stops when cancelled, as "aborted"', async () => {
        server.fault = 'stall';
        const ac = new AbortController();
        const p = backend.infill({ prefix: 'x', suffix: '', maxTokens: 8, temperature: 0, signal: ac.signal });
        setTimeout(() => ac.abort(), 100);
        await assert.rejects(p, (e: unknown) => isBackendError(e, 'aborted'));
      });
    });
  }

  it('llama-server: tokenize, detokenize and next-token probabilities', async () => {
    const server = await startFakeServer('llama-server', { completion: '' });
    const b = new LlamaServerBackend({ url: server.url, timeoutMs: 1000 });
    try {
      assert.deepStrictEqual(await b.tokenize('ab'), [97, 98]);
      assert.strictEqual(await b.detokenize([104, 105]), 'hi');
      const next = await b.nextTokens([1, 2, 3], 2, [[121, 5]]);
      assert.deepStrictEqual(next.map((n) => n.id), [120, 121]);
      assert.ok(Math.abs(next[0]!.prob - 0.9) < 1e-9);
      assert.deepStrictEqual((server.requests.at(-1)!.body as { logit_bias: unknown }).logit_bias, [[121, 5]]);
      assert.strictEqual(b.capabilities.tokenPrompt, true);
      assert.strictEqual(b.capabilities.vocabulary, false);
    } finally {
      await server.close();
    }
  });

  it('Ollama: raw mode with a FIM family sends the markers itself; a missing model is reported', async () => {
    const server = await startFakeServer('ollama', { completion: COMPLETION });
    try {
      const raw = make('ollama', server.url, { fimTemplate: 'qwen' });
      await raw.infill({ prefix: 'P', suffix: 'S', maxTokens: 8, temperature: 0 });
      const sent = server.requests.at(-1)!.body as { prompt: string; raw: boolean; suffix?: string };
      assert.deepStrictEqual([sent.prompt, sent.raw, sent.suffix], ['<|fim_prefix|>P<|fim_suffix|>S<|fim_middle|>', true, undefined]);
      const missing = new OllamaBackend({ url: server.url, timeoutMs: 1000, model: 'nope' });
      const h = await missing.health();
      assert.deepStrictEqual([h.ok, !h.ok && h.error], [false, 'model-missing']);
    } finally {
      await server.close();
    }
  });
});
