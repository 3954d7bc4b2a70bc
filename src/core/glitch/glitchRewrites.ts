import { visibleTokenText } from '../tokenizer/tokenDisplay';
import type { GlitchIndex, GlitchInfo } from './glitchIndex';

/** A rewrite of flagged text that tokenizes without the glitch token. */
export interface GlitchRewrite {
  readonly title: string;
  readonly replacement: string;
  /** Tokens before and after, each shown with visible whitespace, joined by "│" (showTokens). */
  readonly before: string;
  readonly after: string;
  readonly tokensBefore: number;
  readonly tokensAfter: number;
}

interface RewriteTokenizer {
  encode(text: string): ArrayLike<number>;
  tokenBytes(id: number): Uint8Array;
}

const ZWSP = '\u200b';

/** Invisible characters a rewrite inserts, by name (their `\\uXXXX` escape read as code in a quick-fix title). */
const INVISIBLE_NAMES: Readonly<Record<string, string>> = { '200b': 'ZWSP', '200c': 'ZWNJ', '200d': 'ZWJ', '200e': 'LRM', '200f': 'RLM', feff: 'BOM' };

/**
 * Tokens for a quick-fix title: each with visible whitespace, separated by "│" (U+2502; an ASCII
 * "|" ran into the bars of special-token text: `<|||end|of|text|||>`), zero-width characters named
 * (`⟨ZWSP⟩`).
 */
export function showTokens(tok: Pick<RewriteTokenizer, 'tokenBytes'>, ids: ArrayLike<number>): string {
  return Array.from(ids, (id) => visibleTokenText(tok.tokenBytes(id)).replace(/\\u(200[b-f]|feff)/g, (_, hex: string) => `⟨${INVISIBLE_NAMES[hex]}⟩`)).join('│');
}

function show(tok: RewriteTokenizer, ids: ArrayLike<number>): string {
  return showTokens(tok, ids);
}

/** Word boundaries inside an identifier: fooBar, HTTPServer, abc123, snake_case. */
function wordBreaks(s: string): number[] {
  const out: number[] = [];
  for (let i = 1; i < s.length; i++) {
    const a = s[i - 1]!;
    const b = s[i]!;
    const next = s[i + 1] ?? '';
    if (/\p{Ll}/u.test(a) && /\p{Lu}/u.test(b)) out.push(i);
    else if (/\p{Lu}/u.test(a) && /\p{Lu}/u.test(b) && /\p{Ll}/u.test(next)) out.push(i);
    else if (/\p{L}/u.test(a) && /\p{N}/u.test(b)) out.push(i);
    else if (/\p{N}/u.test(a) && /\p{L}/u.test(b)) out.push(i);
  }
  return out;
}

/**
 * Ways to rewrite `text` (a flagged token's text as it stands in the document) so that it no longer
 * contains a flagged token: a zero-width space in the middle (invisible, keeps the meaning for
 * readers, changes the tokens), or a space between the words of an identifier. Each candidate is
 * tokenized before/after (on its own) and dropped if the result still has a flagged token
 * (`isFlagged`; a local model's candidate is checked with that model's tokenizer, passed as `tok`).
 */
export function glitchRewrites(text: string, info: GlitchInfo, tok: RewriteTokenizer, index: GlitchIndex, isFlagged: (id: number) => boolean = (id) => index.byId.has(id)): GlitchRewrite[] {
  const beforeIds = tok.encode(text);
  const before = show(tok, beforeIds);
  const cps = [...text];
  const lead = text.length - text.trimStart().length;
  const body = text.slice(lead);
  const candidates: { title: string; replacement: string }[] = [];
  if (info.kind === 'specialText') {
    // keep it readable, but no longer the special token's exact text
    candidates.push({ title: 'Break the special-token text with a zero-width space', replacement: text.slice(0, 2) + ZWSP + text.slice(2) });
  } else {
    const bodyCps = [...body];
    const breaks = wordBreaks(body);
    if (bodyCps.length >= 2) {
      // at the word break nearest the middle ("SolidGold|Magikarp"), else at the middle character
      const half = body.length / 2;
      const at = breaks.length ? breaks.reduce((best, b) => (Math.abs(b - half) < Math.abs(best - half) ? b : best)) : bodyCps.slice(0, Math.floor(bodyCps.length / 2)).join('').length;
      const mid = lead + at;
      candidates.push({ title: 'Insert a zero-width space', replacement: text.slice(0, mid) + ZWSP + text.slice(mid) });
    }
    if (breaks.length > 0) {
      let out = '';
      let prev = 0;
      for (const b of breaks) {
        out += body.slice(prev, b) + ' ';
        prev = b;
      }
      candidates.push({ title: 'Split into words', replacement: text.slice(0, lead) + out + body.slice(prev) });
    }
  }
  const rewrites: GlitchRewrite[] = [];
  for (const c of candidates) {
    if (c.replacement === text || cps.length === 0) continue;
    const afterIds = tok.encode(c.replacement);
    if (Array.from(afterIds).some(isFlagged)) continue;
    rewrites.push({ ...c, before, after: show(tok, afterIds), tokensBefore: beforeIds.length, tokensAfter: afterIds.length });
  }
  return rewrites;
}
