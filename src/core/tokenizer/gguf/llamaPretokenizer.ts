/**
 * llama.cpp's BPE pre-tokenization (`unicode_regex_split`) for the pre-tokenizer types whose
 * behaviour llama.cpp's own test vectors pin down (plus aliases configured identically).
 *
 * A pre-tokenizer is a list of steps applied in order. Each step splits every current piece into
 * its matches *and* the unmatched gaps between them, treating the piece as the whole input (a
 * lookahead or `$` sees the piece's end, not the text's). Steps are code, not regexes:
 *  - for the exact regex strings where llama.cpp itself substitutes a hand-written scanner
 *    (gpt2, llama3, qwen2, qwen35), a port of that scanner's behaviour — meant to equal the regex
 *    but not always equal to it, and llama.cpp's output is what counts;
 *  - for the other regexes, which are all of the forms `[C]`, `[C]{3}`, `A?[C]+` and `[C]+$`,
 *    a matcher with std::regex's (ECMAScript) leftmost-first, greedy semantics over llama.cpp's
 *    view of the characters: classes of regexes with `\p{…}` test the code point's "collapsed"
 *    character (`collapsedUnit`), the others the code point with non-ASCII whitespace read as
 *    U+000B; `\s` is C++'s, exactly [\t\n\v\f\r ].
 * Working on code point arrays avoids building per-piece strings and regex match objects (the
 * regex version of the DeepSeek pre-tokenizers spent half its time in GC).
 *
 * Units: pieces are ranges of code point indices inside a fragment; the words handed back are
 * UTF-16 offsets into the caller's string.
 */
import { TokenscopeError } from '../../../common/errors';
import { LETTER, MARK, NUMBER, WHITESPACE, bmpFlags, codepointFlags, collapsedUnit } from './codepointFlags';

/** Growable list of int32 offsets (no boxing, amortised O(1) push). */
export class OffsetList {
  data: Int32Array;
  length = 0;
  constructor(capacity = 256) {
    this.data = new Int32Array(capacity);
  }
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Int32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
  clear(): void {
    this.length = 0;
  }
}

/** Code points of one fragment and their flags. */
interface Scan {
  cps: Int32Array;
  flags: Uint8Array;
}

/** Splits the piece [ini, end) (code point indices) and pushes the end of every non-empty word. */
type Scanner = (s: Scan, ini: number, end: number, out: OffsetList) => void;

/** One pre-tokenizer step: splits each piece into words. */
interface Step {
  readonly scan: Scanner;
}

const OUT = -1;
const APOSTROPHE = 0x27;
const CR = 0x0d;
const LF = 0x0a;
const SPACE = 0x20;

/**
 * GPT-2's scanner: 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)
 * (contractions are case-sensitive).
 */
const scanGpt2: Scanner = (s, ini, end, out) => {
  const { cps, flags } = s;
  const f = (p: number): number => (p < end ? flags[p]! : 0);
  let pos = ini;
  while (pos < end) {
    const cp = cps[pos]!;
    const fl = flags[pos]!;
    if (cp === APOSTROPHE) {
      const n = contractionLength(cps, pos, end, false);
      if (n > 0) {
        out.push((pos += n));
        continue;
      }
    }
    // An optional leading space joins the run that follows it.
    let fl2 = cp === SPACE ? f(pos + 1) : fl;
    if (fl2 & LETTER) {
      if (cp === SPACE) pos++;
      while (fl2 & LETTER) fl2 = f(++pos);
      out.push(pos);
      continue;
    }
    if (fl2 & NUMBER) {
      if (cp === SPACE) pos++;
      while (fl2 & NUMBER) fl2 = f(++pos);
      out.push(pos);
      continue;
    }
    if (!(fl2 & (WHITESPACE | LETTER | NUMBER)) && fl2 !== 0) {
      if (cp === SPACE) pos++;
      while (!(fl2 & (WHITESPACE | LETTER | NUMBER)) && fl2 !== 0) fl2 = f(++pos);
      out.push(pos);
      continue;
    }
    let nws = 0;
    while (f(pos + nws) & WHITESPACE) nws++;
    out.push((pos = whitespaceWordEnd(pos, nws, end)));
  }
};

