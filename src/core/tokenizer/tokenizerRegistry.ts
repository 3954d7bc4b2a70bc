import type { IDisposable } from '../../common/dispose';
import { TiktokenTokenizer } from './tiktokenTokenizer';
import type { EncodingName, Tokenizer } from './tokenizer';

/** Creates each encoding on first use and keeps it until disposal (creation is expensive). */
export class TokenizerRegistry implements IDisposable {
  private readonly byName = new Map<EncodingName, Tokenizer>();

  constructor(private readonly create: (name: EncodingName) => Tokenizer = (n) => new TiktokenTokenizer(n)) {}

  get(name: EncodingName): Tokenizer {
    let t = this.byName.get(name);
    if (!t) {
      t = this.create(name);
      this.byName.set(name, t);
    }
    return t;
  }

  dispose(): void {
    for (const t of this.byName.values()) {
      t.dispose();
    }
    this.byName.clear();
  }
}
