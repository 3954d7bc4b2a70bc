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

/** Settings that may differ per language (`"[markdown]": { "tokenscope.encoding": … }`) or folder. */
export interface ScopedSettings {
  readonly encoding: EncodingName;
  readonly boundariesEnabled: boolean;
  readonly boundariesWhitespace: boolean;
  readonly hover: HoverMode;
  readonly digitChunking: boolean;
  readonly glitch: GlitchSettings;
}

export type BackendKind = 'local' | 'llama-server' | 'ollama' | 'openai' | 'off';
const BACKEND_KINDS: readonly BackendKind[] = ['local', 'llama-server', 'ollama', 'openai', 'off'];

/** The completion backend (machine-scoped where a setting names a file or an endpoint). */
export interface BackendSettings {
  readonly kind: BackendKind;
  /** GGUF file; '' = the small model shipped with the extension. */
  readonly modelPath: string;
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

/** Settings of the whole window. */
export interface WindowSettings {
  readonly statusBarEnabled: boolean;
  readonly boundariesMaxTokens: number;
  /** The model the status-bar tooltip prices against (built-in or custom). */
  readonly pricingModel: ModelInfo;
  readonly models: readonly ModelInfo[];
  readonly backend: BackendSettings;
}

const SECTION = 'tokenscope';
const DEFAULT_ENCODING: EncodingName = 'o200k_base';

/**
 * Typed, immutable snapshots of `tokenscope.*`. Invalid values fall back to their defaults with one
 * log line per distinct bad value (never a popup: a settings typo must not nag on every keystroke).
 */
export class Configuration extends Disposable {
  private readonly changed = this._register(new vscode.EventEmitter<vscode.ConfigurationChangeEvent>());
  /** Fires after any `tokenscope.*` setting changed; listeners re-read what they need. */
  readonly onDidChange = this.changed.event;
  private readonly reported = new Set<string>();
  private window: WindowSettings;

