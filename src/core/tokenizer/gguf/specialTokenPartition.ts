/**
 * llama.cpp's `tokenizer_st_partition` with parse_special = false: user-defined tokens (not
 * control, not unknown) are cut out of the raw text before tokenization, one token at a time,
 * longest text first; each token splits every remaining text fragment at all of its
 * non-overlapping occurrences, left to right. A token with the lstrip / rstrip attribute also
 * swallows the ASCII whitespace before / after each occurrence.
 *
 * Finding *which* tokens occur is one pass over the text with a trie of the token texts (UTF-16
 * code units), so vocabularies with thousands of user-defined tokens (DeepSeek: 2398, Command-R:
 * 999) cost O(text) instead of O(text × tokens); the sequential splitting then runs only for the
 * tokens found (usually none).
 */
import { TokenAttr } from './ggufVocab';

/**
 * The text cut into fragments, in order: fragment i is the token `token[i]`, or, when that is -1,
 * the text range [start[i], end[i]) (UTF-16 offsets).
 */
export interface Fragments {
  readonly count: number;
  readonly token: Int32Array;
  readonly start: Int32Array;
  readonly end: Int32Array;
}

interface TrieNode {
  readonly children: Map<number, TrieNode>;
  /** Index into the partition list of the token ending here, or -1. */
  token: number;
}

export class SpecialTokenPartition {
  private readonly root: TrieNode = { children: new Map(), token: -1 };
  private readonly texts: string[] = [];
  private readonly lstrip: boolean[] = [];
  private readonly rstrip: boolean[] = [];

  /** `ids` in priority order (longest first); `textOf(id)` and `attrs[id]` from the vocab. */
  constructor(
    private readonly ids: readonly number[],
    textOf: (id: number) => string,
    attrs: Uint16Array,
  ) {
    ids.forEach((id, k) => {
      const text = textOf(id);
      this.texts.push(text);
      this.lstrip.push((attrs[id]! & TokenAttr.Lstrip) !== 0);
      this.rstrip.push((attrs[id]! & TokenAttr.Rstrip) !== 0);
      let node = this.root;
      for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i);
        let child = node.children.get(c);
        if (!child) node.children.set(c, (child = { children: new Map(), token: -1 }));
        node = child;
      }
      if (node.token < 0) node.token = k;
    });
  }

  get isEmpty(): boolean {
    return this.ids.length === 0;
  }

  /** Indices (into the priority list) of the tokens whose text occurs in `text`, sorted. O(text × trie depth reached). */
  private occurring(text: string): number[] {
    const found = new Set<number>();
    const root = this.root.children;
    for (let i = 0; i < text.length; i++) {
      let node = root.get(text.charCodeAt(i));
      for (let j = i + 1; node; j++) {
        if (node.token >= 0) found.add(node.token);
        if (j >= text.length) break;
        node = node.children.get(text.charCodeAt(j));
      }
    }
    return [...found].sort((a, b) => a - b);
  }

  /** Splits `text`; undefined when no token occurs (the whole text is one fragment). */
  split(text: string): Fragments | undefined {
    if (this.ids.length === 0) return undefined;
    const present = this.occurring(text);
    if (present.length === 0) return undefined;
    // a fragment is a text range (id = -1) or a split-out token (start = end = -1)
    let frags: Array<{ start: number; end: number; id: number }> = [{ start: 0, end: text.length, id: -1 }];
    for (const k of present) {
      const t = this.texts[k]!;
      const id = this.ids[k]!;
      const lstrip = this.lstrip[k]!;
      const rstrip = this.rstrip[k]!;
      const next: typeof frags = [];
      for (const f of frags) {
        if (f.id >= 0) {
          next.push(f);
          continue;
        }
        let base = f.start;
        const end = f.end;
        for (;;) {
          const m = text.indexOf(t, base);
          if (m < 0 || m + t.length > end) {
            if (end > base) next.push({ start: base, end, id: -1 });
            break;
          }
          let leftEnd = m;
          if (lstrip) while (leftEnd > base && isCSpace(text.charCodeAt(leftEnd - 1))) leftEnd--;
          if (leftEnd > base) next.push({ start: base, end: leftEnd, id: -1 });
          next.push({ start: -1, end: -1, id });
          base = m + t.length;
          if (rstrip) while (base < end && isCSpace(text.charCodeAt(base))) base++;
          if (base >= end) break;
        }
      }
      frags = next;
    }
    const n = frags.length;
    const out = { count: n, token: new Int32Array(n), start: new Int32Array(n), end: new Int32Array(n) };
    frags.forEach((f, i) => {
      out.token[i] = f.id;
      out.start[i] = f.start;
      out.end[i] = f.end;
    });
    return out;
  }
}

/** C's isspace in the "C" locale: space, \t, \n, \v, \f, \r. */
function isCSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}