/**
 * The llama3 / qwen2 / qwen35 scanner family:
 *   (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?L+|\p{N}{1,k}| ?[^\s L \p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
 * with L = \p{L} (llama3, qwen2) or [\p{L}\p{M}] (qwen35), k = 3 (llama3) or 1 (qwen2, qwen35).
 */
function llama3FamilyScanner(letterMask: number, maxDigits: number): Scanner {
  const notPunct = WHITESPACE | letterMask | NUMBER;
  return (s, ini, end, out) => {
    const { cps, flags } = s;
    const f = (p: number): number => (p < end ? flags[p]! : 0);
    const c = (p: number): number => (p < end ? cps[p]! : OUT);
    let pos = ini;
    while (pos < end) {
      const cp = cps[pos]!;
      const fl = flags[pos]!;
      if (cp === APOSTROPHE) {
        const n = contractionLength(cps, pos, end, true);
        if (n > 0) {
          out.push((pos += n));
          continue;
        }
      }
      if (!(cp === CR || cp === LF || fl & NUMBER) && (fl | f(pos + 1)) & letterMask) {
        pos++;
        while (f(pos) & letterMask) pos++;
        out.push(pos);
        continue;
      }
      if (fl & NUMBER) {
        let from = pos;
        while (f(pos) & NUMBER) {
          if (++pos - from >= maxDigits) {
            out.push(pos);
            from = pos;
          }
        }
        if (pos > from) out.push(pos);
        continue;
      }
      // llama.cpp tests the *first* code point's flags for being in range here (always true
      // inside a piece), so a lone trailing space takes this branch and becomes its own word.
      let fl2 = cp === SPACE ? f(pos + 1) : fl;
      if (!(fl2 & notPunct)) {
        if (cp === SPACE) pos++;
        while (!(fl2 & notPunct) && fl2 !== 0) fl2 = f(++pos);
        let c2 = c(pos);
        while (c2 === CR || c2 === LF) c2 = c(++pos);
        out.push(pos);
        continue;
      }
      let nws = 0;
      let afterLastNewline = 0;
      while (f(pos + nws) & WHITESPACE) {
        const c2 = cps[pos + nws]!;
        if (c2 === CR || c2 === LF) afterLastNewline = pos + nws + 1;
        nws++;
      }
      if (afterLastNewline > 0) {
        out.push((pos = afterLastNewline));
        continue;
      }
      out.push((pos = whitespaceWordEnd(pos, nws, end)));
    }
  };
}

function asciiLower(cp: number): number {
  return cp >= 0x41 && cp <= 0x5a ? cp + 0x20 : cp;
}

/**
 * Code points of the contraction 's 't 're 've 'm 'll 'd at the apostrophe at `pos`, or 0 if none.
 * `anyCase` (llama3 family): (?i:…), where only ASCII letters lowercase to these.
 */
function contractionLength(cps: Int32Array, pos: number, end: number, anyCase: boolean): number {
  if (pos + 1 >= end) return 0;
  const n1 = anyCase ? asciiLower(cps[pos + 1]!) : cps[pos + 1]!;
  if (n1 === 0x73 || n1 === 0x74 || n1 === 0x6d || n1 === 0x64) return 2;
  if (pos + 2 >= end) return 0;
  const n2 = anyCase ? asciiLower(cps[pos + 2]!) : cps[pos + 2]!;
  return (n1 === 0x72 && n2 === 0x65) || (n1 === 0x76 && n2 === 0x65) || (n1 === 0x6c && n2 === 0x6c) ? 3 : 0;
}

/**
 * End of the word at `pos` when no other alternative matched, given the `nws` whitespace code
 * points there: `\s+(?!\S)` leaves the last whitespace to start the next word (unless the run
 * reaches the piece's end), else `\s+`; no whitespace: the code point alone.
 */
function whitespaceWordEnd(pos: number, nws: number, end: number): number {
  if (nws > 1 && pos + nws < end) return pos + nws - 1;
  return pos + (nws > 0 ? nws : 1);
}

const scanLlama3 = llama3FamilyScanner(LETTER, 3);
const scanQwen2 = llama3FamilyScanner(LETTER, 1);
const scanQwen35 = llama3FamilyScanner(LETTER | MARK, 1);

