/**
 * The vocabulary indexed by raw token bytes, for token healing: which tokens can start a
 * continuation that must re-produce given bytes, and which byte strings some longer token extends.
 *
 * Hand-written (no library does this over raw token bytes): tokens' bytes are kept as latin1
 * strings (one char per byte, so string order = byte order and prefixes stay prefixes), sorted
 * once. "Tokens starting with b" is then one binary-searched range; "tokens that are a prefix of
 * b" is one map lookup per prefix length. Bytes, never decoded text: a token may hold half a
 * UTF-8 character (byte-fallback `<0xNN>` tokens, byte-level BPE pieces).
 *
 * Cost: build O(V log V) (49k tokens: ~40 ms); `compatible` O(log V + |b| + answer); `isExtended` O(log V).
 */
export interface TokenBytesSource {
  readonly vocabSize: number;
  /** Raw bytes llama.cpp renders for the token (SentencePiece's ▁ as a space, `<0xNN>` as the byte). */
  tokenBytes(id: number): Uint8Array;
  /** Whether generation may produce the token as text (not control, unused or empty). */
  isText(id: number): boolean;
}

export class TokenByteIndex {
  /** Text tokens sorted by their bytes (as latin1 strings). */
  private readonly sortedKeys: string[];
  private readonly sortedIds: Int32Array;
  /** Exact bytes → tokens with those bytes (a byte token and a normal token may share them). */
  private readonly byKey = new Map<string, number[]>();
  /** Longest token, in bytes: healing never backs off further. */
  readonly maxTokenBytes: number;

  constructor(private readonly source: TokenBytesSource) {
    const entries: [string, number][] = [];
    let max = 0;
    for (let id = 0; id < source.vocabSize; id++) {
      if (!source.isText(id)) continue;
      const b = source.tokenBytes(id);
      if (b.length === 0) continue;
      const key = latin1(b);
      entries.push([key, id]);
      const same = this.byKey.get(key);
      if (same) same.push(id);
      else this.byKey.set(key, [id]);
      max = Math.max(max, b.length);
    }
    entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]));
    this.sortedKeys = entries.map((e) => e[0]);
    this.sortedIds = Int32Array.from(entries.map((e) => e[1]));
    this.maxTokenBytes = max;
  }

  /** Bytes of a token (a view; do not modify). */
  bytesOf(id: number): Uint8Array {
    return this.source.tokenBytes(id);
  }

  /**
   * Text tokens that can come next when the output must re-produce `forced` exactly: tokens whose
   * bytes are a proper prefix of `forced` (more forced bytes follow), and tokens whose bytes start
   * with all of `forced` (the forced bytes end inside or at the end of the token).
   */
  compatible(forced: Uint8Array): number[] {
    if (forced.length === 0) return [];
    const key = latin1(forced);
    const out: number[] = [];
    for (let k = 1; k < key.length; k++) {
      const ids = this.byKey.get(key.slice(0, k));
      if (ids) out.push(...ids);
    }
    const [lo, hi] = this.prefixRange(key);
    for (let i = lo; i < hi; i++) out.push(this.sortedIds[i]!);
    return out;
  }

  /** Whether text token `id` may come next when the output must re-produce `forced` (see `compatible`). O(|forced|). */
  isCompatible(id: number, forced: Uint8Array): boolean {
    if (!this.source.isText(id)) return false;
    const b = this.source.tokenBytes(id);
    if (b.length === 0) return false;
    const n = Math.min(b.length, forced.length);
    for (let i = 0; i < n; i++) if (b[i] !== forced[i]) return false;
    return true;
  }

  /** Text tokens whose bytes start with all of `forced` (they re-produce it in one step). */
  covering(forced: Uint8Array): number[] {
    if (forced.length === 0) return [];
    const [lo, hi] = this.prefixRange(latin1(forced));
    return Array.from(this.sortedIds.subarray(lo, hi));
  }

  /** Text tokens whose bytes are exactly `bytes`. */
  exactly(bytes: Uint8Array): readonly number[] {
    return this.byKey.get(latin1(bytes)) ?? [];
  }

  /** How many text tokens start with all of `forced` (O(log V), no list built). */
  coveringCount(forced: Uint8Array): number {
    if (forced.length === 0) return this.sortedIds.length;
    const [lo, hi] = this.prefixRange(latin1(forced));
    return hi - lo;
  }

  /** Whether some text token's bytes start with `bytes` and are longer. */
  isExtended(bytes: Uint8Array): boolean {
    const key = latin1(bytes);
    const [lo, hi] = this.prefixRange(key);
    // the range holds the tokens equal to `key` first (sorted), then the longer ones
    return hi > lo && this.sortedKeys[hi - 1]!.length > key.length;
  }

  /** [lo, hi) of the sorted tokens that start with `key`. */
  private prefixRange(key: string): [number, number] {
    // every latin1 string starting with `key` sorts before key + '\u0100'
    return [this.lowerBound(key), this.lowerBound(`${key}\u0100`)];
  }

  private lowerBound(key: string): number {
    let lo = 0;
    let hi = this.sortedKeys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.sortedKeys[mid]! < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** What is left to force after a token: undefined when the token covers the rest. Bytes compared, not text. */
export function consumeForced(forced: Uint8Array, token: Uint8Array): Uint8Array | undefined {
  const n = Math.min(forced.length, token.length);
  for (let i = 0; i < n; i++) if (forced[i] !== token[i]) throw new Error('token does not match the forced bytes');
  return token.length >= forced.length ? undefined : forced.subarray(token.length);
}

function latin1(b: Uint8Array): string {
  let s = '';
  // chunks: String.fromCharCode's argument count is limited
  for (let i = 0; i < b.length; i += 4096) s += String.fromCharCode(...b.subarray(i, i + 4096));
  return s;
}
