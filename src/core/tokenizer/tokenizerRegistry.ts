import type { IDisposable } from '../../common/dispose';
import type { BpeTokenizer } from './bpeTokenizer';
import type { EncodingName } from './encodings';
import { loadBpeTokenizer } from './loadTokenizer';
import type { RankTable } from './rankTable';
import type { Tokenizer } from './tokenizer';

/** Creates each encoding on first use and keeps it until disposal (creation costs 10–30 ms). */
export class TokenizerRegistry<T extends Tokenizer = BpeTokenizer> implements IDisposable {
  private readonly byName = new Map<EncodingName, T>();

  constructor(private readonly create: (name: EncodingName) => T) {}

  /** The fast tokenizers, rank tables read from `ranksDir` (dist/ranks) and shared between encodings. */
  static fromRanksDir(ranksDir: string): TokenizerRegistry<BpeTokenizer> {
    const tables = new Map<string, RankTable>();
    return new TokenizerRegistry((name) => loadBpeTokenizer(name, ranksDir, tables));
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
    for (const t of this.byName.values()) t.dispose();
    this.byName.clear();
  }
}