/**
 * A character class as llama.cpp's std::regex sees it. `test(cp, flags)` is called with the real
 * code point and its flags; the class decides which view applies.
 */
interface CharClass {
  test(cp: number, flags: number): boolean;
}

/**
 * A class of a regex that contains `\p{…}`, so llama.cpp matches it on collapsed text: membership
 * is decided by the code point's collapsed character (see `collapsedUnit`), a 256-entry table.
 * `members`: characters and "a-z" ranges, all below U+0100.
 */
function collapsedClass(members: string): CharClass {
  const table = new Uint8Array(256);
  for (const part of members.match(/.-.|./gsu) ?? []) {
    const from = part.codePointAt(0)!;
    const to = part.length === 3 ? part.codePointAt(2)! : from;
    for (let c = from; c <= to; c++) table[c] = 1;
  }
  return { test: (cp, flags) => table[collapsedUnit(cp, flags)] === 1 };
}

/**
 * A class of a regex without `\p{…}`, which llama.cpp matches on code points with non-ASCII
 * whitespace replaced by U+000B. Ranges are inclusive code point pairs; a BMP bitmap is built
 * once, astral code points are checked against the ranges.
 */
function codepointClass(ranges: ReadonlyArray<readonly [number, number]>): CharClass {
  const bmp = new Uint8Array(0x10000);
  const astral = ranges.filter(([, to]) => to >= 0x10000);
  for (const [from, to] of ranges) for (let c = from; c <= Math.min(to, 0xffff); c++) bmp[c] = 1;
  return {
    test: (cp, flags) => {
      if (cp >= 0x80 && flags & WHITESPACE) cp = 0x0b;
      if (cp < 0x10000) return bmp[cp] === 1;
      for (const [from, to] of astral) if (cp >= from && cp <= to) return true;
      return false;
    },
  };
}

// llama.cpp's collapsed classes: the stand-in character of the category (Ñ number, Ò letter,
// Ó punctuation) plus the ASCII members it lists for that category.
const C_N = '\u00d10-9';
const C_L = '\u00d2A-Za-z';
const C_P = '\u00d3!-#%-*,-/:-;?-@[-]_{}';
const NUMBERS = collapsedClass(C_N);
const LETTERS = collapsedClass(C_L);
const PUNCTUATION_ONLY = collapsedClass(C_P);
/** C++ `\s`: exactly [\t\n\v\f\r ] (non-ASCII whitespace reaches it as \v). */
const CPP_SPACE = codepointClass([[0x09, 0x0d], [0x20, 0x20]]);

/**
 * Leftmost-first matches of `lead? cls+` (lead optional) in each piece; matches and the gaps
 * between them become words. Backtracking as in ECMAScript: a lead is taken only if a member of
 * `cls` follows it.
 */
function matchRuns(cls: CharClass, lead?: CharClass): Step {
  return scanner((s, ini, end, out) => {
    const { cps, flags } = s;
    const isCls = (p: number): boolean => p < end && cls.test(cps[p]!, flags[p]!);
    let gap = ini;
    for (let p = ini; p < end; ) {
      let q: number;
      if (lead && lead.test(cps[p]!, flags[p]!) && isCls(p + 1)) q = p + 2;
      else if (isCls(p)) q = p + 1;
      else {
        p++;
        continue;
      }
      while (isCls(q)) q++;
      if (p > gap) out.push(p);
      out.push(q);
      gap = p = q;
    }
    if (gap < end) out.push(end);
  });
}

/** Leftmost matches of exactly `n` consecutive members of `cls` (`[0-9][0-9][0-9]`). */
function matchFixed(cls: CharClass, n: number): Step {
  return scanner((s, ini, end, out) => {
    const { cps, flags } = s;
    let gap = ini;
    for (let p = ini; p + n <= end; ) {
      let k = 0;
      while (k < n && cls.test(cps[p + k]!, flags[p + k]!)) k++;
      if (k < n) {
        p++;
        continue;
      }
      if (p > gap) out.push(p);
      out.push((gap = p += n));
    }
    if (gap < end) out.push(end);
  });
}

