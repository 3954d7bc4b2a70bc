import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import { raceAbort } from '../common/async';
import { Disposable } from '../common/dispose';
import { BackendError, errorMessage, isBackendError, isCancellation, type BackendErrorCode } from '../common/errors';
import { withComponent, type ILogger } from '../common/logger';
import type { BackendSettings, SettingSlice } from '../configuration';
import type { CompletionBackend, InfillRequest, InfillResult } from '../core/backend/backend';
import { LocalBackend } from '../core/backend/local/localBackend';
import type { ExplainedToken } from '../core/completion/explain';
import { visibleTokenText } from '../core/tokenizer/tokenDisplay';
import { LlamaServerBackend, OllamaBackend, OpenAiCompatibleBackend } from '../core/backend/remoteBackends';

export const SECRET_API_KEY = 'tokenscope.server.apiKey';

/** What the status bar shows; `label` names the model or server. */
export type BackendState =
  | { readonly kind: 'off' }
  /** Configured, not loaded or contacted yet (the local model loads on first use). */
  | { readonly kind: 'idle'; readonly label: string }
  | { readonly kind: 'loading'; readonly label: string }
  | { readonly kind: 'ready'; readonly label: string; readonly detail: string }
  | { readonly kind: 'error'; readonly label: string; readonly code: BackendErrorCode; readonly message: string };

/** The loaded local model's own tokenizer, for counts labelled with the model's name. */
export interface LocalModelTokenizer {
  readonly name: string;
  /** The GGUF file (the tokenizer worker reads its vocabulary to count large texts off the host thread). */
  readonly modelPath: string;
  count(text: string): number;
}

/**
 * Owns the one completion backend of the window: creates it from the settings on first use (the
 * local model loads lazily: no memory or CPU spent until something needs it), recreates it when a
 * backend setting changes, and turns every failure into a state (status bar) and one log line —
 * never a popup. Features go through `infill`/`acquire` so that failures update the state.
 */
