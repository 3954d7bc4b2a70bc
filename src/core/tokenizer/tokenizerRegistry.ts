import { nextTurn } from '../../common/async';
import type { IDisposable } from '../../common/dispose';
import type { BpeTokenizer } from './bpeTokenizer';
import type { EncodingName } from './encodings';
import { loadBpeTokenizer, loadBpeTokenizerSliced } from './loadTokenizer';
import type { RankTable } from './rankTable';
import type { Tokenizer } from './tokenizer';

/** Creates each encoding on first use and keeps it until disposal (creation costs 10–30 ms). */
export class TokenizerRegistry<T extends Tokenizer = BpeTokenizer> implements IDisposable {
  private readonly byName = new Map<EncodingName, T>();
  private readonly preloading = new Map<EncodingName, Promise<void>>();
  private disposed = false;

  constructor(
    private readonly create: (name: EncodingName) => T,
    /** The same, without one long task (see preload); `create` when absent. */
    private readonly createSliced?: (name: EncodingName) => Promise<T>,
  ) {}

  /**
   * The fast tokenizers, rank tables read from `ranksDir` (dist/ranks) and shared between encodings.
   * Preloads build their tables in slices separated by setImmediate turns.
   */
  static fromRanksDir(ranksDir: string): TokenizerRegistry<BpeTokenizer> {
    const tables = new Map<string, RankTable>();
    return new TokenizerRegistry(
      (name) => loadBpeTokenizer(name, ranksDir, tables),
      (name) => loadBpeTokenizerSliced(name, ranksDir, tables, nextTurn),
    );
  }

  /**
   * Creates the encoding ahead of its first use without a long task on this thread (the extension
   * host: o200k's rank table took 30–75 ms in one go, the longest host task of the hostile-documents
   * suite). A `get` before it finishes creates the encoding at once, as without a preload. Failures
   * are left to that `get`, which reports them where the encoding is needed.
   */
  preload(name: EncodingName): Promise<void> {
    if (this.byName.has(name) || !this.createSliced) return Promise.resolve();
    let p = this.preloading.get(name);
    if (!p) {
      p = this.createSliced(name).then(
        (t) => {
          if (this.disposed || this.byName.has(name)) t.dispose();
          else this.byName.set(name, t);
        },
        () => undefined,
      );
      this.preloading.set(name, p);
      void p.finally(() => this.preloading.delete(name));
    }
    return p;
  }

  /** Whether the encoding is created already (`get` returns at once). */
  has(name: EncodingName): boolean {
    return this.byName.has(name);
  }

  get(name: EncodingName): T {
    let t = this.byName.get(name);
    if (!t) {
      t = this.create(name);
      this.byName.set(name, t);
    }
    return t;
  }

  dispose(): void {
    this.disposed = true;
    for (const t of this.byName.values()) t.dispose();
    this.byName.clear();
  }
}
