import * as fs from 'fs';
import * as path from 'path';
import * as v8 from 'v8';
import * as vm from 'vm';
import * as vscode from 'vscode';
import type { TokenscopeApi } from '../../src/extension';
import type { BackendState } from '../../src/services/backendService';
import { threadCpuMs } from '../../src/common/threadCpu';
import type { InlineCompletionProvider } from '../../src/features/inlineCompletion/inlineCompletionProvider';
import { openInspectorSession } from './inspectorSession';

export const EXTENSION_ID = 'tokenscope.tokenscope';
/** Repository root (this file runs from out/test/integration). */
export const REPO_ROOT = path.resolve(__dirname, '../../..');
export const TEST_OUTPUT = path.join(REPO_ROOT, 'test-output');

export async function activateExtension(): Promise<TokenscopeApi> {
  const ext = vscode.extensions.getExtension<TokenscopeApi>(EXTENSION_ID);
  if (!ext) {
    throw new Error(`extension ${EXTENSION_ID} is not loaded`);
  }
  return ext.activate();
}

/** Polls `probe` until it returns a value other than undefined; fails with the last value seen. */
export async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 10000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = probe();
    if (v !== undefined) {
      return v;
    }
    if (Date.now() - t0 > timeoutMs) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Writes (undefined: removes) `tokenscope.<key>` in the user settings. */
export function setUserSetting(key: string, value: unknown): Thenable<void> {
  return vscode.workspace.getConfiguration('tokenscope').update(key, value, vscode.ConfigurationTarget.Global);
}

/** Waits until the completion backend's state satisfies `pred`; returns that state. */
export function backendStateIs(api: TokenscopeApi, pred: (s: BackendState) => boolean, what: string, timeoutMs = 30000): Promise<BackendState> {
  return waitFor(what, () => (pred(api.internal.backendState()) ? api.internal.backendState() : undefined), timeoutMs);
}

/** The model shipped with the extension (media/models). */
export function shippedModelPath(): string {
  return path.join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, 'media', 'models', 'tokenscope-fim-tiny.gguf');
}

export function workspaceFile(name: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) {
    throw new Error('the integration tests need the fixture workspace open');
  }
  return vscode.Uri.joinPath(folder.uri, name);
}

/**
 * Asks the code-server harness for a screenshot of the whole workbench page (the line below is
 * read from the extension host's console) and waits for the file. Returns undefined outside the
 * harness (e.g. desktop VS Code through @vscode/test-electron), where nobody takes screenshots.
 */
export async function screenshot(name: string): Promise<string | undefined> {
  if (!process.env.HARNESS_RUN_DIR) {
    console.log(`[screenshot] ${name}: not available outside the code-server harness`);
    return undefined;
  }
  fs.mkdirSync(TEST_OUTPUT, { recursive: true });
  const file = path.join(TEST_OUTPUT, `${name}.png`);
  fs.rmSync(file, { force: true });
  // Let the workbench paint what the test just changed.
  await new Promise((r) => setTimeout(r, 500));
  console.log(`##harness-screenshot ${file}`);
  await waitFor(`screenshot ${file}`, () => (fs.existsSync(file) ? true : undefined), 15000);
  return file;
}

/**
 * Removes a scratch directory a test wrote. VS Code can still be writing beside a file it just
 * closed (the 3 MB test saw ENOTEMPTY in CI: an entry appeared while rmSync recursed), so removal
 * retries, and a directory that still resists is left to the harness, which deletes its run
 * directory: cleaning up is not what the test asserts.
 */
export function removeScratchDir(dir: string): void {
  try {
    fs.rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
  } catch (err) {
    console.warn(`[cleanup] left ${dir}: ${(err as Error).message}`);
  }
}

export async function closeAllEditors(): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
}

/**
 * Opens a new untitled document with `content`. VS Code names untitled documents Untitled-1, -2, …
 * and reuses a name once its editor closes, and the document we get back can be an old one under
 * that name: one the extension host has not dropped yet, or one VS Code restored from a backup of a
 * large dirty document that was still being written when that document was reverted. Either way it
 * is shown, reverted (which also discards its backup) and closed, and we ask again.
 */
