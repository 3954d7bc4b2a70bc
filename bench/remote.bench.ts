import * as path from 'path';
import { LocalBackend } from '../src/core/backend/local/localBackend';
import { LlamaServerBackend } from '../src/core/backend/remoteBackends';
import type { HealingMode, InfillResult } from '../src/core/backend/backend';
import { LlamaServerProcess, SHIPPED_MODEL } from '../test/support/llamaServer';
import { Rng } from '../test/unit/core/tokenizer/random';
import { heldoutSources, makeCases, WORD, type Case } from './fim.bench';
import { percentile } from './measure';
import type { BenchResult, BenchSuite } from './types';

/**
 * Completions from a real llama-server (built from node-llama-cpp's llama.cpp bundle, serving the
 * shipped model on 127.0.0.1), measured as bench/fim.bench.ts measures the local engine:
 *
 * - quality: held-out cases (fim.bench's makeCases, same seed), prompts cut to the extension's
 *   budgets (320 prefix and 128 suffix tokens of the model), greedy, 24 tokens, stop at a newline;
 *   healing off and classic through the server's token API, and the local engine's classic on the
 *   same prompts in the same run (agreement);
 * - a team on one server: 1, 2, 4 and 8 editors typing against a server with 4 slots (each editor
 *   types into its own held-out file, a completion after every character, as the debounce would
 *   fire them when typing fast); request latency p50 and the share of prompt tokens the slots'
 *   caches served.
 */

const WORKER = path.join(__dirname, '..', 'src', 'core', 'backend', 'local', 'localWorker.js');
/** Cases per kind (REMOTE_PER_KIND overrides it; the recorded figures use 40). */
const PER_KIND = Number(process.env.REMOTE_PER_KIND ?? 40);
const PREFIX_TOKENS = 320;
const SUFFIX_TOKENS = 128;
const MAX_TOKENS = 24;
const SLOTS = 4;
const CLIENTS = [1, 2, 4, 8] as const;
/** Keystrokes per editor in the concurrency runs. */
const KEYSTROKES = 12;

/** The prompt window the extension would send: the last 320 and first 128 tokens, cut at token boundaries. */
function windowOf(local: LocalBackend, c: Case): { prefix: string; suffix: string } {
  const tok = local.tokenizer;
  const dec = (ids: number[]): string => new TextDecoder().decode(tok.decodeBytes(ids));
  return { prefix: dec(Array.from(tok.encode(c.prefix)).slice(-PREFIX_TOKENS)), suffix: dec(Array.from(tok.encode(c.suffix)).slice(0, SUFFIX_TOKENS)) };
}

interface QualityRow {
  readonly kind: Case['kind'];
  readonly cut: boolean;
  readonly text: Record<'off' | 'classic' | 'local', string>;
  readonly middle: string;
  readonly firstMs: Record<'off' | 'classic', number>;
}

async function qualityRows(server: LlamaServerBackend, local: LocalBackend, cases: readonly Case[], log: (l: string) => void): Promise<BenchResult[]> {
  const rows: QualityRow[] = [];
  for (const c of cases) {
    const w = windowOf(local, c);
    const req = (healing: HealingMode) => ({ ...w, maxTokens: MAX_TOKENS, temperature: 0, healing, stop: ['\n'] });
    // the slot's cache warmed with the prompt first: both modes then start from it, as while typing
    await server.infill({ ...req('off'), maxTokens: 1 });
    const off = await server.infill(req('off'));
    const classic = await server.infill(req('classic'));
    const loc = await local.infill(req('classic'));
    const first = (r: InfillResult): number => r.firstTokenMs ?? r.totalMs;
    rows.push({ kind: c.kind, cut: WORD.test(c.prefix.at(-1) ?? '') && WORD.test(c.middle[0] ?? ''), text: { off: off.text, classic: classic.text, local: loc.text }, middle: c.middle, firstMs: { off: first(off), classic: first(classic) } });
  }
  const share = (xs: readonly QualityRow[], f: (r: QualityRow) => boolean): number => xs.filter(f).length / Math.max(1, xs.length);
  const mid = rows.filter((r) => r.kind === 'midident' && r.cut);
  const cont = (m: 'off' | 'classic' | 'local') => (r: QualityRow): boolean => WORD.test(r.text[m][0] ?? '');
  const p4 = (m: 'off' | 'classic') => (r: QualityRow): boolean => r.middle.length >= 4 && r.text[m].slice(0, 4) === r.middle.slice(0, 4);
  const agree = share(rows, (r) => r.text.classic === r.text.local);
  const offC = share(mid, cont('off'));
  const classicC = share(mid, cont('classic'));
  const localC = share(mid, cont('local'));
  for (const r of rows.filter((x) => x.text.classic !== x.text.local).slice(0, 12)) log(`  differs (${r.kind}): server ${JSON.stringify(r.text.classic.slice(0, 30))} local ${JSON.stringify(r.text.local.slice(0, 30))}`);
  log(`mid-identifier (${mid.length} cases): continue off ${offC.toFixed(2)}, classic ${classicC.toFixed(2)} (local engine ${localC.toFixed(2)}); prefix4 off ${share(rows, p4('off')).toFixed(2)}, classic ${share(rows, p4('classic')).toFixed(2)} (all ${rows.length}); classic text = local engine's in ${(agree * rows.length).toFixed(0)} of ${rows.length}`);
  const overhead = percentile(rows.map((r) => r.firstMs.classic - r.firstMs.off), 50);
  return [
    { id: 'remote.fim.midident.continue.classic', value: classicC, unit: 'share', peer: 'healing off (same run)', peerValue: offC, ratio: offC > 0 ? classicC / offC : undefined, target: '≥ 0.9', met: classicC >= 0.9, note: `${mid.length} held-out cases where the cursor cuts a word; llama-server, shipped model` },
    { id: 'remote.fim.midident.continue.local', value: localC, unit: 'share', note: 'the local engine\'s classic healing on the same cases and prompts (same run)' },
    { id: 'remote.fim.prefix4.classic', value: share(rows, p4('classic')), unit: 'share', peer: 'healing off (same run)', peerValue: share(rows, p4('off')), note: `first 4 characters equal the true middle's, all ${rows.length} cases of every cursor kind` },
    { id: 'remote.fim.agree.local', value: agree, unit: 'share', note: 'classic healing through the server gives the local engine\'s text (same prompts, same model)' },
    { id: 'remote.fim.heal.overhead.p50', value: overhead, unit: 'ms', note: 'time to the first visible character, classic − off, paired, the prompt in the slot cache (server on 127.0.0.1)' },
  ];
}

