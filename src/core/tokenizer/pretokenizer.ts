/**
 * Pre-tokenizers: split text into the chunks ("pieces") that tiktoken's regex would produce; BPE then
 * runs inside each chunk. Hand-written scanners handle ASCII exactly as the regex does (leftmost-
 * first alternation, greedy quantifiers with backtracking); at any decision that depends on a
 * non-ASCII code unit they give up for that chunk and the caller runs the regex itself (sticky, from
 * the same position). Both paths produce identical chunks: the regex has no lookbehind, so a chunk
 * depends only on the text from its start onwards.
 *
 * Units: UTF-16 offsets. The regex sees the whole string it is given: `(?!\S)` at its end behaves as
 * at the end of a document, so callers that lex a window of a larger text must treat chunks ending
 * within LOOKAHEAD of the window's end as unknown (and widen the window).
 */

import { hasDrift, referenceClassBodies } from './unicodePinning';

export type PatternName = 'o200k' | 'cl100k' | 'gpt2';

/** Longest lookahead (code units past a chunk's end) any scanner or regex uses to end a chunk. */
export const LOOKAHEAD = 4;

/** Rust's `\s` (Unicode White_Space). JS `\s` also matches U+FEFF, which tiktoken does not. */
const WS = '\\t\\n\\v\\f\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
// `(?i:'s|'t|'re|'ve|'m|'ll|'d)` without inline modifiers (Node 20's V8 has none). Unicode simple
// case folding, as in Rust's regex: `s` also matches U+017F LATIN SMALL LETTER LONG S.
const CONTRACTION_I = "'(?:[sS\\u017f]|[tT]|[rR][eE]|[vV][eE]|[mM]|[lL][lL]|[dD])";

type ClassBodies = Record<'L' | 'Lu' | 'Ll' | 'Lt' | 'Lm' | 'Lo' | 'M' | 'N', string>;

/** The regexes, exactly tiktoken's patterns (its encoders/*.json `pat_str`), rewritten for V8, over the given classes. */
function patternSources({ L, Lu, Ll, Lt, Lm, Lo, M, N }: ClassBodies): Record<PatternName, string> {
  return {
    o200k: [
      `[^\\r\\n${L}${N}]?[${Lu}${Lt}${Lm}${Lo}${M}]*[${Ll}${Lm}${Lo}${M}]+(?:${CONTRACTION_I})?`,
      `[^\\r\\n${L}${N}]?[${Lu}${Lt}${Lm}${Lo}${M}]+[${Ll}${Lm}${Lo}${M}]*(?:${CONTRACTION_I})?`,
      `[${N}]{1,3}`,
      ` ?[^${WS}${L}${N}]+[\\r\\n/]*`,
      `[${WS}]*[\\r\\n]+`,
      `[${WS}]+(?![^${WS}])`,
      `[${WS}]+`,
    ].join('|'),
    cl100k: [
      CONTRACTION_I,
      `[^\\r\\n${L}${N}]?[${L}]+`,
      `[${N}]{1,3}`,
      ` ?[^${WS}${L}${N}]+[\\r\\n]*`,
      `[${WS}]*[\\r\\n]+`,
      `[${WS}]+(?![^${WS}])`,
      `[${WS}]+`,
    ].join('|'),
    gpt2: [`'s|'t|'re|'ve|'m|'ll|'d`, ` ?[${L}]+`, ` ?[${N}]+`, ` ?[^${WS}${L}${N}]+`, `[${WS}]+(?![^${WS}])`, `[${WS}]+`].join('|'),
  };
}

/** With the runtime's `\p{…}` classes: fast; exact wherever no drifted code point decides (unicodePinning.ts). */
export const PATTERN_SOURCES: Record<PatternName, string> = patternSources({ L: '\\p{L}', Lu: '\\p{Lu}', Ll: '\\p{Ll}', Lt: '\\p{Lt}', Lm: '\\p{Lm}', Lo: '\\p{Lo}', M: '\\p{M}', N: '\\p{N}' });

/** With tiktoken's Unicode version spelled out as ranges: exact everywhere, ~9× slower (built on first need). */
function pinnedPatternSource(pattern: PatternName): string {
  return patternSources(referenceClassBodies())[pattern];
}

// Character classes of ASCII code units.
const UPPER = 1;
const LOWER = 2;
const LETTER = UPPER | LOWER;
const DIGIT = 4;
const SPACE = 8; // Rust \s: \t \n \v \f \r and space
const NEWLINE = 16; // \r \n
const CLS = new Uint8Array(128);
for (let c = 65; c <= 90; c++) CLS[c] = UPPER;
for (let c = 97; c <= 122; c++) CLS[c] = LOWER;
for (let c = 48; c <= 57; c++) CLS[c] = DIGIT;
for (const c of [9, 10, 11, 12, 13, 32]) CLS[c] = SPACE;
CLS[10] = SPACE | NEWLINE;
CLS[13] = SPACE | NEWLINE;

