/**
 * Runs inside the VS Code extension host (launched by bench/vscodeHost.bench.ts through the test
 * harness): measures Tokenscope's decoration refresh after edits in a 10 MB file and the host's RSS.
 * Writes { refreshMs: number[], rssBaselineMb, rssMb } to $TOKENSCOPE_BENCH_RESULT.
 */
import * as fs from 'fs';
import { PerformanceObserver } from 'perf_hooks';
import * as vscode from 'vscode';
import type { TokenscopeApi } from '../../src/extension';
import { exposeGc, HostTaskProbe, hostProfile } from '../../test/integration/helpers';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs: number): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** The host process's memory by kind (MB): rss, V8 heap used, external (ArrayBuffers and strings outside the heap), arrayBuffers. */
function memoryMb(): Record<'rss' | 'heapUsed' | 'heapTotal' | 'external' | 'arrayBuffers', number> {
  const m = process.memoryUsage();
  const mb = (x: number): number => x / 1048576;
  return { rss: mb(m.rss), heapUsed: mb(m.heapUsed), heapTotal: mb(m.heapTotal), external: mb(m.external), arrayBuffers: mb(m.arrayBuffers) };
}

export async function run(): Promise<void> {
  const gc = exposeGc();
  const out = process.env.TOKENSCOPE_BENCH_RESULT;
  const file = process.env.TOKENSCOPE_BENCH_FILE;
  if (!out || !file) throw new Error('TOKENSCOPE_BENCH_RESULT / TOKENSCOPE_BENCH_FILE not set');
  const api = await vscode.extensions.getExtension<TokenscopeApi>('tokenscope.tokenscope')!.activate();
  gc();
  const memoryBefore = memoryMb();
  const rssBaselineMb = memoryBefore.rss;
  // The longest the host thread went without running a timer, from opening the file until its
  // token model is ready and the glitch scan done (everything Tokenscope does for a new document).
  // VS Code's own work on the host (reading 10 MB, building its document) is included.
  let worstStallMs = 0;
  let lastTick = performance.now();
  const stallTimer = setInterval(() => {
    const now = performance.now();
    worstStallMs = Math.max(worstStallMs, now - lastTick);
    lastTick = now;
  }, 2);
  // the same stretch in host-thread CPU (what the thread itself spent; the wall gap also holds the
  // OS running the renderer and code-server), attributable in a CPU profile with TOKENSCOPE_HOST_PROFILE
  const stopProfile = await hostProfile('open-10mb');
  const probe = new HostTaskProbe();
  const openedAt = performance.now();
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
  const editor = await vscode.window.showTextDocument(doc);
  console.log(`[bench] opened ${doc.lineCount} lines`);
  await waitFor('the token model', () => (api.internal.modelState(doc).kind === 'ready' ? true : undefined), 120000);
  const readyMs = performance.now() - openedAt;
  await waitFor('the glitch scan', () => (api.internal.glitchScanComplete(doc) ? true : undefined), 120000);
  const scannedMs = performance.now() - openedAt;
  clearInterval(stallTimer);
  const task = probe.stop();
  await stopProfile();
  const open = { worstStallMs, readyMs, scannedMs, longestTaskCpuMs: task.cpuMs, longestTaskSpanUs: task.spanUs, longTasks: task.longTasks };
  console.log(`[bench] model ready; ${JSON.stringify(open)}`);
  await vscode.commands.executeCommand('tokenscope.toggleBoundaries');
  // middle of the file, so that edits touch a block in the middle of the model
  const line = Math.floor(doc.lineCount / 2);
  editor.revealRange(new vscode.Range(line, 0, line, 0), vscode.TextEditorRevealType.AtTop);
  await waitFor(
    'boundaries in the middle of the file',
    () => {
      const b = api.internal.boundaries(doc);
      return b?.enabled && b.window[0] > 0 ? b : undefined;
    },
    30000,
  ).catch((e: unknown) => {
    console.log(`[bench] boundaries state: ${JSON.stringify(api.internal.boundaries(doc))?.slice(0, 300)}; visible ${JSON.stringify(editor.visibleRanges)}`);
    throw e;
  });
  console.log('[bench] boundaries drawn');
  // GC pauses of the extension host while we type: a refresh that overlaps one is reported apart.
  const gcs: { start: number; end: number }[] = [];
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcs.push({ start: e.startTime, end: e.startTime + e.duration });
  });
  obs.observe({ entryTypes: ['gc'] });
  const startedAt: number[] = [];
  const refreshMs: number[] = [];
  const cpuMs: number[] = [];
  const phases: (readonly number[])[] = [];
  // 20 warm-up edits (JIT, first allocations) are not recorded: the figure is steady-state typing
  for (let k = -20; k < 200; k++) {
    // type a character, then delete it again: every edit changes the document
    const pos = new vscode.Position(line + 5 + (Math.floor((k + 20) / 2) % 20), 0);
    const before = doc.version;
    const ok = await editor.edit((e) => ((k + 20) % 2 === 1 ? e.delete(new vscode.Range(pos, pos.translate(0, 1))) : e.insert(pos, 'x')), { undoStopBefore: false, undoStopAfter: false });
    if (!ok || doc.version === before) throw new Error(`edit ${k} did not apply`);
    const s = await waitFor('a refresh after an edit', () => {
      const b = api.internal.boundaries(doc);
      return b && b.version > before ? b : undefined;
    }, 10000).catch((e: unknown) => {
      const b = api.internal.boundaries(doc);
      console.log(`[bench] edit ${k}: doc v${doc.version}, before v${before}, boundaries v${b?.version} enabled ${b?.enabled}, model ${api.internal.modelState(doc).kind}`);
      throw e;
    });
    // let the renderer repaint before the next edit: on 2 cores it would otherwise compete with
    // the extension host for the CPU exactly while the next refresh is measured
    await sleep(60);
    if (k < 0) continue;
    refreshMs.push(s.refreshMs);
    startedAt.push(s.startedAt ?? 0);
    if (s.refreshCpuMs !== undefined) cpuMs.push(s.refreshCpuMs);
    phases.push(s.phasesMs ?? []);
  }
  await sleep(500); // GC entries are delivered asynchronously
  obs.disconnect();
  const overlapsGc = refreshMs.map((ms, i) => gcs.some((g) => g.end > startedAt[i]! && g.start < startedAt[i]! + ms));
  const gcPauses = gcs.map((g) => g.end - g.start);
  gc();
  const memoryAfter = memoryMb();
  const rssMb = memoryAfter.rss;
  fs.writeFileSync(out, JSON.stringify({ open, refreshMs, cpuMs, phases, overlapsGc, gcPauses, rssBaselineMb, rssMb, memoryBefore, memoryAfter, tokens: api.internal.modelState(doc).kind === 'ready' ? (api.internal.modelState(doc) as { model: { tokenCount: number } }).model.tokenCount : 0 }));
  // Glitch diagnostics: same file under r50k_base (where " SolidGoldMagikarp" is a reported glitch
  // token; the file has one every ~100 KB), the same kind of edits.
  await vscode.workspace.getConfiguration('tokenscope').update('encoding', 'r50k_base', vscode.ConfigurationTarget.Global);
  await waitFor('the r50k model', () => {
    const s = api.internal.modelState(doc);
    return s.kind === 'ready' && s.encoding === 'r50k_base' ? true : undefined;
  }, 120000);
  // the scan of the r50k model (in slices) must be done: until then edits publish nothing
  const glitchFindings = await waitFor('glitch findings', () => {
    const f = api.internal.glitchFindings(doc);
    return api.internal.glitchScanComplete(doc) && f.length > 0 ? f.length : undefined;
  }, 60000);
  console.log(`[bench] ${glitchFindings} glitch findings`);
  const glitchMs: number[] = [];
  const glitchCpuMs: number[] = [];
  for (let k = -20; k < 200; k++) {
    const pos = new vscode.Position(line + 5 + (Math.floor((k + 20) / 2) % 20), 0);
    const before = doc.version;
    const ok = await editor.edit((e) => ((k + 20) % 2 === 1 ? e.delete(new vscode.Range(pos, pos.translate(0, 1))) : e.insert(pos, 'x')), { undoStopBefore: false, undoStopAfter: false });
    if (!ok || doc.version === before) throw new Error(`edit ${k} did not apply`);
    const u = await waitFor('a glitch update', () => {
      const x = api.internal.glitchLastUpdate();
      return x && x.version === doc.version ? x : undefined;
    }, 10000);
    await sleep(60);
    if (k < 0) continue;
    glitchMs.push(u.ms);
    if (u.cpuMs !== undefined) glitchCpuMs.push(u.cpuMs);
  }
  await vscode.workspace.getConfiguration('tokenscope').update('encoding', undefined, vscode.ConfigurationTarget.Global);
  fs.writeFileSync(out, JSON.stringify({ ...(JSON.parse(fs.readFileSync(out, 'utf8')) as object), glitchMs, glitchCpuMs, glitchFindings }));
  await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
}