/** One word per member of `cls` (`\p{N}`, `[\r\n]`). */
function matchSingles(cls: CharClass): Step {
  return scanner((s, ini, end, out) => {
    const { cps, flags } = s;
    let gap = ini;
    for (let p = ini; p < end; p++) {
      if (!cls.test(cps[p]!, flags[p]!)) continue;
      if (p > gap) out.push(p);
      out.push((gap = p + 1));
    }
    if (gap < end) out.push(end);
  });
}

/** `cls+$`: the maximal run of `cls` that ends the piece, if any. */
function matchTrailingRun(cls: CharClass): Step {
  return scanner((s, ini, end, out) => {
    let r = end;
    while (r > ini && cls.test(s.cps[r - 1]!, s.flags[r - 1]!)) r--;
    if (r > ini) out.push(r);
    out.push(end);
  });
}

function scanner(scan: Scanner): Step {
  return { scan };
}

/** Han and Hangul runs as in DeepSeek's pre-tokenizers: [一-龥ࠀ-一가-퟿]+ */
const CJK_RUNS = matchRuns(codepointClass([[0x4e00, 0x9fa5], [0x0800, 0x4e00], [0xac00, 0xd7ff]]));
const NEWLINES = matchSingles(codepointClass([[0x0a, 0x0a], [0x0d, 0x0d]]));

/**
 * DeepSeek LLM's letter class: Latin, Greek, Cyrillic, Armenian, Georgian, Cherokee, … ranges,
 * written as code point ranges (from llama.cpp's list; µ, À-Ö, Ø-ö, … ).
 */
const DEEPSEEK_LETTERS = codepointClass([
  [0x41, 0x5a], [0x61, 0x7a], [0xb5, 0xb5], [0xc0, 0xd6], [0xd8, 0xf6], [0xf8, 0x1ba], [0x1bc, 0x1bf], [0x1c4, 0x293],
  [0x295, 0x2af], [0x370, 0x373], [0x376, 0x377], [0x37b, 0x37d], [0x37f, 0x37f], [0x386, 0x386], [0x388, 0x38a],
  [0x38c, 0x38c], [0x38e, 0x3a1], [0x3a3, 0x3f5], [0x3f7, 0x481], [0x48a, 0x52f], [0x531, 0x556], [0x10a0, 0x10c5],
  [0x13a0, 0x13f5], [0x13f8, 0x13fd], [0x1c90, 0x1cba], [0x1cbd, 0x1cbf], [0x1d00, 0x1d2b], [0x1d6b, 0x1d77],
  [0x1d79, 0x1d9a], [0x1e00, 0x1f15], [0x1f18, 0x1f1d], [0x1f20, 0x1f45], [0x1f48, 0x1f4d], [0x1f50, 0x1f57],
  [0x1f59, 0x1f59], [0x1f5b, 0x1f5b], [0x1f5d, 0x1f5d], [0x1f5f, 0x1f7d], [0x1f80, 0x1fb4], [0x1fb6, 0x1fbc],
  [0x1fbe, 0x1fbe], [0x1fc2, 0x1fc4], [0x1fc6, 0x1fcc], [0x1fd0, 0x1fd3], [0x1fd6, 0x1fdb], [0x1fe0, 0x1fec],
  [0x1ff2, 0x1ff4], [0x1ff6, 0x1ffc], [0x2102, 0x2102], [0x2107, 0x2107], [0x210a, 0x2113], [0x2115, 0x2115],
  [0x2119, 0x211d], [0x2124, 0x2124], [0x2126, 0x2126], [0x2128, 0x2128], [0x212a, 0x212d], [0x212f, 0x2134],
  [0x2139, 0x2139], [0x213c, 0x213f], [0x2145, 0x2149], [0x214e, 0x214e], [0x2183, 0x2184], [0x2c00, 0x2c7b],
  [0x2c7e, 0x2ce4], [0x2ceb, 0x2cee], [0x2cf2, 0x2cf3], [0xa640, 0xa66d], [0xa680, 0xa69b], [0xa722, 0xa76f],
  [0xa771, 0xa787], [0xa78b, 0xa78e], [0xab70, 0xabbf], [0xfb00, 0xfb06], [0xfb13, 0xfb17], [0xff21, 0xff3a],
  [0xff41, 0xff5a], [0x10400, 0x1044f], [0x104b0, 0x104d3], [0x104d8, 0x104fb], [0x10c80, 0x10cb2],
  [0x10cc0, 0x10cf2], [0x118a0, 0x118df], [0x1e900, 0x1e943],
]);
/** DeepSeek LLM's punctuation class: ASCII and fullwidth punctuation, quotes U+2018–U+201F, U+3000–U+3002. */
const DEEPSEEK_PUNCT = codepointClass([[0x21, 0x2f], [0x3a, 0x7e], [0xff01, 0xff0f], [0xff1a, 0xff5e], [0x2018, 0x201f], [0x3000, 0x3002]]);
const DIGITS = codepointClass([[0x30, 0x39]]);