const FALLBACK = -1;
/** A scanner step whose alternative does not match here (the next alternative is tried). */
const NO_MATCH = -2;

export interface Pretokenizer {
  readonly pattern: PatternName;
  /** End (exclusive) of the chunk that starts at `i`. Requires i < text.length; always > i. */
  chunkEnd(text: string, i: number): number;
}

/** Creates the pre-tokenizer for a pattern. */
export function createPretokenizer(pattern: PatternName): Pretokenizer {
  const scan = pattern === 'o200k' ? scanO200k : pattern === 'cl100k' ? scanCl100k : scanGpt2;
  const regex = createRegexPretokenizer(pattern);
  return {
    pattern,
    chunkEnd(text, i) {
      const e = scan(text, i, text.length);
      return e === FALLBACK ? regex.chunkEnd(text, i) : e;
    },
  };
}

/**
 * The regex alone (the reference the scanners are tested against): the runtime's `\p{…}` classes,
 * and tiktoken's own Unicode version where a code point that decided the chunk drifted between the
 * two (unicodePinning.ts).
 */
export function createRegexPretokenizer(pattern: PatternName): Pretokenizer {
  const fast = new RegExp(PATTERN_SOURCES[pattern], 'uy');
  let pinned: RegExp | undefined;
  const run = (re: RegExp, text: string, i: number): number => {
    re.lastIndex = i;
    const m = re.exec(text);
    // Every code point matches some alternative (the last ones cover \s, the others the rest).
    if (!m || m[0].length === 0) throw new Error(`regex ${pattern}: no match at ${i}`);
    return i + m[0].length;
  };
  return {
    pattern,
    chunkEnd(text, i) {
      const end = run(fast, text, i);
      if (!hasDrift(text, i, end + LOOKAHEAD + 1)) return end;
      pinned ??= new RegExp(pinnedPatternSource(pattern), 'uy');
      return run(pinned, text, i);
    },
  };
}

/** Class of the code unit at i, or -1 when it is not ASCII, 0x100 at the end of the text. */
function cls(text: string, i: number, end: number): number {
  if (i >= end) return 0x100;
  const c = text.charCodeAt(i);
  return c < 128 ? CLS[c]! : -1;
}

/** After a letter run ending at e: `(?i:'s|'t|'re|'ve|'m|'ll|'d)?`. FALLBACK if undecidable. */
function contractionI(text: string, e: number, end: number): number {
  if (e >= end || text.charCodeAt(e) !== 39) return e;
  if (e + 1 >= end) return e;
  const a = text.charCodeAt(e + 1) | 0x20; // ASCII lower-case (harmless for non-letters: compared below)
  const raw = text.charCodeAt(e + 1);
  if (raw === 0x17f) return e + 2; // ſ folds to s
  if (raw >= 128) return e;
  if (a === 115 || a === 116 || a === 109 || a === 100) return e + 2; // s t m d
  if (e + 2 >= end) return e;
  const b = text.charCodeAt(e + 2) | 0x20;
  if ((a === 114 || a === 118) && b === 101) return e + 3; // re ve
  if (a === 108 && b === 108) return e + 3; // ll
  return e;
}

/** Case-sensitive GPT-2 contraction at i: `'s|'t|'re|'ve|'m|'ll|'d`; returns i when none. */
function contractionGpt2(text: string, i: number, end: number): number {
  if (i + 1 >= end) return i;
  const a = text.charCodeAt(i + 1);
  if (a === 115 || a === 116 || a === 109 || a === 100) return i + 2;
  if (i + 2 >= end) return i;
  const b = text.charCodeAt(i + 2);
  if ((a === 114 || a === 118) && b === 101) return i + 3;
  if (a === 108 && b === 108) return i + 3;
  return i;
}

/**
 * Whitespace alternatives shared by all patterns, at a whitespace code unit i:
 * `\s*[\r\n]+` (only when `withNewlineRun`), then `\s+(?!\S)`, then `\s+`.
 */
function scanSpace(text: string, i: number, end: number, withNewlineRun: boolean): number {
  let j = i;
  let lastNl = -1;
  for (;;) {
    const k = cls(text, j, end);
    if (k === 0x100) break;
    if (k === -1) return FALLBACK; // a non-ASCII code unit may be whitespace
    if (!(k & SPACE)) break;
    if (k & NEWLINE) lastNl = j;
    j++;
  }
  if (withNewlineRun && lastNl >= 0) return lastNl + 1; // \s* backtracks to the last CR/LF of the run
  if (j >= end) return j; // (?!\S) holds at the end of the text
  return j - i >= 2 ? j - 1 : j; // leave the last space to prefix the next word; else \s+ takes one
}

