import * as fs from 'fs';
import * as path from 'path';
import { LocalBackend } from '../src/core/backend/local/localBackend';
import { ggufIsSpecial, ggufTokenByteIndex } from '../src/core/completion/heal/ggufTokenBytes';
import { findHealCut } from '../src/core/completion/heal/healTail';
import { abortableDelay } from '../src/common/async';
import { CompletionPipeline, generateWith } from '../src/core/completion/pipeline';
import { AdaptiveDebounce } from '../src/core/completion/schedule';
import type { CompletionContext } from '../src/core/completion/types';
import { REPO_ROOT } from '../test/corpus';
import { Rng } from '../test/unit/core/tokenizer/random';
import { percentile } from './measure';
import type { BenchResult, BenchSuite } from './types';

/**
 * Completion quality and cost of token healing, on the shipped model's held-out files (the files
 * tools/train kept out of training: tools/train/results.json → heldout_files), at cursor positions
 * of every kind. For each case the middle is the rest of the cursor's line (the next line when the
 * cursor is at a line's end), the suffix what follows it; prompts as the extension builds them
 * (320 prefix and 128 suffix tokens of the model, FIM markers from the GGUF).
 *
 * Per kind and mode (off / classic / exact):
 * - continue: where the cursor cuts a word, the share whose first generated character continues it;
 * - prefix1/4/8: the share whose first k characters equal the true middle's;
 * - line: first-line exact match;
 * - nll: −log P(the output starts with the true middle), in nats per UTF-8 byte of the middle, the
 *   probability summed over every tokenization that covers the bytes (cover encodings,
 *   byteCovers.ts), so the three modes are measured alike. Off: after the unhealed prompt. Classic:
 *   after the cut prompt, over the outputs its masks allow, each masked step renormalized by its
 *   mask's mass (ByteCovers.classicLogProb). Exact: after the cut prompt, P(healed + middle) /
 *   P(healed), the byte-level conditional.
 * Latency: healing overhead = time to the first visible character, classic − off, paired, each on an
 * empty KV cache; request → suggestion through the pipeline (warm model, no debounce); typed-through.
 */

const SHIPPED = path.join(REPO_ROOT, 'media', 'models', 'tokenscope-fim-tiny.gguf');
const WORKER = path.join(__dirname, '..', 'src', 'core', 'backend', 'local', 'localWorker.js');
/** Cases per kind (FIM_PER_KIND overrides it for a quick look; the recorded figures use 60). */
const PER_KIND = Number(process.env.FIM_PER_KIND ?? 60);
const PREFIX_TOKENS = 320;
const SUFFIX_TOKENS = 128;
const MAX_TOKENS = 24;
const ALL = Number.MAX_SAFE_INTEGER;

const KINDS = ['midident', 'afterspace', 'midindent', 'midoperator', 'instring', 'linestart', 'lineend'] as const;
export type Kind = (typeof KINDS)[number];
const MODES = ['off', 'classic', 'exact'] as const;
type Mode = (typeof MODES)[number];

export interface Case {
  readonly kind: Kind;
  readonly prefix: string;
  readonly middle: string;
  readonly suffix: string;
}

export const WORD = /[\p{L}\p{N}_]/u;
const OPERATOR = /[=<>!+\-*/&|%^]/;

