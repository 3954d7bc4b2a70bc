/**
 * Soak: a long automated editing session in the real VS Code - a few thousand edits mixed with
 * completions (accepted with Tab), encoding switches and boundary toggles - sampling the extension
 * host's memory (after a forced GC) and its active handles. The test asserts what must hold at the
 * end (the token model equals a full re-encode, the document holds exactly what was typed and
 * accepted, no handle left behind); the memory trend is a figure, reported here and held to its
 * limit by `npm run bench -- --filter reliability` (reliability.soak.rss_slope_mb_per_1k_edits).
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { get_encoding } from 'tiktoken';
import * as v8 from 'v8';
import * as vscode from 'vscode';
import type { TokenscopeApi } from '../../src/extension';
import { COMMAND_TOGGLE_BOUNDARIES } from '../../src/commandIds';
import { Rng } from '../unit/core/tokenizer/random';
import { activateExtension, closeAllEditors, exposeGc, inlineAnswer, removeScratchDir, waitFor, setUserSetting } from './helpers';
import { countCollections, memoryByKindMb, nextSoakEdit, sampleAllocations, SOAK_TEXT } from './soakWorkload';

const EDITS = Number(process.env.TOKENSCOPE_SOAK_EDITS ?? 2000);
/**
 * $TOKENSCOPE_SOAK_BASELINE=1: the same edits with every Tokenscope feature switched off (no count,
 * boundaries, glitch scan, digit lint or completions, so no token model either): VS Code's own
 * memory trend under the same typing, to hold the soak's against.
 */
const BASELINE = process.env.TOKENSCOPE_SOAK_BASELINE === '1';
/** A comma-separated list from the environment ([] when unset). */
const envList = (name: string): string[] => (process.env[name] ?? '').split(',').filter((k) => k !== '');
/** $TOKENSCOPE_SOAK_SKIP=completions,encodings,toggles: leaves those parts out (bisecting a memory trend by feature). */
const SKIP = new Set(envList('TOKENSCOPE_SOAK_SKIP'));
/** Whether the run leaves `part` out (the baseline leaves out every part). */
const skips = (part: 'completions' | 'encodings' | 'toggles'): boolean => BASELINE || SKIP.has(part);
/**
 * $TOKENSCOPE_SOAK_NO_SAMPLE_GC=1: samples without the forced GC (heap figures then include garbage),
 * to tell whether the forced full GCs themselves shrink and regrow V8's young generation.
 */
const NO_SAMPLE_GC = process.env.TOKENSCOPE_SOAK_NO_SAMPLE_GC === '1';
const ALL_FEATURES = ['statusBar.enabled', 'glitch.enabled', 'completion.enabled', 'digitChunking.enabled', 'boundaries.enabled', 'hover.enabled'];
/** $TOKENSCOPE_SOAK_OFF=glitch.enabled,…: those features switched off (bisecting a memory trend by feature); the baseline: all. */
const FEATURES_OFF = BASELINE ? ALL_FEATURES : envList('TOKENSCOPE_SOAK_OFF');
const SAMPLE_EVERY = 100;
/**
 * $TOKENSCOPE_SOAK_ALLOC_PROFILE=<dir>: every allocation after the warm-up sampled, garbage included
 * (soak.heapprofile or soak-baseline.heapprofile there): which code makes the per-keystroke garbage.
 */
const ALLOC_PROFILE = process.env.TOKENSCOPE_SOAK_ALLOC_PROFILE;

/**
 * Theil–Sen slope of y over x: the median of the slopes between every pair of samples. RSS jumps
 * ±30 MB between neighbouring samples (V8 and the IPC buffers keep and return pages in bulk); a
 * least-squares line through 30 such samples swung from -7.7 to +2.3 MB per 1k edits between two
 * runs of the same code, the median of pairwise slopes does not follow single jumps.
 */
function slope(xs: readonly number[], ys: readonly number[]): number {
  const slopes: number[] = [];
  for (let i = 0; i < xs.length; i++) for (let j = i + 1; j < xs.length; j++) if (xs[j] !== xs[i]) slopes.push((ys[j]! - ys[i]!) / (xs[j]! - xs[i]!));
  slopes.sort((a, b) => a - b);
  const m = slopes.length >> 1;
  return slopes.length === 0 ? 0 : slopes.length % 2 ? slopes[m]! : (slopes[m - 1]! + slopes[m]!) / 2;
}