/** `\p{N}{1,3}` at the ASCII digit i; FALLBACK if a non-ASCII code unit decides. */
function scanDigits(text: string, i: number, end: number): number {
  let j = i + 1;
  while (j < i + 3) {
    const kd = cls(text, j, end);
    if (kd === -1) return FALLBACK;
    if (kd === 0x100 || !(kd & DIGIT)) break;
    j++;
  }
  return j;
}

/**
 * At an ASCII code unit i that starts no letter or digit run: ` ?[^\s\p{L}\p{N}]+`, then
 * `[\r\n]*` (o200k: `[\r\n/]*`, `withSlash`). NO_MATCH when no punctuation follows the optional
 * space, FALLBACK if a non-ASCII code unit decides.
 */
function scanPunctuation(text: string, i: number, end: number, withSlash: boolean): number {
  const p = text.charCodeAt(i) === 32 ? i + 1 : i;
  let q = p;
  for (;;) {
    const kp = cls(text, q, end);
    if (kp === -1) return FALLBACK;
    if (kp === 0x100 || kp & (LETTER | DIGIT | SPACE)) break;
    q++;
  }
  if (q === p) return NO_MATCH;
  while (q < end) {
    const d = text.charCodeAt(q);
    if (d === 10 || d === 13 || (withSlash && d === 47)) q++;
    else break;
  }
  return q;
}

function scanO200k(text: string, i: number, end: number): number {
  const c = text.charCodeAt(i);
  if (c >= 128) return FALLBACK;
  const k = CLS[c]!;
  // 1-2: [^\r\n\p{L}\p{N}]? then upper* lower+ | upper+ lower*, then a contraction
  if (!(k & (DIGIT | NEWLINE))) {
    const j = k & LETTER ? i : i + 1;
    let u = j;
    let ku: number;
    while ((ku = cls(text, u, end)) !== 0x100 && ku !== -1 && ku & UPPER) u++;
    if (ku === -1) return FALLBACK;
    let l = u;
    let kl: number;
    while ((kl = cls(text, l, end)) !== 0x100 && kl !== -1 && kl & LOWER) l++;
    if (kl === -1) return FALLBACK;
    if (l > j) return contractionI(text, l, end);
  }
  // 3: \p{N}{1,3}
  if (k & DIGIT) return scanDigits(text, i, end);
  // 4: ` ?[^\s\p{L}\p{N}]+[\r\n/]*`
  const q = scanPunctuation(text, i, end, true);
  if (q !== NO_MATCH) return q;
  // 5-7: whitespace
  return scanSpace(text, i, end, true);
}

function scanCl100k(text: string, i: number, end: number): number {
  const c = text.charCodeAt(i);
  if (c >= 128) return FALLBACK;
  const k = CLS[c]!;
  // 1: (?i:'s|'t|'re|'ve|'m|'ll|'d)
  if (c === 39) {
    const e = contractionI(text, i, end);
    if (e > i) return e;
  }
  // 2: [^\r\n\p{L}\p{N}]?\p{L}+
  if (!(k & (DIGIT | NEWLINE))) {
    const j = k & LETTER ? i : i + 1;
    let l = j;
    let kl: number;
    while ((kl = cls(text, l, end)) !== 0x100 && kl !== -1 && kl & LETTER) l++;
    if (kl === -1) return FALLBACK;
    if (l > j) return l;
  }
  // 3: \p{N}{1,3}
  if (k & DIGIT) return scanDigits(text, i, end);
  // 4: ` ?[^\s\p{L}\p{N}]+[\r\n]*`
  const q = scanPunctuation(text, i, end, false);
  if (q !== NO_MATCH) return q;
  return scanSpace(text, i, end, true);
}

function scanGpt2(text: string, i: number, end: number): number {
  const c = text.charCodeAt(i);
  if (c >= 128) return FALLBACK;
  const k = CLS[c]!;
  // 1: 's|'t|'re|'ve|'m|'ll|'d (case-sensitive)
  if (c === 39) {
    const e = contractionGpt2(text, i, end);
    if (e > i) return e;
  }
  // 2-4: ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+` — the optional space is only U+0020
  const j = c === 32 ? i + 1 : i;
  const kj = cls(text, j, end);
  if (kj === -1) return FALLBACK;
  if (kj !== 0x100) {
    const want = kj & LETTER ? LETTER : kj & DIGIT ? DIGIT : kj & SPACE ? 0 : -1; // -1: punctuation
    if (want !== 0) {
      let q = j;
      for (;;) {
        const kq = cls(text, q, end);
        if (kq === -1) return FALLBACK;
        if (kq === 0x100) break;
        const ok = want === -1 ? !(kq & (LETTER | DIGIT | SPACE)) : (kq & want) !== 0;
        if (!ok) break;
        q++;
      }
      return q;
    }
  }
  // 5-6: whitespace
  if (!(k & SPACE)) throw new Error('unreachable: non-space ASCII handled above');
  return scanSpace(text, i, end, false);
}