export async function openUntitled(options: { language?: string; content: string }): Promise<vscode.TextDocument> {
  for (let attempt = 0; ; attempt++) {
    const doc = await vscode.workspace.openTextDocument(options);
    // VS Code gives a new document one kind of line end (the first it finds) and turns lone
    // surrogates into U+FFFD: compare as it would store the content
    const stored = (t: string): string => t.replace(/\r\n?/g, '\n').replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
    if (stored(doc.getText()) === stored(options.content)) return doc;
    if (attempt === 5) throw new Error(`${doc.uri.toString()} still holds ${doc.getText().length} characters of an older document after ${attempt} reverts`);
    const got = doc.getText();
    let at = 0;
    while (at < got.length && got[at] === options.content[at]) at++;
    const around = (t: string): string => JSON.stringify(t.slice(Math.max(0, at - 5), at + 5));
    console.log(`[helpers] ${doc.uri.toString()} came back with ${got.length} characters (not ${options.content.length}), first difference at ${at}: ${around(got)} for ${around(options.content)}: reverting it`);
    await vscode.window.showTextDocument(doc);
    await closeActive(doc);
  }
}

/**
 * Reverts and closes the active editor; for an untitled document, waits until the extension host
 * has dropped it, so that the next untitled document does not get it back (see openUntitled).
 */
export async function closeActive(doc?: vscode.TextDocument): Promise<void> {
  const active = doc ?? vscode.window.activeTextEditor?.document;
  await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  if (active?.isUntitled) await waitFor(`${active.uri.toString()} closed`, () => (active.isClosed ? true : undefined));
}

export type InlineOutcome = NonNullable<InlineCompletionProvider['last']>;

/**
 * Asks VS Code for inline suggestions (the command behind Alt+\\) until `accept` takes the
 * provider's answer for the document's current version. VS Code cancels a request that is
 * overtaken (e.g. by the first load of the model), so the trigger is repeated while waiting.
 */
export async function inlineAnswer<T>(api: TokenscopeApi, what: string, doc: vscode.TextDocument, accept: (o: InlineOutcome) => T | undefined): Promise<T> {
  const lastOutcome = (): InlineCompletionProvider['last'] => api.internal.inlineCompletion().provider.last;
  let last = 0;
  return waitFor(what, () => {
    const o = lastOutcome();
    const taken = o?.document === doc && o.version === doc.version ? accept(o) : undefined;
    if (taken !== undefined) return taken;
    if (Date.now() - last > 3000) {
      last = Date.now();
      // rejects when the editor closes first (VS Code: "Model is disposed!"); nobody waits for it
      vscode.commands.executeCommand('editor.action.inlineSuggest.trigger').then(undefined, () => undefined);
    }
    return undefined;
  }, 60000).catch((e: Error) => {
    throw new Error(`${e.message}; last outcome ${JSON.stringify({ ...lastOutcome(), document: undefined })}, doc v${doc.version}, status ${JSON.stringify(api.internal.inlineCompletion().status.state)}`);
  });
}

/**
 * The longest task on the extension host's thread while it runs: a 5 ms timer notes the longest
 * gap between its ticks, in wall time and in the thread's CPU time. Everything on the thread counts
 * (VS Code's own work and other extensions' as well as Tokenscope's), so tests report it and
 * benchmarks hold it to a limit (a test waits for states, not for times). The CPU figure is the
 * task itself: on 2 cores shared with the renderer a wall gap is mostly the OS running other
 * processes (a 550 ms gap held 52 ms of host CPU). Thread CPU time needs Node ≥ 23.9 (VS Code's
 * host has it) and is counted in scheduler ticks of ~4 ms.
 */
/** Tasks from this much host-thread CPU on are listed (HostTaskProbe.stop().longTasks), up to MAX_LONG_TASKS. */
const LONG_TASK_MS = 10;
const MAX_LONG_TASKS = 500;

