import * as vscode from 'vscode';
import { Disposable } from './common/dispose';
import type { ILogger } from './common/logger';
import { isEncodingName, type EncodingName } from './core/tokenizer/tokenizer';

/** Settings that may differ per language (`[markdown]: { "tokenscope.encoding": … }`). */
export interface ScopedSettings {
  readonly encoding: EncodingName;
}

/** Settings of the whole window. */
export interface WindowSettings {
  readonly statusBarEnabled: boolean;
}

const SECTION = 'tokenscope';
const DEFAULT_ENCODING: EncodingName = 'o200k_base';

/**
 * Typed, immutable snapshots of `tokenscope.*`. Invalid values fall back to the default with one
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
    if (isEncodingName(raw)) {
      encoding = raw;
    } else {
      this.reportInvalid('encoding', raw, DEFAULT_ENCODING);
    }
    return Object.freeze({ encoding });
  }

  private readWindow(): WindowSettings {
    const c = vscode.workspace.getConfiguration(SECTION);
    const enabled = c.get<unknown>('statusBar.enabled', true);
    if (typeof enabled !== 'boolean') {
      this.reportInvalid('statusBar.enabled', enabled, true);
    }
    return Object.freeze({ statusBarEnabled: typeof enabled === 'boolean' ? enabled : true });
  }

  private reportInvalid(key: string, value: unknown, fallback: unknown): void {
    const k = `${key}=${JSON.stringify(value)}`;
    if (!this.reported.has(k)) {
      this.reported.add(k);
      this.logger.warn(`invalid setting ${SECTION}.${key}: ${JSON.stringify(value)}; using ${JSON.stringify(fallback)}`);
    }
  }
}
