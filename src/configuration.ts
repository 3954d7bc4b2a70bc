/**
 * The only reader and writer of `tokenscope.*` settings. Features never call
 * `workspace.getConfiguration`: they receive the slice they read (a typed, immutable value and an
 * `onDidChange` that fires only when one of that slice's keys changed) and write through the typed
 * setters below.
 */
import * as vscode from 'vscode';
import { Disposable } from './common/dispose';
import type { ILogger } from './common/logger';
import { FIM_TEMPLATES, type FimFamily } from './core/backend/fimTemplates';
import { OPENAI_MODELS, type ModelInfo } from './core/pricing/models';
import { isEncodingName, type EncodingName } from './core/tokenizer/encodings';

export type HoverMode = 'withBoundaries' | 'always' | 'never';
export type GlitchSeverity = 'warning' | 'information' | 'hint' | 'off';

export interface GlitchSettings {
  readonly enabled: boolean;
  /** Curated reports of glitch tokens. */
  readonly reported: GlitchSeverity;
  /** Text of vocabulary tokens the tokenizer never produces. */
  readonly unreachable: GlitchSeverity;
  /** Special-token strings written as text. */
  readonly specialText: GlitchSeverity;
  /** Under-trained candidates of an analysed local model. */
  readonly modelCandidates: GlitchSeverity;
}

export interface BoundarySettings {
  readonly enabled: boolean;
  readonly whitespaceMarkers: boolean;
  /** Most tokens decorated per editor (window-scoped). */
  readonly maxTokens: number;
}

/** The status-bar count and its tooltip. */
export interface StatusBarSettings {
  readonly enabled: boolean;
  /** The model the tooltip prices against (built-in or custom). */
  readonly pricingModel: ModelInfo;
  readonly models: readonly ModelInfo[];
}

export type BackendKind = 'local' | 'llama-server' | 'ollama' | 'openai' | 'off';
const BACKEND_KINDS: readonly BackendKind[] = ['local', 'llama-server', 'ollama', 'openai', 'off'];

/** The completion backend (machine-scoped where a setting names a file or an endpoint). */
export interface BackendSettings {
  readonly kind: BackendKind;
  /** GGUF file; '' = the small model shipped with the extension. */
  readonly modelPath: string;
  /** A smaller GGUF with the same vocabulary that drafts for speculative decoding; '' = none. */
  readonly draftModelPath: string;
  /** KV cache size in tokens. */
  readonly contextSize: number;
  /** llama.cpp threads; 0 = automatic. */
  readonly threads: number;
  /** Unload the local model after this long without a request (ms); 0 = never. */
  readonly keepLoadedMs: number;
  readonly serverUrl: string;
  readonly serverModel: string;
  /** Prompt FIM markers ourselves instead of the server's suffix support; undefined = server's support. */
  readonly fimTemplate: FimFamily | undefined;
  /** Idle timeout per request (ms). */
  readonly timeoutMs: number;
}

export type CompletionHealing = 'off' | 'classic' | 'exact';

/** Inline (ghost-text) completions, per language. */
export interface InlineCompletionSettings {
  readonly enabled: boolean;
  /** Token healing when the cursor splits a token. */
  readonly healing: CompletionHealing;
  /** Most tokens generated per suggestion. */
  readonly maxTokens: number;
  /** Glob patterns of files that never get suggestions. */
  readonly exclude: readonly string[];
  /** Tokens of snippets from other open files put before the prompt (0: none; capped by the model's free context). */
  readonly otherFilesTokens: number;
  /** Lossless speculative decoding on the local model. */
  readonly speculation: boolean;
  /** Compute the suggestion that follows accepting the shown one while the user reads it. */
  readonly prefetch: boolean;
}

/** A window-wide slice of the settings. */
export interface SettingSlice<T> {
  readonly value: T;
  /** Fires with the new value after one of the slice's keys changed. */
  readonly onDidChange: vscode.Event<T>;
}

/** What a scoped setting depends on: a document, or a file by its URI and language (a workspace scan). */
export interface SettingScope {
  readonly uri: vscode.Uri;
  readonly languageId: string;
}

