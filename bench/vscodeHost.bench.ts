import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { REPO_ROOT, concat, jsCorpus } from '../test/corpus';
import { tokenscopeShare, type CpuProfile } from './hostProfile';
import { percentile, sliceToBytes } from './measure';
import type { BenchResult, BenchSuite } from './types';

/**
 * Decoration refresh in the real extension host (code-server, via the test harness): 200 edits in
 * the middle of a 10 MB JavaScript file with token boundaries on; the figure is Tokenscope's own
 * time per refresh (model query, segmenting, offset→position mapping, setDecorations calls), as
 * measured in the host. Plus the host's RSS with that file open and decorated.
 */
const suite: BenchSuite = {
  prefix: 'decorations.',
  alsoPrefixes: ['glitch.diagnostics.'],
  needsHarness: true,
  run: async (log) => {
    await Promise.resolve();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tokenscope-bench-'));
    const file = path.join(dir, 'big.js');
    // a reported r50k glitch token every ~100 KB, for the glitch-diagnostics phase
    const base = concat(jsCorpus(2_200_000)).replace(/\n/g, (m, offset: number) => (offset % 100_000 < 60 ? '\n// " SolidGoldMagikarp"\n' : m));
    let text = base;
    while (text.length < 10_000_000) text += base;
    fs.writeFileSync(file, sliceToBytes(text, 10_000_000));
    // Opened as plain text: as JavaScript, VS Code's built-in TypeScript extension sends the whole
    // 10 MB to tsserver in one 228 ms task on the same host thread (CPU profile, 2026-12-07), which
    // the open figures would then measure instead of Tokenscope. Tokens do not depend on the language.
    fs.mkdirSync(path.join(dir, '.vscode'));
    fs.writeFileSync(path.join(dir, '.vscode', 'settings.json'), JSON.stringify({ 'files.associations': { 'big.js': 'plaintext' } }));
    const result = path.join(dir, 'result.json');
    const r = spawnSync(
      'node',
      [
        path.join(REPO_ROOT, 'test/harness/runTests.js'),
        `--extensionDevelopmentPath=${REPO_ROOT}`,
        `--extensionTestsPath=${path.join(__dirname, 'vscode/index.js')}`,
        `--folder=${dir}`,
        '--timeout=600',
      ],
      // the open is profiled: which part of its long host tasks was Tokenscope's
      { env: { ...process.env, TOKENSCOPE_BENCH_RESULT: result, TOKENSCOPE_BENCH_FILE: file, TOKENSCOPE_HOST_PROFILE: process.env.TOKENSCOPE_HOST_PROFILE ?? dir }, encoding: 'utf8' },
    );
    if (!fs.existsSync(result)) throw new Error(`extension-host benchmark failed:\n${r.stdout}\n${r.stderr}`);
    const data = JSON.parse(fs.readFileSync(result, 'utf8')) as { open: { worstStallMs: number; readyMs: number; scannedMs: number; longestTaskCpuMs: number | undefined; longestTaskSpanUs: number[]; longTasks: { cpuMs: number; spanUs: [number, number] }[] }; memoryBefore: Record<string, number>; memoryAfter: Record<string, number>; refreshMs: number[]; cpuMs: number[]; glitchMs: number[]; glitchCpuMs: number[]; glitchFindings: number; phases: number[][]; overlapsGc: boolean[]; gcPauses: number[]; rssBaselineMb: number; rssMb: number; tokens: number };
    const profile = JSON.parse(fs.readFileSync(path.join(process.env.TOKENSCOPE_HOST_PROFILE ?? dir, 'open-10mb.cpuprofile'), 'utf8')) as CpuProfile;
    const ownOpenMs = Math.max(0, ...data.open.longTasks.map((t) => t.cpuMs * tokenscopeShare(profile, t.spanUs)));
    fs.rmSync(dir, { recursive: true, force: true });
    const p99 = percentile(data.refreshMs, 99);
    if (data.cpuMs.length !== data.refreshMs.length) throw new Error('the extension host cannot measure thread CPU time (needs Node ≥ 23.9)');
    // Thread CPU time is counted in scheduler ticks here (0 or ~4 ms per sample): only its mean is exact.
    const mean = (a: number[]): number => a.reduce((x, y) => x + y, 0) / Math.max(1, a.length);
    const cpuMean = mean(data.cpuMs);
    log(`thread CPU per refresh: mean ${cpuMean.toFixed(2)} ms (tick-quantized per sample, exact on average)`);
    const clean = data.refreshMs.filter((_, i) => !data.overlapsGc[i]);
    const p99NoGc = percentile(clean, 99);
    log(
      `GC pauses of the extension host during the run: ${data.gcPauses.length}, longest ${Math.max(0, ...data.gcPauses).toFixed(1)} ms; ` +
        `${data.refreshMs.length - clean.length} refreshes overlapped one; without those p99 ${p99NoGc.toFixed(2)} ms`,
    );
    log(`10 MB file, ${data.tokens} tokens: refresh p50 ${percentile(data.refreshMs, 50).toFixed(2)} ms, p99 ${p99.toFixed(2)} ms over ${data.refreshMs.length} edits`);
    log(`slowest refreshes (ms): ${[...data.refreshMs].sort((a, b) => b - a).slice(0, 8).map((x) => x.toFixed(1)).join(', ')}; first 5: ${data.refreshMs.slice(0, 5).map((x) => x.toFixed(1)).join(', ')}`);
    const slow = data.refreshMs.map((v, i) => [v, i] as const).sort((a, b) => b[0] - a[0]).slice(0, 5);
    log(`phases of the slowest [window, tokens, segments, send] (ms): ${slow.map(([, i]) => (data.phases[i] ?? []).map((x) => x.toFixed(1)).join('/')).join('; ')}`);
    const mem = (m: Record<string, number>): string => Object.entries(m).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ');
    log(`extension host memory (MB): before opening the file ${mem(data.memoryBefore)}; with it open and decorated ${mem(data.memoryAfter)}`);
    log(`opening: longest host task ${data.open.longestTaskCpuMs?.toFixed(0) ?? '?'} ms CPU at ${JSON.stringify(data.open.longestTaskSpanUs)} µs, longest wall gap ${data.open.worstStallMs.toFixed(0)} ms; Tokenscope's largest part of a task ${ownOpenMs.toFixed(1)} ms (${data.open.longTasks.length} tasks of ≥ 10 ms)`);
    const gP99 = percentile(data.glitchMs, 99);
    const gCpu = mean(data.glitchCpuMs);
    log(`glitch diagnostics (${data.glitchFindings} findings): wall p50 ${percentile(data.glitchMs, 50).toFixed(2)} ms, p99 ${gP99.toFixed(2)} ms; thread CPU mean ${gCpu.toFixed(2)} ms`);
    const results: BenchResult[] = [
      {
        id: 'decorations.refresh.p99.10mb',
        value: p99,
        unit: 'ms',
        target: '≤ 16 ms (one frame)',
        met: p99 <= 16,
        note: `wall time in the extension host; p50 ${percentile(data.refreshMs, 50).toFixed(2)} ms; thread CPU mean ${cpuMean.toFixed(2)} ms; without refreshes overlapping a host GC pause ${p99NoGc.toFixed(2)} ms`,
      },
      { id: 'decorations.refresh.cpu.mean.10mb', value: cpuMean, unit: 'ms', note: 'mean CPU time of the extension-host thread per refresh' },
      {
        id: 'glitch.diagnostics.p99.10mb',
        value: gP99,
        unit: 'ms',
        target: '≤ 5 ms',
        met: gP99 <= 5,
        note: `wall time in the extension host per update (tracker + publishing ${data.glitchFindings} diagnostics); thread CPU mean ${gCpu.toFixed(2)} ms`,
      },
      {
        id: 'decorations.open.hoststall.10mb',
        value: data.open.worstStallMs,
        unit: 'ms',
        target: '≤ 50 ms',
        met: data.open.worstStallMs <= 50,
        note: `longest gap between 2 ms timer ticks on the extension-host thread from opening the file to its model ready (${(data.open.readyMs / 1000).toFixed(2)} s) and its glitch scan done (${(data.open.scannedMs / 1000).toFixed(2)} s); includes VS Code's own work for a 10 MB document`,
      },
      {
        id: 'decorations.open.hosttask.cpu.10mb',
        value: data.open.longestTaskCpuMs ?? NaN,
        unit: 'ms',
        target: '≤ 50 ms',
        met: (data.open.longestTaskCpuMs ?? Infinity) <= 50,
        note: 'the same stretch in host-thread CPU time of the longest task; VS Code\'s own work for the document included (with TOKENSCOPE_HOST_PROFILE: its deserializing the 10 MB document message, 68 ms on 2026-12-07)',
      },
      {
        id: 'decorations.open.hosttask.tokenscope.10mb',
        value: ownOpenMs,
        unit: 'ms',
        target: '≤ 50 ms',
        met: ownOpenMs <= 50,
        note: `Tokenscope's part of the open's host tasks of ≥ 10 ms CPU (CPU × its share of the profile's samples in the task), largest of ${data.open.longTasks.length}`,
      },
      { id: 'decorations.hostrss', value: data.rssMb, unit: 'MB', note: `extension host process (all extensions); before the 10 MB file was opened: ${mem(data.memoryBefore)}; with it: ${mem(data.memoryAfter)} (MB)` },
    ];
    return results;
  },
};
export default suite;