export class HostTaskProbe {
  private longestWall = 0;
  private longestCpu = 0;
  private longestIn = '';
  private longestSpanUs: readonly [number, number] = [0, 0];
  private phaseName = '';
  private ticks = 0;
  private last = performance.now();
  private lastCpu = threadCpuMs() ?? 0;
  /** Every task of at least LONG_TASK_MS CPU (at most MAX_LONG_TASKS), for attributing them in a CPU profile. */
  private readonly long: { cpuMs: number; phase: string; spanUs: readonly [number, number] }[] = [];
  private readonly timer = setInterval(() => {
    const now = performance.now();
    const cpu = threadCpuMs() ?? 0;
    this.longestWall = Math.max(this.longestWall, now - this.last - 5);
    const taskCpu = cpu - this.lastCpu;
    if (taskCpu >= LONG_TASK_MS || taskCpu > this.longestCpu) {
      // where it was, for finding it in a CPU profile (hostProfile): V8 stamps samples in hrtime µs
      const nowUs = Number(process.hrtime.bigint() / 1000n);
      const spanUs = [nowUs - (now - this.last) * 1000, nowUs] as const;
      if (taskCpu > this.longestCpu) {
        this.longestCpu = taskCpu;
        this.longestIn = this.phaseName;
        this.longestSpanUs = spanUs;
      }
      if (taskCpu >= LONG_TASK_MS && this.long.length < MAX_LONG_TASKS) this.long.push({ cpuMs: taskCpu, phase: this.phaseName, spanUs });
    }
    this.last = now;
    this.lastCpu = cpu;
    this.ticks++;
  }, 5);
  /** Names what the test does from now on; the longest task is reported with the phase it fell in. */
  phase(name: string): void {
    this.phaseName = name;
  }
  /**
   * Runs the test's own synchronous work (e.g. an oracle re-encode) outside the measurement: its own
   * wall and CPU time are taken out of the current gap, what ran before it in the same task stays.
   */
  untimed<T>(work: () => T): T {
    const wall0 = performance.now();
    const cpu0 = threadCpuMs() ?? 0;
    try {
      return work();
    } finally {
      this.last += performance.now() - wall0;
      this.lastCpu += (threadCpuMs() ?? 0) - cpu0;
    }
  }
  /** `cpuMs`: the longest task in thread CPU time (undefined where the runtime cannot tell); `wallMs`: the longest gap. */
  stop(): {
    readonly cpuMs: number | undefined;
    readonly wallMs: number;
    readonly phase: string;
    readonly spanUs: readonly [number, number];
    readonly ticks: number;
    readonly longTasks: readonly { readonly cpuMs: number; readonly phase: string; readonly spanUs: readonly [number, number] }[];
  } {
    clearInterval(this.timer);
    return { cpuMs: threadCpuMs() === undefined ? undefined : this.longestCpu, wallMs: Math.max(0, this.longestWall), phase: this.longestIn, spanUs: this.longestSpanUs, ticks: this.ticks, longTasks: this.long };
  }
}

/**
 * With $TOKENSCOPE_HOST_PROFILE set to a directory, records a CPU profile of the extension host
 * until the returned function is called and writes `<name>.cpuprofile` there (open it in Chrome's
 * DevTools): how a long host task found by HostTaskProbe is attributed. Without it, does nothing.
 */
export async function hostProfile(name: string): Promise<() => Promise<void>> {
  const dir = process.env.TOKENSCOPE_HOST_PROFILE;
  if (!dir) return () => Promise.resolve();
  const session = openInspectorSession();
  const post = session.post;
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 500 });
  await post('Profiler.start');
  return async () => {
    const r = (await post('Profiler.stop')) as { profile: unknown };
    session.disconnect();
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `${name}.cpuprofile`), JSON.stringify(r.profile));
  };
}

/** The extension host's garbage collector (the flag can be set at run time), for memory figures taken after a full GC. */
export function exposeGc(): () => void {
  v8.setFlagsFromString('--expose_gc');
  return vm.runInNewContext('gc') as () => void;
}