/** A slice whose value depends on the document (language overrides, folder settings). */
export interface ScopedSettingSlice<T> {
  /** The value for `document` (undefined: the window's default). Cached per (folder, language): O(1). */
  of(document: SettingScope | undefined): T;
  /** Fires after one of the slice's keys changed, in any scope. */
  readonly onDidChange: vscode.Event<void>;
}

/** Where a command writes a setting. */
export type SettingTarget = 'workspace' | 'user';

const SECTION = 'tokenscope';
const DEFAULT_ENCODING: EncodingName = 'o200k_base';

/** Typed reads of one configuration object; invalid values fall back with one log line per distinct bad value. */
class SettingsReader {
  private readonly reported = new Set<string>();

  constructor(private readonly logger: ILogger) {}

  encoding(c: vscode.WorkspaceConfiguration): EncodingName {
    const raw = c.get<unknown>('encoding', DEFAULT_ENCODING);
    if (isEncodingName(raw)) return raw;
    this.reportInvalid('encoding', raw, DEFAULT_ENCODING);
    return DEFAULT_ENCODING;
  }

  hover(c: vscode.WorkspaceConfiguration): HoverMode {
    const raw = c.get<unknown>('hover.enabled', 'withBoundaries');
    if (raw === 'always' || raw === 'never' || raw === 'withBoundaries') return raw;
    this.reportInvalid('hover.enabled', raw, 'withBoundaries');
    return 'withBoundaries';
  }

  boundaries(c: vscode.WorkspaceConfiguration): BoundarySettings {
    const maxRaw = c.get<unknown>('boundaries.maxTokens', 3000);
    let maxTokens = 3000;
    if (typeof maxRaw === 'number' && Number.isFinite(maxRaw) && maxRaw >= 100) maxTokens = Math.min(20000, Math.floor(maxRaw));
    else this.reportInvalid('boundaries.maxTokens', maxRaw, maxTokens);
    return Object.freeze({ enabled: this.bool(c, 'boundaries.enabled', false), whitespaceMarkers: this.bool(c, 'boundaries.whitespaceMarkers', true), maxTokens });
  }

  glitch(c: vscode.WorkspaceConfiguration): GlitchSettings {
    return Object.freeze({
      enabled: this.bool(c, 'glitch.enabled', true),
      reported: this.severity(c, 'glitch.reported', 'warning'),
      unreachable: this.severity(c, 'glitch.unreachable', 'information'),
      specialText: this.severity(c, 'glitch.specialTokenText', 'information'),
      modelCandidates: this.severity(c, 'glitch.modelCandidates', 'warning'),
    });
  }

  inlineCompletion(c: vscode.WorkspaceConfiguration): InlineCompletionSettings {
    const healingRaw = c.get<unknown>('completion.healing', 'classic');
    const healing: CompletionHealing = healingRaw === 'off' || healingRaw === 'classic' || healingRaw === 'exact' ? healingRaw : 'classic';
    if (healing !== healingRaw) this.reportInvalid('completion.healing', healingRaw, healing);
    const maxRaw = c.get<unknown>('completion.maxTokens', 48);
    let maxTokens = 48;
    if (typeof maxRaw === 'number' && Number.isFinite(maxRaw) && maxRaw >= 1) maxTokens = Math.min(512, Math.floor(maxRaw));
    else this.reportInvalid('completion.maxTokens', maxRaw, maxTokens);
    const excludeRaw = c.get<unknown>('completion.exclude', []);
    const exclude = Array.isArray(excludeRaw) ? excludeRaw.filter((x): x is string => typeof x === 'string' && x !== '') : [];
    if (!Array.isArray(excludeRaw)) this.reportInvalid('completion.exclude', excludeRaw, []);
    const otherRaw = c.get<unknown>('completion.otherFiles.maxTokens', 256);
    let otherFilesTokens = 256;
    if (typeof otherRaw === 'number' && Number.isFinite(otherRaw) && otherRaw >= 0) otherFilesTokens = Math.min(4096, Math.floor(otherRaw));
    else this.reportInvalid('completion.otherFiles.maxTokens', otherRaw, otherFilesTokens);
    return Object.freeze({ enabled: this.bool(c, 'completion.enabled', true), healing, maxTokens, exclude: Object.freeze(exclude), otherFilesTokens, speculation: this.bool(c, 'completion.speculation', false), prefetch: this.bool(c, 'completion.prefetch', true) });
  }