describe('soak', function () {
  this.timeout(1_800_000);
  let api: TokenscopeApi;
  let tmp: string;
  before(async () => {
    api = await activateExtension();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tokenscope-soak-'));
    await vscode.workspace.getConfiguration('editor').update('quickSuggestions', { other: 'off', comments: 'off', strings: 'off' }, vscode.ConfigurationTarget.Global);
    for (const key of FEATURES_OFF) await setUserSetting(key, false);
  });
  after(async () => {
    await vscode.workspace.getConfiguration('editor').update('quickSuggestions', undefined, vscode.ConfigurationTarget.Global);
    await setUserSetting('encoding', undefined);
    for (const key of FEATURES_OFF) await setUserSetting(key, undefined);
    await closeAllEditors();
    removeScratchDir(tmp);
  });

  it(`${EDITS} edits with completions, encoding switches and toggles: exact at the end, nothing left behind, memory sampled`, async () => {
    const gc = exposeGc();
    const file = path.join(tmp, 'soak.py');
    fs.writeFileSync(file, SOAK_TEXT);
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
    const editor = await vscode.window.showTextDocument(doc);
    const errorsBefore = api.internal.loggedErrors().count;
    gc();
    const handlesBefore = process.getActiveResourcesInfo().length;
    const xs: number[] = [];
    const rss: number[] = [];
    const heap: number[] = [];
    /** What V8 holds for its heap (used or not), and memory outside it (ArrayBuffers, external strings): where RSS swings come from. */
    const heapTotal: number[] = [];
    const external: number[] = [];
    /** RSS split by where it lives: V8's heap pages (all spaces, physical), other anonymous memory (malloc, thread stacks, WASM), mapped files (code). */
    const v8Physical: number[] = [];
    const nativeAnon: number[] = [];
    const fileMapped: number[] = [];
    /** The main thread's malloc arena (the `[heap]` mapping): growth there is the host thread's own allocations. */
    const brkHeap: number[] = [];
    /** V8's heap pages by space (new, old, code, large objects, …), physical MB: which space a V8 trend is in. */
    const v8Spaces: Record<string, number[]> = {};
    const rng = new Rng(7);
    let accepted = 0;
    // the document keeps its size (a heap diff over a run where inserts won showed document-sized
    // prompt and model copies growing with the text)
    const startLength = doc.getText().length;
    // garbage collections (and, on request, allocations) after the warm-up (the first quarter)
    const warmUp = Math.floor(EDITS / 4 / SAMPLE_EVERY) * SAMPLE_EVERY;
    let stopCounting: (() => { minor: number; major: number }) | undefined;
    let stopSampling: (() => Promise<number>) | undefined;
    for (let i = 1; i <= EDITS; i++) {
      if (i === warmUp + 1) {
        stopCounting = countCollections();
        if (ALLOC_PROFILE) stopSampling = await sampleAllocations(path.join(ALLOC_PROFILE, BASELINE ? 'soak-baseline.heapprofile' : 'soak.heapprofile'));
      }
      const e = nextSoakEdit(rng, doc.offsetAt(doc.lineAt(doc.lineCount - 1).range.end), startLength);
      const range = new vscode.Range(doc.positionAt(e.offset), doc.positionAt(e.offset + e.deleteLength));
      assert.ok(await editor.edit((b) => b.replace(range, e.insert)));
      if (i % 100 === 50 && !skips('completions')) {
        // a completion at the end of a line, accepted when there is one
        const line = doc.lineAt(rng.int(doc.lineCount));
        editor.selection = new vscode.Selection(line.range.end, line.range.end);
        const o = await inlineAnswer(api, 'a completion answer', doc, (x) => (x.suggestion || x.skipped ? x : undefined));
        if (o.suggestion) {
          const before = doc.version;
          await vscode.commands.executeCommand('editor.action.inlineSuggest.commit');
          if (doc.version !== before) accepted++;
        }
      }
      if (i % 250 === 0 && !skips('encodings')) await setUserSetting('encoding', i % 500 === 0 ? undefined : 'cl100k_base');
      if (i % 150 === 0 && !skips('toggles')) await vscode.commands.executeCommand(COMMAND_TOGGLE_BOUNDARIES);
      if (i % SAMPLE_EVERY === 0) {
        await new Promise((r) => setTimeout(r, 50));
        if (!NO_SAMPLE_GC) gc();
        const m = process.memoryUsage();
        xs.push(i);
        rss.push(m.rss / 1048576);
        heap.push(m.heapUsed / 1048576);
        heapTotal.push(m.heapTotal / 1048576);
        external.push(m.external / 1048576);
        const kinds = memoryByKindMb();
        v8Physical.push(kinds.v8Pages);
        nativeAnon.push(kinds.otherAnon);
        fileMapped.push(kinds.file);
        brkHeap.push(kinds.mainArena);
        for (const [space, mb] of Object.entries(kinds.v8Spaces)) (v8Spaces[space] ??= []).push(mb);
        // $TOKENSCOPE_SOAK_SNAPSHOTS=<dir>: heap snapshots after the warm-up and at the end, to diff what grew
        const snapshots = process.env.TOKENSCOPE_SOAK_SNAPSHOTS;
        if (snapshots && (i === warmUp || i === EDITS)) v8.writeHeapSnapshot(path.join(snapshots, `soak-${i}.heapsnapshot`));
      }
    }
    const collections = stopCounting?.() ?? { minor: 0, major: 0 };
    const sampledBytes = (await stopSampling?.()) ?? 0;
    const measuredEdits = EDITS - warmUp;
    // per 1,000 edits after the warm-up: young-generation collections (a forced full GC per sample
    // is among the major ones) and, when sampled, MB allocated (every object, garbage included)
    const gcPer1k = { minorGcPer1k: (collections.minor / measuredEdits) * 1000, majorGcPer1k: (collections.major / measuredEdits) * 1000, allocatedMbPer1k: ALLOC_PROFILE ? (sampledBytes / 1048576 / measuredEdits) * 1000 : undefined };
    await setUserSetting('encoding', undefined);
    // exact at the end: the model (o200k again) equals a full re-encode of what the editor holds
    const ids = await waitFor('the final model', () => {
      const s = api.internal.modelState(doc);
      return s.kind === 'ready' && s.encoding === 'o200k_base' ? s.model.ids() : undefined;
    }, 120000);
    const oracle = get_encoding('o200k_base');
    try {
      assert.deepStrictEqual(Array.from(ids), Array.from(oracle.encode_ordinary(doc.getText())), 'the model after the soak equals tiktoken');
    } finally {
      oracle.free();
    }
    assert.strictEqual(api.internal.loggedErrors().count, errorsBefore, `Tokenscope logged an error: ${api.internal.loggedErrors().last ?? ''}`);
    // handles (timers, sockets, child processes) back to where they were, give or take VS Code's own
    await closeAllEditors();
    const handlesAfter = await waitFor('handles settled', () => {
      gc();
      const n = process.getActiveResourcesInfo().length;
      return n <= handlesBefore + 5 ? n : undefined;
    }, 60000).catch(() => process.getActiveResourcesInfo().length);
    // the trend after warm-up (the first quarter grows caches and JIT code)
    const skip = Math.floor(xs.length / 4);
    const partSlope = (ys: readonly number[]): number => slope(xs.slice(skip), ys.slice(skip)) * 1000;
    const rssSlope = partSlope(rss);
    const heapSlope = partSlope(heap);
    const parts = { v8PhysicalSlopeMbPer1k: partSlope(v8Physical), nativeAnonSlopeMbPer1k: partSlope(nativeAnon), fileMappedSlopeMbPer1k: partSlope(fileMapped), brkHeapSlopeMbPer1k: partSlope(brkHeap) };
    const result = { edits: EDITS, accepted, rssMb: rss, heapMb: heap, heapTotalMb: heapTotal, externalMb: external, v8PhysicalMb: v8Physical, nativeAnonMb: nativeAnon, fileMappedMb: fileMapped, brkHeapMb: brkHeap, v8SpacesMb: v8Spaces, rssSlopeMbPer1k: rssSlope, heapSlopeMbPer1k: heapSlope, ...parts, ...gcPer1k, handlesBefore, handlesAfter };
    console.log(`      RSS slope by part (MB/1k edits): V8 heap pages ${parts.v8PhysicalSlopeMbPer1k.toFixed(2)}, other anonymous ${parts.nativeAnonSlopeMbPer1k.toFixed(2)}, mapped files ${parts.fileMappedSlopeMbPer1k.toFixed(2)}; of the anonymous, the host thread's malloc arena ${parts.brkHeapSlopeMbPer1k.toFixed(2)}`);
    console.log(`      per 1k edits: ${gcPer1k.minorGcPer1k.toFixed(1)} young-generation GCs, ${gcPer1k.majorGcPer1k.toFixed(1)} full${gcPer1k.allocatedMbPer1k === undefined ? '' : `, ${gcPer1k.allocatedMbPer1k.toFixed(1)} MB allocated`}`);
    console.log(`      ${EDITS} edits, ${accepted} completions accepted; RSS ${rss[0]?.toFixed(0)} → ${rss[rss.length - 1]?.toFixed(0)} MB (slope ${rssSlope.toFixed(2)} MB/1k edits), heap after GC ${heap[0]?.toFixed(1)} → ${heap[heap.length - 1]?.toFixed(1)} MB (slope ${heapSlope.toFixed(2)} MB/1k edits); active handles ${handlesBefore} → ${handlesAfter}`);
    if (process.env.TOKENSCOPE_RELIABILITY_DIR) fs.writeFileSync(path.join(process.env.TOKENSCOPE_RELIABILITY_DIR, BASELINE ? 'soak-baseline.json' : 'soak.json'), JSON.stringify(result, null, 2));
    assert.ok(handlesAfter <= handlesBefore + 5, `active handles grew from ${handlesBefore} to ${handlesAfter}: ${JSON.stringify(process.getActiveResourcesInfo())}`);
    if (!skips('completions')) assert.ok(accepted > 0, 'some completions were accepted');
  });
});