/** Pre-tokenizer configurations by llama.cpp pre type. */
interface PreTypeSpec {
  readonly steps: readonly Step[];
  /** A word that is itself a token is emitted without running merges (llama.cpp `ignore_merges`). */
  readonly ignoreMerges: boolean;
}

const STARCODER: PreTypeSpec = { steps: [matchSingles(NUMBERS), scanner(scanGpt2)], ignoreMerges: false };
const GPT2: PreTypeSpec = { steps: [scanner(scanGpt2)], ignoreMerges: false };
const LLAMA3: PreTypeSpec = { steps: [scanner(scanLlama3)], ignoreMerges: true };
const QWEN2: PreTypeSpec = { steps: [scanner(scanQwen2)], ignoreMerges: false };
const QWEN35: PreTypeSpec = { steps: [scanner(scanQwen35)], ignoreMerges: false };
// Step lists transcribe llama.cpp's regex lists per pre type (regex → matcher):
//   \p{N} → matchSingles(NUMBERS), \p{N}+ → matchRuns(NUMBERS), \s?\p{L}+ → matchRuns(LETTERS, CPP_SPACE), …
const FALCON: PreTypeSpec = {
  steps: [matchRuns(collapsedClass(`${C_P}$+<=>^~|\``)), scanner(scanGpt2), matchFixed(DIGITS, 3)],
  ignoreMerges: false,
};
const DEFAULT: PreTypeSpec = {
  steps: [matchRuns(collapsedClass(`${C_P}$+<=>^~|`)), scanner(scanGpt2), matchRuns(NUMBERS), matchFixed(DIGITS, 3)],
  ignoreMerges: false,
};
const DEEPSEEK_CODER: PreTypeSpec = {
  steps: [NEWLINES, matchRuns(LETTERS, CPP_SPACE), matchRuns(PUNCTUATION_ONLY, CPP_SPACE), CJK_RUNS, matchSingles(NUMBERS)],
  ignoreMerges: false,
};
const DEEPSEEK_LLM: PreTypeSpec = {
  steps: [NEWLINES, matchRuns(DEEPSEEK_LETTERS, CPP_SPACE), matchRuns(DEEPSEEK_PUNCT, CPP_SPACE), matchTrailingRun(CPP_SPACE), CJK_RUNS, matchRuns(NUMBERS)],
  ignoreMerges: false,
};

/**
 * Supported `tokenizer.ggml.pre` values. Aliases share llama.cpp's configuration (regex list and
 * `ignore_merges`) with the type that has test vectors.
 */
const PRE_TYPES: ReadonlyMap<string, PreTypeSpec> = new Map<string, PreTypeSpec>([
  ['default', DEFAULT],
  ['gpt-2', GPT2], ['phi-2', GPT2], ['jina-es', GPT2], ['jina-de', GPT2], ['gigachat', GPT2], ['jina-v2-es', GPT2],
  ['jina-v2-de', GPT2], ['a.x-4.0', GPT2], ['mellum', GPT2], ['modern-bert', GPT2], ['jina-v1-en', GPT2],
  ['jina-v2-code', GPT2], ['roberta-bpe', GPT2], ['exaone4', GPT2], ['mpt', GPT2], ['olmo', GPT2], ['jais', GPT2],
  ['trillion', GPT2], ['granite-docling', GPT2],
  ['starcoder', STARCODER], ['refact', STARCODER], ['command-r', STARCODER], ['smollm', STARCODER],
  ['codeshell', STARCODER], ['exaone', STARCODER], ['minerva-7b', STARCODER], ['mellum2', STARCODER],
  ['llama3', LLAMA3], ['llama-v3', LLAMA3], ['llama-bpe', LLAMA3], ['falcon3', LLAMA3], ['falcon-h1', LLAMA3],
  ['pixtral', LLAMA3], ['midm-2.0', LLAMA3], ['lfm2', LLAMA3], ['jina-v5-nano', LLAMA3],
  ['qwen2', QWEN2], ['deepseek-r1-qwen', QWEN2], ['kormo', QWEN2], ['f2llmv2', QWEN2], ['megrez', QWEN2],
  ['stablelm2', QWEN2], ['hunyuan', QWEN2], ['solar-open', QWEN2],
  ['qwen35', QWEN35],
  ['falcon', FALCON],
  ['deepseek-coder', DEEPSEEK_CODER],
  ['deepseek-llm', DEEPSEEK_LLM],
]);