  statusBar(c: vscode.WorkspaceConfiguration): StatusBarSettings {
    const models = [...this.customModels(c.get<unknown>('pricing.customModels', [])), ...OPENAI_MODELS];
    const wanted = c.get<unknown>('pricing.model', 'gpt-4o');
    let pricingModel = models.find((m) => m.name === wanted);
    if (!pricingModel) {
      this.reportInvalid('pricing.model', wanted, 'gpt-4o');
      pricingModel = OPENAI_MODELS.find((m) => m.name === 'gpt-4o')!;
    }
    return Object.freeze({ enabled: this.bool(c, 'statusBar.enabled', true), pricingModel, models });
  }

  backend(c: vscode.WorkspaceConfiguration): BackendSettings {
    const kindRaw = c.get<unknown>('completion.backend', 'local');
    const kind = BACKEND_KINDS.find((k) => k === kindRaw) ?? 'local';
    if (kind !== kindRaw) this.reportInvalid('completion.backend', kindRaw, kind);
    const tpl = c.get<unknown>('server.fimTemplate', 'auto');
    const fimTemplate = typeof tpl === 'string' && tpl in FIM_TEMPLATES ? (tpl as FimFamily) : undefined;
    if (tpl !== 'auto' && !fimTemplate) this.reportInvalid('server.fimTemplate', tpl, 'auto');
    return Object.freeze({
      kind,
      modelPath: this.str(c, 'model.path', ''),
      draftModelPath: this.str(c, 'model.draftPath', ''),
      contextSize: this.num(c, 'model.contextSize', 4096, 256, 131072, true),
      threads: this.num(c, 'model.threads', 0, 0, 64, true),
      keepLoadedMs: this.num(c, 'model.keepLoadedMinutes', 15, 0, 24 * 60, false) * 60_000,
      serverUrl: this.str(c, 'server.url', ''),
      serverModel: this.str(c, 'server.model', ''),
      fimTemplate,
      timeoutMs: this.num(c, 'server.timeoutMs', 10000, 500, 600000, true),
    });
  }

  bool(c: vscode.WorkspaceConfiguration, key: string, fallback: boolean): boolean {
    const v = c.get<unknown>(key, fallback);
    if (typeof v === 'boolean') return v;
    this.reportInvalid(key, v, fallback);
    return fallback;
  }

  private str(c: vscode.WorkspaceConfiguration, key: string, fallback: string): string {
    const v = c.get<unknown>(key, fallback);
    if (typeof v === 'string') return v.trim();
    this.reportInvalid(key, v, fallback);
    return fallback;
  }

  private num(c: vscode.WorkspaceConfiguration, key: string, fallback: number, min: number, max: number, integer: boolean): number {
    const v = c.get<unknown>(key, fallback);
    if (typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max) return integer ? Math.floor(v) : v;
    this.reportInvalid(key, v, fallback);
    return fallback;
  }

  private severity(c: vscode.WorkspaceConfiguration, key: string, fallback: GlitchSeverity): GlitchSeverity {
    const v = c.get<unknown>(key, fallback);
    if (v === 'warning' || v === 'information' || v === 'hint' || v === 'off') return v;
    this.reportInvalid(key, v, fallback);
    return fallback;
  }

  private customModels(raw: unknown): ModelInfo[] {
    if (!Array.isArray(raw)) {
      this.reportInvalid('pricing.customModels', raw, []);
      return [];
    }
    const out: ModelInfo[] = [];
    for (const m of raw as unknown[]) {
      const o = (m ?? {}) as Record<string, unknown>;
      const ok =
        typeof o.name === 'string' &&
        o.name.length > 0 &&
        typeof o.contextWindow === 'number' &&
        o.contextWindow > 0 &&
        (o.inputPerMillion === undefined || (typeof o.inputPerMillion === 'number' && o.inputPerMillion >= 0)) &&
        (o.encoding === undefined || isEncodingName(o.encoding));
      if (!ok) {
        this.reportInvalid('pricing.customModels[]', m, 'ignored');
        continue;
      }
      out.push({
        name: o.name as string,
        contextWindow: o.contextWindow as number,
        encoding: isEncodingName(o.encoding) ? o.encoding : DEFAULT_ENCODING,
        ...(typeof o.inputPerMillion === 'number' ? { inputPerMillion: o.inputPerMillion } : {}),
      });
    }
    return out;
  }