  constructor(private readonly logger: ILogger) {
    super();
    this.window = this.readWindow();
    this._register(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(SECTION)) {
          this.window = this.readWindow();
          this.changed.fire(e);
        }
      }),
    );
  }

  get windowSettings(): WindowSettings {
    return this.window;
  }

  /** Settings as they apply to `document` (language overrides, folder settings). */
  forDocument(document: vscode.TextDocument | undefined): ScopedSettings {
    const c = vscode.workspace.getConfiguration(SECTION, document);
    const raw = c.get<unknown>('encoding', DEFAULT_ENCODING);
    let encoding = DEFAULT_ENCODING;
    if (isEncodingName(raw)) encoding = raw;
    else this.reportInvalid('encoding', raw, DEFAULT_ENCODING);
    const hoverRaw = c.get<unknown>('hover.enabled', 'withBoundaries');
    const hover: HoverMode = hoverRaw === 'always' || hoverRaw === 'never' || hoverRaw === 'withBoundaries' ? hoverRaw : 'withBoundaries';
    if (hover !== hoverRaw) this.reportInvalid('hover.enabled', hoverRaw, hover);
    return Object.freeze({
      encoding,
      boundariesEnabled: this.bool(c, 'boundaries.enabled', false),
      boundariesWhitespace: this.bool(c, 'boundaries.whitespaceMarkers', true),
      hover,
      digitChunking: this.bool(c, 'digitChunking.enabled', false),
      glitch: Object.freeze({
        enabled: this.bool(c, 'glitch.enabled', true),
        reported: this.severity(c, 'glitch.reported', 'warning'),
        unreachable: this.severity(c, 'glitch.unreachable', 'information'),
        specialText: this.severity(c, 'glitch.specialTokenText', 'information'),
        modelCandidates: this.severity(c, 'glitch.modelCandidates', 'warning'),
      }),
    });
  }

  private readWindow(): WindowSettings {
    const c = vscode.workspace.getConfiguration(SECTION);
    const maxRaw = c.get<unknown>('boundaries.maxTokens', 3000);
    let max = 3000;
    if (typeof maxRaw === 'number' && Number.isFinite(maxRaw) && maxRaw >= 100) max = Math.min(20000, Math.floor(maxRaw));
    else this.reportInvalid('boundaries.maxTokens', maxRaw, max);
    const models = [...this.readCustomModels(c.get<unknown>('pricing.customModels', [])), ...OPENAI_MODELS];
    const wanted = c.get<unknown>('pricing.model', 'gpt-4o');
    let pricingModel = models.find((m) => m.name === wanted);
    if (!pricingModel) {
      this.reportInvalid('pricing.model', wanted, 'gpt-4o');
      pricingModel = OPENAI_MODELS.find((m) => m.name === 'gpt-4o')!;
    }
    return Object.freeze({ statusBarEnabled: this.bool(c, 'statusBar.enabled', true), boundariesMaxTokens: max, pricingModel, models, backend: this.readBackend(c) });
  }

  private readBackend(c: vscode.WorkspaceConfiguration): BackendSettings {
    const kindRaw = c.get<unknown>('completion.backend', 'local');
    const kind = BACKEND_KINDS.find((k) => k === kindRaw) ?? 'local';
    if (kind !== kindRaw) this.reportInvalid('completion.backend', kindRaw, kind);
    const tpl = c.get<unknown>('server.fimTemplate', 'auto');
    const fimTemplate = typeof tpl === 'string' && tpl in FIM_TEMPLATES ? (tpl as FimFamily) : undefined;
    if (tpl !== 'auto' && !fimTemplate) this.reportInvalid('server.fimTemplate', tpl, 'auto');
    return Object.freeze({
      kind,
      modelPath: this.str(c, 'model.path', ''),
      contextSize: this.int(c, 'model.contextSize', 4096, 256, 131072),
      threads: this.int(c, 'model.threads', 0, 0, 64),
      keepLoadedMs: this.num(c, 'model.keepLoadedMinutes', 15, 0, 24 * 60) * 60_000,
      serverUrl: this.str(c, 'server.url', ''),
      serverModel: this.str(c, 'server.model', ''),
      fimTemplate,
      timeoutMs: this.int(c, 'server.timeoutMs', 10000, 500, 600000),
    });
  }

  private str(c: vscode.WorkspaceConfiguration, key: string, fallback: string): string {
    const v = c.get<unknown>(key, fallback);
    if (typeof v === 'string') return v.trim();
    this.reportInvalid(key, v, fallback);
    return fallback;
  }

  private num(c: vscode.WorkspaceConfiguration, key: string, fallback: number, min: number, max: number): number {
    const v = c.get<unknown>(key, fallback);
    if (typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max) return v;
    this.reportInvalid(key, v, fallback);
    return fallback;
  }

  private int(c: vscode.WorkspaceConfiguration, key: string, fallback: number, min: number, max: number): number {
    const v = c.get<unknown>(key, fallback);
    if (typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max) return Math.floor(v);
    this.reportInvalid(key, v, fallback);
    return fallback;
  }

  private readCustomModels(raw: unknown): ModelInfo[] {
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

  private severity(c: vscode.WorkspaceConfiguration, key: string, fallback: GlitchSeverity): GlitchSeverity {
    const v = c.get<unknown>(key, fallback);
    if (v === 'warning' || v === 'information' || v === 'hint' || v === 'off') return v;
    this.reportInvalid(key, v, fallback);
    return fallback;
  }

  private bool(c: vscode.WorkspaceConfiguration, key: string, fallback: boolean): boolean {
    const v = c.get<unknown>(key, fallback);
    if (typeof v === 'boolean') return v;
    this.reportInvalid(key, v, fallback);
    return fallback;
  }

  private reportInvalid(key: string, value: unknown, fallback: unknown): void {
    const k = `${key}=${JSON.stringify(value)}`;
    if (!this.reported.has(k)) {
      this.reported.add(k);
      this.logger.warn(`invalid setting ${SECTION}.${key}: ${JSON.stringify(value)}; using ${JSON.stringify(fallback)}`);
    }
  }
}
