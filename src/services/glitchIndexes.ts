import * as vscode from 'vscode';
import { nextEvent } from '../common/async';
import { Disposable } from '../common/dispose';
import { errorMessage } from '../common/errors';
import type { ILogger } from '../common/logger';
import { curatedFor } from '../core/glitch/curated';
import { GlitchIndex, type ModelCandidate } from '../core/glitch/glitchIndex';
import type { StructuralReport } from '../core/glitch/structural';
import type { BackgroundTokenizer } from '../core/tokenizer/backgroundTokenizer';
import type { EncodingName } from '../core/tokenizer/encodings';
import type { GgufTokenizer } from '../core/tokenizer/gguf/ggufTokenizer';
import type { TokenizerRegistry } from '../core/tokenizer/tokenizerRegistry';

interface Entry {
  index: GlitchIndex | undefined;
  structural: StructuralReport | undefined;
  building: boolean;
}

/**
 * The glitch index of each encoding: curated reports (available at once), then the structural
 * analysis of the vocabulary (computed in the worker on first use, ≈0.1–0.5 s, kept for the session),
 * plus the under-trained candidates of a local model when one was analysed.
 */
export class GlitchIndexes extends Disposable {
  private readonly entries = new Map<string, Entry>();
  private candidates: readonly ModelCandidate[] = [];
  /** The analysed local model's tokenizer (rewrites of its candidates are checked with it). */
  private _modelTokenizer: GgufTokenizer | undefined;
  private readonly changed = this._register(new vscode.EventEmitter<string>());
  /** Fires with the tokenizer name whose index changed. */
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly registry: TokenizerRegistry,
    private readonly background: BackgroundTokenizer,
    /** With its `[glitch]` prefix. */
    private readonly log: ILogger,
  ) {
    super();
  }

  /** The index for an encoding (curated entries only until the structural analysis arrives). */
  get(encoding: EncodingName): GlitchIndex {
    let e = this.entries.get(encoding);
    if (!e) {
      e = { index: undefined, structural: undefined, building: false };
      this.entries.set(encoding, e);
      this.startStructure(encoding, e);
    }
    e.index ??= this.build(encoding, e.structural);
    return e.index;
  }

  structural(encoding: EncodingName): StructuralReport | undefined {
    return this.entries.get(encoding)?.structural;
  }

  /** Resolves when the structural analysis of `encoding` is in its index. */
  async whenComplete(encoding: EncodingName): Promise<GlitchIndex> {
    this.get(encoding);
    for (;;) {
      const e = this.entries.get(encoding)!;
      if (!e.building) return this.get(encoding);
      await nextEvent(this.onDidChange, (n) => n === encoding);
    }
  }

  get modelTokenizer(): GgufTokenizer | undefined {
    return this._modelTokenizer;
  }

  get modelCandidates(): readonly ModelCandidate[] {
    return this.candidates;
  }

  /**
   * Under-trained candidates of the analysed local model (empty: none). They apply to every
   * encoding's index as text patterns; `tokenizer` (owned from now on) is that model's.
   */
  setModelCandidates(candidates: readonly ModelCandidate[], tokenizer: GgufTokenizer | undefined): void {
    this.candidates = candidates;
    if (this._modelTokenizer !== tokenizer) this._modelTokenizer?.dispose();
    this._modelTokenizer = tokenizer;
    for (const [name, e] of this.entries) {
      e.index = undefined;
      this.changed.fire(name);
    }
  }

  override dispose(): void {
    this._modelTokenizer?.dispose();
    this._modelTokenizer = undefined;
    super.dispose();
  }

  private startStructure(encoding: EncodingName, e: Entry): void {
    e.building = true;
    this.background.structure(encoding).then(
      (report) => {
        e.structural = report;
        e.building = false;
        e.index = undefined;
        this.log.info(`${encoding}: ${report.partial.length} partial-UTF-8 and ${report.unreachable.length} unreachable tokens (${report.ms.toFixed(0)} ms)`);
        this.changed.fire(encoding);
      },
      (err: unknown) => {
        e.building = false;
        // curated entries still work; structural findings are missing
        this.log.error(`structural analysis of ${encoding} failed: ${errorMessage(err)}`);
        this.changed.fire(encoding);
      },
    );
  }

  private build(encoding: EncodingName, structural: StructuralReport | undefined): GlitchIndex {
    const tok = this.registry.get(encoding);
    const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });
    // Only o200k-era special tokens that a document might contain by accident; harmony's
    // <|reserved_200013|>… are not worth a note each.
    const specials = Object.entries(tok.spec.specialTokens)
      .filter(([text]) => !text.startsWith('<|reserved_'))
      .map(([text, id]) => ({ id, text }));
    return GlitchIndex.build({
      tokenizer: encoding,
      curated: curatedFor(encoding),
      ...(structural ? { structural, tokenText: (id: number) => utf8.decode(tok.tokenBytes(id)) } : {}),
      specials,
      modelCandidates: this.candidates,
    });
  }
}