  /** Never a popup: a settings typo must not nag on every keystroke. */
  private reportInvalid(key: string, value: unknown, fallback: unknown): void {
    const k = `${key}=${JSON.stringify(value)}`;
    if (this.reported.has(k)) return;
    this.reported.add(k);
    this.logger.warn(`invalid setting ${SECTION}.${key}: ${JSON.stringify(value)}; using ${JSON.stringify(fallback)}`);
  }
}

/** A slice the Configuration refreshes: first every slice updates, then the changed ones fire. */
interface RefreshableSlice {
  /** Re-reads after a change event; returns how to announce it, or undefined when the slice is unaffected. */
  refresh(e: vscode.ConfigurationChangeEvent | undefined): (() => void) | undefined;
}

/** A window slice: re-read when its keys change; fires only when the value really changed. */
class WindowSlice<T> extends Disposable implements SettingSlice<T>, RefreshableSlice {
  private readonly emitter = this._register(new vscode.EventEmitter<T>());
  readonly onDidChange = this.emitter.event;
  private current: T;
  private currentJson: string;

  constructor(
    private readonly keys: readonly string[],
    private readonly read: (c: vscode.WorkspaceConfiguration) => T,
  ) {
    super();
    this.current = read(vscode.workspace.getConfiguration(SECTION));
    this.currentJson = JSON.stringify(this.current);
  }

  get value(): T {
    return this.current;
  }

  refresh(e: vscode.ConfigurationChangeEvent | undefined): (() => void) | undefined {
    if (!e || !this.keys.some((k) => e.affectsConfiguration(`${SECTION}.${k}`))) return undefined;
    const next = this.read(vscode.workspace.getConfiguration(SECTION));
    const json = JSON.stringify(next);
    if (json === this.currentJson) return undefined;
    this.current = next;
    this.currentJson = json;
    return () => this.emitter.fire(next);
  }
}

/**
 * A document-scoped slice. The value for a document depends only on its workspace folder (folder
 * settings) and language (language overrides), so reads are cached per (folder, language) and the
 * cache is dropped when a key of the slice changes: `getConfiguration` walks every settings layer
 * (tens of µs), too slow for the per-finding and per-keystroke reads of the features.
 */
class DocumentSlice<T> extends Disposable implements ScopedSettingSlice<T>, RefreshableSlice {
  private readonly emitter = this._register(new vscode.EventEmitter<void>());
  readonly onDidChange = this.emitter.event;
  private readonly cache = new Map<string, T>();

  constructor(
    private readonly keys: readonly string[],
    private readonly read: (c: vscode.WorkspaceConfiguration) => T,
  ) {
    super();
  }

  of(document: SettingScope | undefined): T {
    const key = document ? `${vscode.workspace.getWorkspaceFolder(document.uri)?.uri.toString() ?? ''}\0${document.languageId}` : '';
    let v = this.cache.get(key);
    if (v === undefined) {
      v = this.read(vscode.workspace.getConfiguration(SECTION, document));
      this.cache.set(key, v);
    }
    return v;
  }

  /** `e` undefined: the workspace folders changed, so folder settings may apply differently now. */
  refresh(e: vscode.ConfigurationChangeEvent | undefined): (() => void) | undefined {
    if (e && !this.keys.some((k) => e.affectsConfiguration(`${SECTION}.${k}`))) return undefined;
    this.cache.clear();
    return () => this.emitter.fire();
  }
}

/**
 * Typed, immutable snapshots of `tokenscope.*`, one slice per concern, and the typed setters
 * commands write through. Built once by the composition root; each feature gets the slices it reads.
 */
