/**
 * Fake completion servers on 127.0.0.1 speaking llama-server's, Ollama's and the OpenAI API's
 * protocols, with fault injection — for testing the remote backends' error handling without a model.
 */
import * as http from 'http';
import type { AddressInfo } from 'net';

export type Protocol = 'llama-server' | 'ollama' | 'openai';
export type Fault = 'none' | 'slow' | 'stall' | 'http500' | 'garbage' | 'truncate' | 'html';

export interface FakeServer {
  readonly url: string;
  readonly port: number;
  /** Bodies of the POST requests received, in order. */
  readonly requests: { path: string; body: unknown }[];
  fault: Fault;
  close(): Promise<void>;
}

export interface FakeOptions {
  readonly completion: string;
  readonly fault?: Fault;
  /** Delay for the 'slow' and 'stall' faults (ms). */
  readonly delayMs?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function chunks(s: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < s.length; i += 3) out.push(s.slice(i, i + 3));
  return out;
}

export async function startFakeServer(protocol: Protocol, opts: FakeOptions): Promise<FakeServer> {
  const requests: { path: string; body: unknown }[] = [];
  const state = { fault: opts.fault ?? ('none') };
  const delay = opts.delayMs ?? 2000;
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (d: Buffer) => (raw += d.toString()));
    req.on('end', () => {
      void (async () => {
        const path = (req.url ?? '').replace(/^\/v1/, '');
        let body: unknown;
        try {
          body = raw ? (JSON.parse(raw) as unknown) : undefined;
        } catch {
          body = raw;
        }
        if (req.method === 'POST') requests.push({ path, body });
        const fault = state.fault;
        if (fault === 'slow') await sleep(delay);
        if (fault === 'http500') {
          res.writeHead(500, { 'content-type': 'text/plain' }).end('boom: the model crashed');
          return;
        }
        if (fault === 'html') {
          // a captive portal or a web server where the API should be
          res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><title>Sign in to the network</title><form></form>');
          return;
        }
        if (fault === 'garbage') {
          res.writeHead(200, { 'content-type': 'application/json' }).end('<html>not json {');
          return;
        }
        const json = (v: unknown): void => void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(v));
        const streamLines = async (lines: string[], contentType: string): Promise<void> => {
          res.writeHead(200, { 'content-type': contentType });
          for (let i = 0; i < lines.length; i++) {
            if (fault === 'truncate' && i === 2) {
              res.socket?.destroy();
              return;
            }
            if (fault === 'stall' && i === 2) await sleep(delay);
            res.write(lines[i]);
            await sleep(5);
          }
          res.end();
        };
        const parts = chunks(opts.completion);
        if (protocol === 'llama-server') {
          if (path === '/health') return json({ status: 'ok' });
          if (path === '/tokenize') return json({ tokens: Array.from((body as { content?: string }).content ?? '', (c) => c.codePointAt(0)) });
          if (path === '/detokenize') return json({ content: String.fromCodePoint(...((body as { tokens: number[] }).tokens ?? [])) });
          if (path === '/completion') return json({ content: 'x', completion_probabilities: [{ id: 120, token: 'x', logprob: -0.1, top_logprobs: [{ id: 120, token: 'x', logprob: Math.log(0.9) }, { id: 121, token: 'y', logprob: Math.log(0.05) }] }] });
          if (path === '/infill') {
            const lines = parts.map((p) => `data: ${JSON.stringify({ content: p, stop: false })}\n\n`);
            lines.push(`data: ${JSON.stringify({ content: '', stop: true, stop_type: 'eos', tokens_evaluated: 42, tokens_predicted: parts.length })}\n\n`);
            return streamLines(lines, 'text/event-stream');
          }
        } else if (protocol === 'ollama') {
          if (path === '/api/tags') return json({ models: [{ name: 'qwen2.5-coder:1.5b' }] });
          if (path === '/api/generate') {
            const lines = parts.map((p) => `${JSON.stringify({ response: p, done: false })}\n`);
            lines.push(`${JSON.stringify({ response: '', done: true, done_reason: 'stop', prompt_eval_count: 42, eval_count: parts.length })}\n`);
            return streamLines(lines, 'application/x-ndjson');
          }
        } else {
          if (path === '/models') return json({ data: [{ id: 'fim-model' }] });
          if (path === '/completions') {
            const lines = parts.map((p) => `data: ${JSON.stringify({ choices: [{ index: 0, text: p, finish_reason: null }] })}\n\n`);
            lines.push(`data: ${JSON.stringify({ choices: [{ index: 0, text: '', finish_reason: 'stop' }] })}\n\n`, 'data: [DONE]\n\n');
            return streamLines(lines, 'text/event-stream');
          }
        }
        res.writeHead(404).end('not found');
      })();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: protocol === 'openai' ? `http://127.0.0.1:${port}/v1` : `http://127.0.0.1:${port}`,
    port,
    requests,
    get fault() {
      return state.fault;
    },
    set fault(f: Fault) {
      state.fault = f;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A port with nothing listening (for "connection refused"). */
export async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