export class BackendService extends Disposable {
  private backend: CompletionBackend | undefined;
  private opening: Promise<CompletionBackend> | undefined;
  private opened: AbortController | undefined;
  private _state: BackendState;
  private settings: BackendSettings;
  private readonly changed = this._register(new vscode.EventEmitter<BackendState>());
  readonly onDidChangeState = this.changed.event;
  private readonly log: ILogger;
  /** The last error message logged, so a failing backend logs once per distinct failure, not per keystroke. */
  private lastLogged = '';
  /** performance.now() of the last request, for unloading an idle local model. */
  private lastUse = 0;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly backendSetting: SettingSlice<BackendSettings>,
    /** The model shipped in the extension (media/models). */
    readonly shippedModelPath: string,
    private readonly workerScript: string,
    private readonly secrets: vscode.SecretStorage,
    logger: ILogger,
  ) {
    super();
    this.log = withComponent(logger, 'backend');
    this.settings = backendSetting.value;
    this._state = this.initialState();
    this._register(
      backendSetting.onDidChange((next) => {
        this.settings = next;
        this.log.info(`settings changed: ${this.describe()}`);
        this.reset();
      }),
    );
    this._register(
      secrets.onDidChange((e) => {
        if (e.key === SECRET_API_KEY && this.settings.kind === 'openai') this.reset();
      }),
    );
  }

  get state(): BackendState {
    return this._state;
  }

  get kind(): BackendSettings['kind'] {
    return this.settings.kind;
  }

  /** The GGUF file the local backend uses (the shipped model when the setting is empty). */
  get modelPath(): string {
    return this.settings.modelPath || this.shippedModelPath;
  }

  get usesShippedModel(): boolean {
    return !this.settings.modelPath;
  }

  /** The local engine's process id, when one runs. */
  get enginePid(): number | undefined {
    return this.backend instanceof LocalBackend ? this.backend.enginePid : undefined;
  }

  /**
   * Whether the backend heals at token level: the open backend's (detected for llama-server), or
   * before it opens, whether it is the local engine (a remote one is healed at text level until
   * its capabilities are known).
   */
  get tokenHealing(): boolean {
    return this.backend?.capabilities.tokenHealing ?? this.settings.kind === 'local';
  }

  /** The backend when it is already open (no loading). */
  get current(): CompletionBackend | undefined {
    return this.backend;
  }

  /** The loaded local model's tokenizer (undefined: no local model loaded; never loads one). */
  localTokenizer(): LocalModelTokenizer | undefined {
    const b = this.backend;
    return b instanceof LocalBackend ? { name: this.label(), modelPath: b.info.path, count: (t) => b.tokenizer.count(t) } : undefined;
  }

  /**
   * The generated tokens of a local suggestion, each with its text and its probability teacher-forced
   * after the prompt they continued (one engine batch); undefined when the local model is not the one
   * loaded or the suggestion did not come from it. `forced`: the text the first `forcedBytes` re-produced.
   */
  async explainTokens(detail: InfillResult, forcedBytes: number): Promise<{ tokens: ExplainedToken[]; forced: string } | undefined> {
    const b = this.backend;
    if (!(b instanceof LocalBackend) || !detail.tokens?.length || !detail.promptUsed) return undefined;
    const all = b.tokenizer.decodeBytes(detail.tokens);
    const forced = all.subarray(0, forcedBytes);
    const s = await b.score(detail.promptUsed, detail.tokens, forced.length ? forced : undefined);
    const sources = detail.speculation?.sources ?? [];
    const firstFree = detail.tokens.length - (detail.speculation ? sources.length : 0);
    let consumed = 0;
    const tokens = detail.tokens.map((t, i) => {
      const bytes = b.tokenizer.tokenBytes(t);
      const healing = consumed < forcedBytes;
      consumed += bytes.length;
      const source = healing ? 'healing' : detail.speculation ? (sources[i - firstFree] === 'target' ? 'model' : `${sources[i - firstFree] ?? 'model'} (drafted)`) : 'model';
      return { text: visibleTokenText(bytes), source, logProb: s.logProbs[i]!, maskLogMass: s.maskLogMass[i]! };
    });
    return { tokens, forced: forced.length ? visibleTokenText(forced) : '' };
  }

  /** Tokens the loaded local model's context holds (undefined: no local model loaded; remote servers do not say). */
  localContextSize(): number | undefined {
    const b = this.backend;
    return b instanceof LocalBackend ? b.load?.contextSize : undefined;
  }

  /** The server's URL and model name as configured (for "Show Model Info" of a remote backend). */
  get server(): { readonly url: string; readonly model: string } {
    return { url: this.settings.serverUrl, model: this.settings.serverModel };
  }

  /** The backend, opening it (loading the model, checking the server) if needed. */
  acquire(signal?: AbortSignal): Promise<CompletionBackend> {
    this.lastUse = performance.now();
    if (this.backend) return Promise.resolve(this.backend);
    if (this.settings.kind === 'off') return Promise.reject(new BackendError('unsupported', 'the completion backend is off (tokenscope.completion.backend)'));
    if (this._state.kind === 'error' && this._state.code !== 'server-down' && this._state.code !== 'timeout' && this._state.code !== 'engine-crashed') {
      // A bad model file stays bad until the settings change or the user retries: don't reload it per request.
      return Promise.reject(new BackendError(this._state.code, this._state.message));
    }
    this.opening ??= this.open();
    return raceAbort(this.opening, signal, () => new BackendError('aborted', 'cancelled'));
  }

  /** Runs an infill, keeping the state in step (a backend that fails goes to its error state). */
  async infill(request: InfillRequest): Promise<InfillResult> {
    const b = await this.acquire(request.signal);
    try {
      const r = await b.infill(request);
      this.lastUse = performance.now();
      if (this._state.kind !== 'ready') {
        // recovered: the next failure is a new episode and gets its log line, even if worded the same
        this.lastLogged = '';
        this.setState({ kind: 'ready', label: this.label(), detail: this.readyDetail(b) });
      }
      return r;
    } catch (e) {
      this.fail(e);
      throw e;
    }
  }

  /** Stores the OpenAI-compatible server's API key in SecretStorage ('' removes it); an open openai backend reopens with it. */
  async setApiKey(key: string): Promise<void> {
    if (key) await this.secrets.store(SECRET_API_KEY, key);
    else await this.secrets.delete(SECRET_API_KEY);
  }

  /** Forgets the error state and the open backend; the next use opens it again ("Retry"). */
  reset(): void {
    clearInterval(this.idleTimer);
    this.idleTimer = undefined;
    this.opened?.abort();
    this.opened = undefined;
    this.opening = undefined;
    const b = this.backend;
    this.backend = undefined;
    b?.dispose();
    this.lastLogged = '';
    this.setState(this.initialState());
  }

  /** Records a failure of an operation on the backend (completion features call this too). */
  fail(e: unknown): void {
    if (isCancellation(e)) return;
    const code: BackendErrorCode = isBackendError(e) ? e.backendCode : 'malformed';
    const message = errorMessage(e);
    if (message !== this.lastLogged) {
      this.lastLogged = message;
      this.log.error(`${this.describe()}: ${code}: ${message}`);
    }
    // A crashed engine restarts by itself on the next request; show the state until then.
    this.setState({ kind: 'error', label: this.label(), code, message });
  }

  /**
   * Unloads the local model once it has been idle for keepLoadedMs (its memory goes back to the
   * system; the next request loads it again). Checked on a timer at a quarter of the period.
   */
  private armIdleUnload(): void {
    clearInterval(this.idleTimer);
    this.idleTimer = undefined;
    const keep = this.settings.keepLoadedMs;
    if (!(this.backend instanceof LocalBackend) || keep <= 0) return;
    this.idleTimer = setInterval(() => {
      if (!(this.backend instanceof LocalBackend) || this.backend.pendingRequests > 0) return;
      const idle = performance.now() - this.lastUse;
      if (idle < keep) return;
      this.log.info(`unloading ${this.label()} after ${(idle / 60_000).toFixed(1)} min without requests`);
      this.reset();
    }, Math.max(250, keep / 4));
  }

  private initialState(): BackendState {
    return this.settings.kind === 'off' ? { kind: 'off' } : { kind: 'idle', label: this.label() };
  }

  private setState(s: BackendState): void {
    this._state = s;
    this.changed.fire(s);
  }

  /** Short label: the model file's name, or the server's host and model. */
  label(): string {
    const s = this.settings;
    if (s.kind === 'local') return path.basename(this.modelPath).replace(/\.gguf$/i, '');
    if (s.kind === 'off') return 'off';
    let host = s.serverUrl;
    try {
      host = new URL(s.serverUrl).host;
    } catch {
      // shown as typed
    }
    return s.serverModel ? `${s.serverModel} @ ${host}` : host || '(no server URL)';
  }

  private describe(): string {
    const s = this.settings;
    return s.kind === 'local' ? `local ${this.modelPath}` : `${s.kind} ${s.serverUrl}${s.serverModel ? ` (${s.serverModel})` : ''}`;
  }

  private async open(): Promise<CompletionBackend> {
    const ac = new AbortController();
    this.opened = ac;
    const s = this.settings;
    this.setState({ kind: 'loading', label: this.label() });
    const t0 = performance.now();
    try {
      const b = await this.create(s, ac.signal);
      if (ac.signal.aborted) {
        b.dispose();
        throw new BackendError('aborted', 'settings changed while opening');
      }
      this.backend = b;
      const ms = performance.now() - t0;
      const detail = this.readyDetail(b, ms);
      this.log.info(`ready: ${this.describe()} (${detail})`);
      this.lastLogged = '';
      this.setState({ kind: 'ready', label: this.label(), detail });
      this.lastUse = performance.now();
      this.armIdleUnload();
      return b;
    } catch (e) {
      if (this.opened === ac) {
        this.opening = undefined;
        this.fail(e);
      }
      throw e;
    }
  }

  /** The ready state's tooltip line: the local model's shape and load time, or the server and how it heals. */
  private readyDetail(b: CompletionBackend, loadMs?: number): string {
    if (b instanceof LocalBackend) return `${b.info.architecture}, ${b.info.quantization}, context ${b.load?.contextSize ?? '?'} tokens${loadMs !== undefined ? `, loaded in ${(loadMs / 1000).toFixed(1)} s` : ''}`;
    return `${b.name} · healing ${b.capabilities.tokenHealing ? 'token-level' : 'text-level'}`;
  }

  private async create(s: BackendSettings, signal: AbortSignal): Promise<CompletionBackend> {
    if (s.kind === 'local') {
      const threads = s.threads || Math.max(1, Math.floor(os.availableParallelism() / 2));
      const local = await LocalBackend.open(
        {
          modelPath: this.modelPath,
          ...(s.draftModelPath ? { draftModelPath: s.draftModelPath } : {}),
          workerScript: this.workerScript,
          contextSize: s.contextSize,
          threads,
          // A crash while idle still shows (it restarts on the next request); one log line per crash.
          onCrash: (e) => {
            this.lastLogged = '';
            this.fail(e);
          },
        },
        signal,
      );
      const draft = local.load?.draft;
      if (draft) {
        if (draft.used) this.log.info(`draft model ${draft.path}: drafting for speculative decoding`);
        else this.log.warn(`draft model ${draft.path} refused: ${draft.why ?? 'unknown reason'} (tokenscope.model.draftPath)`);
      }
      return local;
    }
    if (!s.serverUrl) throw new BackendError('server-down', `no server URL: set tokenscope.server.url for the ${s.kind} backend`);
    let url: URL | undefined;
    try {
      url = new URL(s.serverUrl);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) throw new BackendError('server-down', `tokenscope.server.url is not an http(s) URL: ${JSON.stringify(s.serverUrl)}`);
    const apiKey = s.kind === 'openai' ? await this.secrets.get(SECRET_API_KEY) : undefined;
    const opts = { url: s.serverUrl, timeoutMs: s.timeoutMs, ...(s.serverModel ? { model: s.serverModel } : {}), ...(apiKey ? { apiKey } : {}), ...(s.fimTemplate ? { fimTemplate: s.fimTemplate } : {}) };
    const b = s.kind === 'llama-server' ? new LlamaServerBackend(opts) : s.kind === 'ollama' ? new OllamaBackend(opts) : new OpenAiCompatibleBackend(opts);
    const h = await b.health(signal);
    if (!h.ok) {
      b.dispose();
      throw new BackendError(h.error, h.detail);
    }
    this.log.info(`${b.name}: ${h.detail}`);
    return b;
  }

  override dispose(): void {
    clearInterval(this.idleTimer);
    this.opened?.abort();
    this.backend?.dispose();
    this.backend = undefined;
    super.dispose();
  }
}