export class Configuration extends Disposable {
  readonly encoding: ScopedSettingSlice<EncodingName>;
  readonly boundaries: ScopedSettingSlice<BoundarySettings>;
  readonly hover: ScopedSettingSlice<HoverMode>;
  readonly digitChunking: ScopedSettingSlice<boolean>;
  readonly glitch: ScopedSettingSlice<GlitchSettings>;
  readonly statusBar: SettingSlice<StatusBarSettings>;
  readonly backend: SettingSlice<BackendSettings>;
  readonly inlineCompletion: ScopedSettingSlice<InlineCompletionSettings>;

  private readonly slices: RefreshableSlice[] = [];

  constructor(logger: ILogger) {
    super();
    const reader = new SettingsReader(logger);
    const scoped = <T>(keys: readonly string[], read: (c: vscode.WorkspaceConfiguration) => T): ScopedSettingSlice<T> => this.add(new DocumentSlice(keys, read));
    const windowed = <T>(keys: readonly string[], read: (c: vscode.WorkspaceConfiguration) => T): SettingSlice<T> => this.add(new WindowSlice(keys, read));
    this.encoding = scoped(['encoding'], (c) => reader.encoding(c));
    this.boundaries = scoped(['boundaries'], (c) => reader.boundaries(c));
    this.hover = scoped(['hover'], (c) => reader.hover(c));
    this.digitChunking = scoped(['digitChunking'], (c) => reader.bool(c, 'digitChunking.enabled', false));
    this.glitch = scoped(['glitch'], (c) => reader.glitch(c));
    this.statusBar = windowed(['statusBar', 'pricing'], (c) => reader.statusBar(c));
    this.backend = windowed(['completion.backend', 'model', 'server'], (c) => reader.backend(c));
    this.inlineCompletion = scoped(['completion.enabled', 'completion.healing', 'completion.maxTokens', 'completion.exclude'], (c) => reader.inlineCompletion(c));
    this._register(vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration(SECTION) && this.refresh(e)));
    this._register(vscode.workspace.onDidChangeWorkspaceFolders(() => this.refresh(undefined)));
  }

  private add<S extends RefreshableSlice & Disposable>(slice: S): S {
    this.slices.push(slice);
    return this._register(slice);
  }

  /** Every slice re-reads before any listener runs, so a listener sees all slices up to date. */
  private refresh(e: vscode.ConfigurationChangeEvent | undefined): void {
    const announce = this.slices.map((s) => s.refresh(e));
    for (const fire of announce) fire?.();
  }

  /** `tokenscope.encoding` in the workspace or user settings, for all files or one language. */
  async setEncoding(encoding: EncodingName, target: SettingTarget, languageId?: string): Promise<void> {
    const scope = languageId ? { languageId } : undefined;
    await vscode.workspace.getConfiguration(SECTION, scope).update('encoding', encoding, toTarget(target), languageId !== undefined);
  }

  /** Where "this workspace" writes go: the workspace when a folder is open, else the user settings. */
  get defaultTarget(): SettingTarget {
    return vscode.workspace.workspaceFolders?.length ? 'workspace' : 'user';
  }

  /** `tokenscope.boundaries.enabled` in the user settings (the "everywhere" toggle). */
  async setBoundariesEnabled(enabled: boolean): Promise<void> {
    await vscode.workspace.getConfiguration(SECTION).update('boundaries.enabled', enabled, vscode.ConfigurationTarget.Global);
  }

  /** `tokenscope.model.path`: machine-scoped, so only the user settings may hold it. */
  async setModelPath(modelPath: string): Promise<void> {
    await vscode.workspace.getConfiguration(SECTION).update('model.path', modelPath, vscode.ConfigurationTarget.Global);
  }

  /** `tokenscope.completion.enabled` in the user settings (all languages). */
  async setCompletionsEnabled(enabled: boolean): Promise<void> {
    await vscode.workspace.getConfiguration(SECTION).update('completion.enabled', enabled, vscode.ConfigurationTarget.Global);
  }

  /** `tokenscope.completion.backend` in the user settings. */
  async setBackendKind(kind: BackendKind): Promise<void> {
    await vscode.workspace.getConfiguration(SECTION).update('completion.backend', kind, vscode.ConfigurationTarget.Global);
  }
}

function toTarget(t: SettingTarget): vscode.ConfigurationTarget {
  return t === 'user' ? vscode.ConfigurationTarget.Global : vscode.ConfigurationTarget.Workspace;
}