/** N editors typing against one server: each types KEYSTROKES characters of its own case, a completion per character. */
async function teamRows(cases: readonly Case[], local: LocalBackend, log: (l: string) => void): Promise<BenchResult[]> {
  const out: BenchResult[] = [];
  const server = await LlamaServerProcess.start({ slots: SLOTS, context: 1024 * SLOTS, threads: 2 });
  try {
    const backend = new LlamaServerBackend({ url: server.url, timeoutMs: 120000 });
    await backend.health();
    for (const n of CLIENTS) {
      const latencies: number[] = [];
      let evaluated = 0;
      let total = 0;
      await Promise.all(
        Array.from({ length: n }, async (_, e) => {
          const c = cases[(e * 7 + n) % cases.length]!;
          const w = windowOf(local, c);
          for (let k = 1; k <= KEYSTROKES; k++) {
            const t0 = performance.now();
            const r = await backend.infill({ prefix: w.prefix + c.middle.slice(0, k), suffix: w.suffix, maxTokens: MAX_TOKENS, temperature: 0, healing: 'classic', stop: ['\n'] });
            latencies.push(performance.now() - t0);
            evaluated += r.promptEvaluated ?? 0;
            total += r.promptTokens ?? 0;
          }
        }),
      );
      const p50 = percentile(latencies, 50);
      const reuse = total > 0 ? 1 - evaluated / total : NaN;
      log(`${n} editor(s) on ${SLOTS} slots: p50 ${p50.toFixed(0)} ms, p90 ${percentile(latencies, 90).toFixed(0)} ms, prompt tokens from the slot caches ${(100 * reuse).toFixed(0)}%`);
      out.push({ id: `remote.latency.p50.c${n}`, value: p50, unit: 'ms', note: `${n} concurrent editor(s) typing, a completion per keystroke (${latencies.length} requests), llama-server -np ${SLOTS} -t 2, shipped model, classic healing` });
      out.push({ id: `remote.cache.reuse.c${n}`, value: reuse, unit: 'share', note: 'prompt tokens served from the slots\' KV caches (1 − evaluated ÷ prompt tokens)' });
    }
    backend.dispose();
  } finally {
    await server.kill();
  }
  return out;
}

const suite: BenchSuite = {
  prefix: 'remote.',
  run: async (log) => {
    const files = heldoutSources();
    // the midident kind and a sample of every other kind (prefix4 over all of them)
    const cases = makeCases(files, new Rng(11), PER_KIND);
    const local = await LocalBackend.open({ modelPath: SHIPPED_MODEL, workerScript: WORKER, contextSize: 512, threads: 1 });
    const server = await LlamaServerProcess.start({ slots: 1, threads: 1 });
    try {
      const backend = new LlamaServerBackend({ url: server.url, timeoutMs: 60000 });
      log(`llama-server ${server.url}: ${JSON.stringify((await backend.health()).ok)}; ${cases.length} held-out cases`);
      const out = await qualityRows(backend, local, cases, log);
      backend.dispose();
      await server.kill();
      out.push(...(await teamRows(cases.filter((c) => c.middle.length >= KEYSTROKES), local, log)));
      return out;
    } finally {
      await server.kill();
      local.dispose();
    }
  },
};
export default suite;