/** The kind of cursor position `at` in `text`, or undefined when it is none of them (or ambiguous). */
function kindAt(text: string, at: number): Kind | undefined {
  const lineStart = text.lastIndexOf('\n', at - 1) + 1;
  const nl = text.indexOf('\n', at);
  const lineEnd = nl < 0 ? text.length : nl;
  const line = text.slice(lineStart, lineEnd);
  if (line.trim() === '') return undefined;
  const before = text[at - 1] ?? '\n';
  const after = text[at] ?? '\n';
  const col = at - lineStart;
  if (col === 0) return 'linestart';
  if (at === lineEnd) return 'lineend';
  const lead = line.length - line.trimStart().length;
  if (col < lead) return 'midindent';
  const quotes = (line.slice(0, col).match(/["']/g) ?? []).length;
  if (quotes % 2 === 1) return 'instring';
  if (WORD.test(before) && WORD.test(after)) return 'midident';
  if (before === ' ' && after !== ' ') return 'afterspace';
  if (OPERATOR.test(before) && OPERATOR.test(after)) return 'midoperator';
  return undefined;
}

export function makeCases(files: readonly string[], rng: Rng, perKind = PER_KIND): Case[] {
  const byKind = new Map<Kind, Case[]>(KINDS.map((k) => [k, []]));
  for (let tries = 0; tries < 2_000_000 && [...byKind.values()].some((v) => v.length < perKind); tries++) {
    const text = rng.pick(files);
    const at = 1 + rng.int(text.length - 1);
    const kind = kindAt(text, at);
    const list = kind && byKind.get(kind);
    if (!list || list.length >= perKind) continue;
    let end = text.indexOf('\n', at);
    if (end === at) end = text.indexOf('\n', at + 1);
    if (end < 0) continue;
    const middle = text.slice(at, end);
    if (middle.trim() === '') continue;
    list.push({ kind, prefix: text.slice(0, at), middle, suffix: text.slice(end) });
  }
  return KINDS.flatMap((k) => byKind.get(k)!);
}

interface Row {
  /** Index of the case (rows of one case share it). */
  case: number;
  kind: Kind;
  mode: Mode;
  cut: boolean;
  generated: string;
  middle: string;
  nll: number;
  bytes: number;
  firstVisibleMs: number;
}

/** One case in every mode: the generations, and the three likelihoods from two cover-sum scorings. */
async function runCase(b: LocalBackend, c: Case, caseId: number, index: ReturnType<typeof ggufTokenByteIndex>, isSpecial: (id: number) => boolean): Promise<Row[]> {
  const tok = b.tokenizer;
  const pre = Array.from(tok.encode(c.prefix)).slice(-PREFIX_TOKENS);
  const suf = Array.from(tok.encode(c.suffix)).slice(0, SUFFIX_TOKENS);
  const prefix = new TextDecoder().decode(tok.decodeBytes(pre));
  const suffix = new TextDecoder().decode(tok.decodeBytes(suf));
  const { prompt, cursorAt } = b.fimPromptAt(prefix, suffix);
  const cut = findHealCut(prompt.slice(0, cursorAt), index, { isSpecial });
  const middle = Buffer.from(c.middle, 'utf8');
  const off = await b.coverScore(prompt, middle, 0);
  const healed = cut.removed.length > 0 ? await b.coverScore([...prompt.slice(0, cut.keep), ...prompt.slice(cursorAt)], Buffer.concat([cut.removed, middle]), cut.removed.length) : off;
  const logP: Record<Mode, number> = {
    off: off.logP,
    classic: healed.logPClassic,
    exact: cut.removed.length > 0 ? healed.logP - healed.logPHealed : off.logP,
  };
  const first = c.prefix.at(-1) ?? '';
  const rows: Row[] = [];
  for (const mode of MODES) {
    await b.rollback(ALL);
    const r = await b.infill({ prefix, suffix, maxTokens: MAX_TOKENS, temperature: 0, healing: mode, stop: ['\n'] });
    rows.push({ case: caseId, kind: c.kind, mode, cut: WORD.test(first) && WORD.test(c.middle[0] ?? ''), generated: r.text, middle: c.middle, nll: -logP[mode], bytes: middle.length, firstVisibleMs: r.firstTokenMs ?? r.totalMs });
  }
  return rows;
}

const sumOver = (rows: readonly Row[], cases: ReadonlySet<number>, f: (r: Row) => number): number => rows.reduce((x, r) => (cases.has(r.case) ? x + f(r) : x), 0);
const share = (rows: readonly Row[], pred: (r: Row) => boolean): number => (rows.length ? rows.filter(pred).length / rows.length : NaN);
const prefixK = (k: number) => (r: Row): boolean => r.middle.length >= k && r.generated.slice(0, k) === r.middle.slice(0, k);

function qualityRows(rows: readonly Row[], log: (l: string) => void): BenchResult[] {
  const out: BenchResult[] = [];
  for (const kind of KINDS) {
    const finite = new Set(rows.filter((r) => r.kind === kind && r.mode === 'off').map((r) => r.case).filter((id) => rows.every((r) => r.case !== id || Number.isFinite(r.nll))));
    const figures = (mode: Mode): Record<string, number> => {
      const rs = rows.filter((r) => r.kind === kind && r.mode === mode);
      const cut = rs.filter((r) => r.cut);
      return {
        continue: share(cut, (r) => WORD.test(r.generated[0] ?? '')),
        prefix1: share(rs.filter((r) => r.middle.length >= 1), prefixK(1)),
        prefix4: share(rs.filter((r) => r.middle.length >= 4), prefixK(4)),
        prefix8: share(rs.filter((r) => r.middle.length >= 8), prefixK(8)),
        line: share(rs, (r) => r.generated.trimEnd() === r.middle.trimEnd()),
        // over the cases every mode gives a non-zero probability (paired); `zero` counts the others
        nll: sumOver(rs, finite, (r) => r.nll) / sumOver(rs, finite, (r) => r.bytes),
        zero: rs.filter((r) => !Number.isFinite(r.nll)).length,
        n: rs.length,
        ncut: cut.length,
      };
    };
    const off = figures('off');
    const classic = figures('classic');
    const exact = figures('exact');
    log(`${kind}: n=${off.n} (word cut in ${off.ncut}); off ${fmt(off)} | classic ${fmt(classic)} | exact ${fmt(exact)}`);
    for (const [mode, f] of [['off', off], ['classic', classic], ['exact', exact]] as const) {
      for (const m of ['prefix1', 'prefix4', 'prefix8', 'line'] as const) out.push({ id: `fim.${kind}.${m}.${mode}`, value: f[m]!, unit: 'share', note: `${f.n} cases` });
      if (f.ncut! > 0) out.push({ id: `fim.${kind}.continue.${mode}`, value: f.continue!, unit: 'share', note: `${f.ncut} cases where the cursor cuts a word` });
      out.push({ id: `fim.${kind}.nll.${mode}`, value: f.nll!, unit: 'nats/byte', note: `${finite.size} of ${f.n} cases (the ones every mode gives a non-zero probability); ${f.zero} where ${mode} gives the truth probability 0` });
    }
    decorate(out, kind, off, classic, exact);
  }
  return out;
}

/** The headline rows get their baselines (measured in this run) and targets. */
function decorate(out: BenchResult[], kind: Kind, off: Record<string, number>, classic: Record<string, number>, exact: Record<string, number>): void {
  const set = (id: string, patch: Partial<BenchResult>): void => {
    const i = out.findIndex((r) => r.id === id);
    if (i >= 0) out[i] = { ...out[i]!, ...patch };
  };
  if (kind === 'midident') {
    set('fim.midident.continue.classic', { peer: 'off (same run)', peerValue: off.continue!, ratio: classic.continue! / off.continue!, target: '≥ 0.9', met: classic.continue! >= 0.9 });
    const r = off.nll! / classic.nll!;
    set('fim.midident.nll.classic', { peer: 'off (same run)', peerValue: off.nll!, ratio: r, target: 'ratio ≥ 1.4', met: r >= 1.4 });
    const re = classic.nll! / exact.nll!;
    set('fim.midident.nll.exact', { peer: 'classic (same run)', peerValue: classic.nll!, ratio: re, target: 'ratio ≥ 1.0', met: re >= 1.0 });
    set('fim.midident.continue.exact', { peer: 'classic (same run)', peerValue: classic.continue!, ratio: exact.continue! / classic.continue! });
  }
  if (kind === 'linestart') {
    const d = classic.prefix4! - off.prefix4!;
    out.push({ id: 'fim.linestart.prefix4.delta', value: d, unit: 'share', target: '≥ −0.01', met: d >= -0.01, note: `classic ${classic.prefix4!.toFixed(3)} − off ${off.prefix4!.toFixed(3)}` });
  }
}

function fmt(f: Record<string, number>): string {
  return `zero ${f.zero} cont ${f.continue!.toFixed(2)} p1 ${f.prefix1!.toFixed(2)} p4 ${f.prefix4!.toFixed(2)} p8 ${f.prefix8!.toFixed(2)} line ${f.line!.toFixed(2)} nll ${f.nll!.toFixed(3)}`;
}

/** Healing overhead: time to the first visible character, healed − off, paired per case (each on an empty KV cache). */
function overheadRows(rows: readonly Row[]): BenchResult[] {
  const diffs = (mode: Mode): number[] => {
    const d: number[] = [];
    for (let i = 0; i + MODES.length - 1 < rows.length; i += MODES.length) d.push(rows[i + MODES.indexOf(mode)]!.firstVisibleMs - rows[i]!.firstVisibleMs);
    return d;
  };
  const classic = diffs('classic');
  const exact = diffs('exact');
  const c50 = percentile(classic, 50);
  return [
    { id: 'fim.heal.overhead.p50', value: c50, unit: 'ms', target: '≤ 10', met: c50 <= 10, note: `classic: time to the first visible character, classic − off, paired over ${classic.length} cases on an empty KV cache; p90 ${percentile(classic, 90).toFixed(1)} ms` },
    { id: 'fim.heal.overhead.p50.exact', value: percentile(exact, 50), unit: 'ms', note: `exact: the same, exact − off; p90 ${percentile(exact, 90).toFixed(1)} ms` },
  ];
}

/** Through the pipeline as the provider runs it: fresh contexts, then typing the first character of each suggestion. */
async function latencyRows(b: LocalBackend, cases: readonly Case[]): Promise<BenchResult[]> {
  const p = new CompletionPipeline(generateWith((req) => b.infill(req)));
  const never = new AbortController().signal;
  const opts = { healing: 'classic' as const, tokenLevel: true, maxTokens: MAX_TOKENS };
  const fresh: number[] = [];
  const typed: number[] = [];
  for (const c of cases) {
    const ctx: CompletionContext = { prefix: c.prefix.slice(-1500), suffix: c.suffix.slice(0, 500), prefixComplete: false };
    const o = await p.complete(ctx, opts, never);
    if (!('suggestion' in o)) continue;
    fresh.push(o.suggestion.latencyMs);
    const t = await p.complete({ ...ctx, prefix: ctx.prefix + o.suggestion.text[0]! }, opts, never);
    if ('suggestion' in t && t.suggestion.source === 'typed-through') typed.push(t.suggestion.latencyMs);
  }
  const p50 = percentile(fresh, 50);
  const t50 = percentile(typed, 50);
  return [
    { id: 'fim.latency.p50.shipped', value: p50, unit: 'ms', target: '≤ 150', met: p50 <= 150, note: `request → suggestion through the pipeline, warm model, no debounce, ${fresh.length} requests; p90 ${percentile(fresh, 90).toFixed(0)} ms` },
    { id: 'fim.latency.typed_through.p50', value: t50, unit: 'ms', target: '≤ 5', met: t50 <= 5, note: `${typed.length} suggestions served after typing their first character` },
  ];
}

/**
 * Debounce, measured: a simulated user types the first 8 characters of each case's middle with
 * gaps of 60–240 ms (uniform, seeded), then pauses. Every keystroke is a provider request that
 * waits for the debounce (cancelled by the next keystroke), then asks the pipeline, as in VS Code.
 * Figures per strategy: generations started per typed character, and the time from the last
 * keystroke to the suggestion shown after the pause (what the user waits for).
 */
async function debounceRows(b: LocalBackend, cases: readonly Case[], log: (l: string) => void): Promise<BenchResult[]> {
  const run = async (strategy: 'fixed250' | 'adaptive'): Promise<{ perChar: number; p50: number }> => {
    let generations = 0;
    const p = new CompletionPipeline(
      generateWith((req) => {
        generations++;
        return b.infill(req);
      }),
    );
    const opts = { healing: 'classic' as const, tokenLevel: true, maxTokens: MAX_TOKENS };
    const rng = new Rng(5);
    const waits: number[] = [];
    let typed = 0;
    for (const c of cases) {
      const d = new AdaptiveDebounce();
      let current: AbortController | undefined;
      let last: Promise<number | undefined> = Promise.resolve(undefined);
      const chars = c.middle.slice(0, 8);
      for (let i = 1; i <= chars.length; i++) {
        current?.abort();
        const ac = (current = new AbortController());
        const ctx: CompletionContext = { prefix: c.prefix.slice(-1500) + chars.slice(0, i), suffix: c.suffix.slice(0, 500), prefixComplete: false };
        d.keystroke(performance.now());
        const typedAt = performance.now();
        last = (async () => {
          await abortableDelay(strategy === 'fixed250' ? 250 : d.delay(), ac.signal);
          const o = await p.complete(ctx, opts, ac.signal);
          return 'suggestion' in o ? performance.now() - typedAt : undefined;
        })().catch(() => undefined);
        typed++;
        if (i < chars.length) await new Promise((r) => setTimeout(r, 60 + rng.int(180)));
      }
      const w = await last;
      if (w !== undefined) waits.push(w);
      p.cancel();
    }
    return { perChar: generations / typed, p50: percentile(waits, 50) };
  };
  const fixed = await run('fixed250');
  const adaptive = await run('adaptive');
  log(`debounce: fixed 250 ms: ${fixed.perChar.toFixed(2)} generations per typed character, suggestion ${fixed.p50.toFixed(0)} ms after the last keystroke; adaptive: ${adaptive.perChar.toFixed(2)}, ${adaptive.p50.toFixed(0)} ms`);
  return [
    { id: 'fim.debounce.wait.p50.adaptive', value: adaptive.p50, unit: 'ms', peer: 'fixed 250 ms (same run)', peerValue: fixed.p50, ratio: fixed.p50 / adaptive.p50, note: 'last keystroke → suggestion, simulated typing 60–240 ms gaps, shipped model' },
    { id: 'fim.debounce.generations.adaptive', value: adaptive.perChar, unit: 'per char', peer: 'fixed 250 ms (same run)', peerValue: fixed.perChar, note: 'generations started per typed character (engine work)' },
  ];
}

/** The texts of the shipped model's held-out files (tools/train/results.json → heldout_files). */
export function heldoutSources(): string[] {
  const results = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'tools', 'train', 'results.json'), 'utf8')) as { heldout_files: string[] };
  return results.heldout_files.filter((f) => fs.existsSync(f)).map((f) => fs.readFileSync(f, 'utf8').replace(/\r\n?/g, '\n'));
}

const suite: BenchSuite = {
  prefix: 'fim.',
  run: async (log) => {
    const files = heldoutSources();
    log(`${files.length} held-out files`);
    const cases = makeCases(files, new Rng(11));
    const b = await LocalBackend.open({ modelPath: SHIPPED, workerScript: WORKER, contextSize: 512 });
    try {
      const index = ggufTokenByteIndex(b.tokenizer);
      const isSpecial = ggufIsSpecial(b.tokenizer);
      const rows: Row[] = [];
      for (const [i, c] of cases.entries()) rows.push(...(await runCase(b, c, i, index, isSpecial)));
      const out = qualityRows(rows, log);
      out.push(...overheadRows(rows));
      out.push(...(await latencyRows(b, cases.filter((_, i) => i % 3 === 0))));
      out.push(...(await debounceRows(b, cases.filter((c, i) => i % 7 === 0 && c.middle.length >= 8).slice(0, 24), log)));
      return out;
    } finally {
      b.dispose();
    }
  },
};
export default suite;
