import { SpanBuffer, type DocumentTokens } from '../tokenizer/documentTokens';
import type { GlitchIndex, GlitchInfo } from './glitchIndex';

/** One flagged place in a document (UTF-16 offsets). */
export interface GlitchFinding {
  readonly start: number;
  readonly end: number;
  readonly info: GlitchInfo;
  /** Index of the token in the document, for findings on tokens (not on text patterns). */
  readonly tokenIndex?: number;
}

/** One edit as the token model applied it: the change and the chunks it re-lexed (new offsets). */
export interface TrackedEdit {
  readonly offset: number;
  readonly deleteLength: number;
  readonly insertLength: number;
  readonly relexStart: number;
  readonly relexEnd: number;
}

/**
 * The glitch findings of one document, kept up to date with its token model: after an edit only the
 * re-lexed chunks (for token findings) and the edited text plus the longest pattern around it (for
 * text findings) are scanned again; every other finding just shifts. Cost per edit: O(chunks
 * re-lexed + findings), independent of the document's size.
 *
 * The first scan of a large document can run in slices (`GlitchTracker.deferred` + `scanMore`):
 * a full scan costs about 30–80 µs per KB (900k tokens of a 3 MB file: 80–250 ms, measured in the
 * extension host), too long for the host thread in one go. Until it is `complete`, findings cover
 * [0, scanned) only; edits meanwhile shift the frontier like any other offset.
 */
export class GlitchTracker {
  private list: GlitchFinding[] = [];
  private readonly spans = new SpanBuffer();
  /** Findings are complete for [0, scanned) (UTF-16 offset). */
  private scanned = 0;
  /** The longest finding seen (UTF-16 units; only grows), for finding the first one an offset can touch. */
  private longest = 0;
  /** False until the first `scanMore` (an empty document is complete after it). */
  private scannedOnce = false;

  /** Scans the whole document now. */
  constructor(
    readonly index: GlitchIndex,
    private model: DocumentTokens,
    scanNow = true,
  ) {
    if (scanNow) this.scanMore(Number.POSITIVE_INFINITY);
  }

  /** A tracker that has scanned nothing yet: call `scanMore` until it returns true. */
  static deferred(index: GlitchIndex, model: DocumentTokens): GlitchTracker {
    return new GlitchTracker(index, model, false);
  }

  get findings(): readonly GlitchFinding[] {
    return this.list;
  }

  /** Whether the findings cover the whole document. */
  get complete(): boolean {
    return this.scanned >= this.model.length && this.scannedOnce;
  }

  /** Scans the next `maxChars` UTF-16 units of the first pass; true when the findings are complete. */
  scanMore(maxChars: number): boolean {
    const end = Math.min(this.model.length, this.scanned + maxChars);
    this.rescan(this.scanned, end);
    this.scanned = end;
    this.scannedOnce = true;
    return this.complete;
  }

  /** Applies the edits of one change event, in order, then rescans what they touched. */
  applyEdits(edits: readonly TrackedEdit[]): void {
    const dirty: [number, number][] = [];
    const margin = this.index.maxPatternLength;
    for (const e of edits) {
      const delta = e.insertLength - e.deleteLength;
      const oldEnd = e.offset + e.deleteLength;
      // shift everything behind the edit (findings and earlier dirty ranges)
      const shift = (o: number): number => (o >= oldEnd ? o + delta : o > e.offset ? e.offset : o);
      this.dropAndShift(e.offset, oldEnd, delta);
      for (const d of dirty) {
        d[0] = shift(d[0]);
        d[1] = shift(d[1]);
      }
      this.scanned = shift(this.scanned);
      dirty.push([Math.min(e.relexStart, e.offset - margin), Math.max(e.relexEnd, e.offset + e.insertLength + margin)]);
    }
    dirty.sort((a, b) => a[0] - b[0]);
    for (let i = 0; i < dirty.length; i++) {
      const a = dirty[i]![0];
      let b = dirty[i]![1];
      while (i + 1 < dirty.length && dirty[i + 1]![0] <= b) b = Math.max(b, dirty[++i]![1]);
      // beyond the frontier the first pass will scan anyway
      if (a < this.scanned) this.rescan(Math.max(0, a), Math.min(this.model.length, b, this.scanned));
    }
  }

  /** Replaces the findings overlapping [start, end) with a fresh scan of that range. */
  private rescan(start: number, end: number): void {
    if (end <= start && this.model.length > 0) return;
    const fresh: GlitchFinding[] = [];
    const ix = this.index;
    if (ix.byId.size > 0) {
      this.model.tokensInRangeInto(start, end, Number.MAX_SAFE_INTEGER, this.spans);
      const s = this.spans;
      for (let i = 0; i < s.length; i++) {
        const info = ix.byId.get(s.ids[i]!);
        if (info) fresh.push({ start: s.starts[i]!, end: s.ends[i]!, info, tokenIndex: s.indexes[i]! });
      }
    }
    if (ix.patterns.length > 0) {
      // patterns overlapping [start, end) may begin up to maxPatternLength - 1 before it
      const from = Math.max(0, start - ix.maxPatternLength + 1);
      const to = Math.min(this.model.length, end + ix.maxPatternLength - 1);
      const text = this.model.getText(from, to);
      ix.matchText(text, (a, b, info) => {
        if (from + b > start && from + a < end) fresh.push({ start: from + a, end: from + b, info });
      });
    }
    for (const f of fresh) if (f.end - f.start > this.longest) this.longest = f.end - f.start;
    this.replaceRange(start, end, fresh.sort((a, b) => a.start - b.start));
  }

  /**
   * Removes the findings overlapping [from, oldEnd) and moves those at or after oldEnd by `delta`,
   * in place: the list is sorted by start, so only the findings from the edit on are visited (an
   * undo burst on a document with 10,000 findings rebuilt and re-allocated all of them per edit).
   */
  private dropAndShift(from: number, oldEnd: number, delta: number): void {
    const list = this.list;
    let w = this.firstOverlapping(from);
    for (let i = w; i < list.length; i++) {
      const f = list[i]! as MutableFinding;
      if (f.start < oldEnd && f.end > from) continue; // touched by the edit: rescanned
      if (f.start >= oldEnd) {
        f.start += delta;
        f.end += delta;
      }
      list[w++] = f;
    }
    list.length = w;
  }

  /** Replaces the findings overlapping [start, end) with `fresh` (sorted, inside the range), in place. */
  private replaceRange(start: number, end: number, fresh: GlitchFinding[]): void {
    const list = this.list;
    const kept: GlitchFinding[] = [];
    let i = this.firstOverlapping(start);
    const from = i;
    for (; i < list.length && list[i]!.start < end; i++) if (!(list[i]!.end > start)) kept.push(list[i]!);
    // findings starting before `end` that do not overlap stay, merged with the fresh ones by start
    const merged = kept.length ? [...kept, ...fresh].sort((a, b) => a.start - b.start) : fresh;
    list.splice(from, i - from, ...merged);
  }

  /** The first index whose finding could overlap an offset ≥ `at`: no finding is longer than `longest`. */
  private firstOverlapping(at: number): number {
    const list = this.list;
    const target = at - this.longest;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid]!.start < target) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** Findings are created and shifted here only; consumers see them read-only. */
type MutableFinding = { -readonly [K in keyof GlitchFinding]: GlitchFinding[K] };