export function isSupportedPreType(pre: string): boolean {
  return PRE_TYPES.has(pre);
}

/** The supported pre types, sorted (for error messages). */
export function supportedPreTypes(): string[] {
  return [...PRE_TYPES.keys()].sort();
}

/**
 * Splits text into llama.cpp's BPE words. Holds scratch buffers (reused across calls, grown on
 * demand), so one instance must not be used re-entrantly.
 */
export class LlamaPretokenizer {
  readonly ignoreMerges: boolean;
  private readonly steps: readonly Step[];
  private cps = new Int32Array(1024);
  private flags = new Uint8Array(1024);
  /** UTF-16 offset (relative to the fragment) of each code point, n + 1 entries. */
  private u16 = new Int32Array(1025);
  private ends = new OffsetList();
  private nextEnds = new OffsetList();

  constructor(readonly preType: string) {
    const spec = PRE_TYPES.get(preType);
    if (!spec) {
      throw new TokenscopeError('gguf-unsupported', `unsupported pre-tokenizer type '${preType}' (supported: ${supportedPreTypes().join(', ')})`);
    }
    this.steps = spec.steps;
    this.ignoreMerges = spec.ignoreMerges;
  }

  /**
   * Splits text[start, end) (UTF-16 offsets; a well-formed string) and returns the end offsets of
   * its words in order (a view into scratch memory, valid until the next call). Cost: O(length)
   * per step plus regex work.
   */
  split(text: string, start: number, end: number): Int32Array {
    const n = this.decode(text, start, end);
    let ends = this.ends;
    ends.clear();
    if (n === 0) return ends.data.subarray(0, 0);
    ends.push(n);
    const scan: Scan = { cps: this.cps, flags: this.flags };
    for (const step of this.steps) {
      const out = this.nextEnds;
      out.clear();
      let from = 0;
      for (let k = 0; k < ends.length; k++) {
        const to = ends.data[k]!;
        if (to > from) step.scan(scan, from, to, out);
        from = to;
      }
      this.nextEnds = ends;
      this.ends = ends = out;
    }
    // code point indices → absolute UTF-16 offsets
    const d = ends.data;
    for (let k = 0; k < ends.length; k++) d[k] = start + this.u16[d[k]!]!;
    return d.subarray(0, ends.length);
  }

  /** Fills cps/flags/u16 for text[start, end); returns the number of code points. */
  private decode(text: string, start: number, end: number): number {
    const len = end - start;
    if (this.cps.length < len) {
      const cap = Math.max(len, this.cps.length * 2);
      this.cps = new Int32Array(cap);
      this.flags = new Uint8Array(cap);
      this.u16 = new Int32Array(cap + 1);
    }
    const bmp = bmpFlags();
    const cps = this.cps;
    const flags = this.flags;
    const u16 = this.u16;
    let n = 0;
    for (let i = start; i < end; i++) {
      let cp = text.charCodeAt(i);
      u16[n] = i - start;
      if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < end) {
        const lo = text.charCodeAt(i + 1);
        if (lo >= 0xdc00 && lo <= 0xdfff) {
          cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
          i++;
          cps[n] = cp;
          flags[n++] = codepointFlags(cp);
          continue;
        }
      }
      cps[n] = cp;
      flags[n++] = bmp[cp]!;
    }
    u16[n] = len;
    return n;
  }
}

