import { visibleTokenText } from '../tokenizer/tokenDisplay';
import type { Tokenizer } from '../tokenizer/tokenizer';
import { isHighSurrogate, isLowSurrogate } from '../tokenizer/utf8';

/** A tokenizer that can also tell a token's bytes (the fast engine and GGUF tokenizers can). */
export interface InspectableTokenizer extends Tokenizer {
  tokenBytes(id: number): Uint8Array;
  tokenByteLength(id: number): number;
}

export interface ScriptRow {
  readonly script: string;
  /** Characters (code points) of this script. */
  readonly chars: number;
  /** Tokens whose first non-Common character (letters, not spaces or punctuation) is of this script. */
  readonly tokens: number;
  readonly charsPerToken: number;
  /** Tokens per character relative to English prose under the same encoding (1.0 = as cheap as English). */
  readonly premium: number | undefined;
}

export interface InspectorStats {
  readonly tokens: number;
  /** Code points. */
  readonly chars: number;
  readonly charsPerToken: number;
  /** Tokens by byte length: index 0 = 1 byte … index 15 = 16 bytes or more. */
  readonly lengthHistogram: readonly number[];
  readonly topTokens: readonly { readonly id: number; readonly text: string; readonly count: number }[];
  readonly scripts: readonly ScriptRow[];
  readonly englishCharsPerToken: number;
  /** The text was longer than the analysed prefix. */
  readonly truncated: boolean;
}

/** Reference English prose for the per-script premium (plain, varied vocabulary; ~1,000 characters). */
const ENGLISH_SAMPLE =
  'The committee met on Tuesday to review the proposal for the new library. Several members asked how the building would be heated in winter, ' +
  'and whether the budget left room for longer opening hours. The architect explained that the design uses large south-facing windows and a ' +
  'simple heat pump, which keeps running costs low. After a short discussion about parking, the group agreed to publish the plans online and ' +
  'invite comments from residents for six weeks. A final vote is expected early next year, once the council has checked the figures again. ' +
  'Meanwhile, volunteers will collect stories from older neighbours about the town square, so that the history of the place is not lost when ' +
  'the old market hall is replaced. Children from the primary school have already drawn pictures of what they would like to see inside: ' +
  'reading corners, a small theatre, and shelves low enough for them to reach without help.';

const SCRIPTS: readonly [string, RegExp][] = [
  ['Latin', /\p{Script=Latin}/u],
  ['Cyrillic', /\p{Script=Cyrillic}/u],
  ['Greek', /\p{Script=Greek}/u],
  ['Han', /\p{Script=Han}/u],
  ['Hiragana', /\p{Script=Hiragana}/u],
  ['Katakana', /\p{Script=Katakana}/u],
  ['Hangul', /\p{Script=Hangul}/u],
  ['Arabic', /\p{Script=Arabic}/u],
  ['Hebrew', /\p{Script=Hebrew}/u],
  ['Devanagari', /\p{Script=Devanagari}/u],
  ['Thai', /\p{Script=Thai}/u],
];
const EMOJI = /\p{Extended_Pictographic}/u;

/** Script of one code point: a named script, "Emoji", "Other", or "Common" (digits, punctuation, spaces). */
export function scriptOf(cp: number): string {
  if (cp < 0x80) return (cp >= 65 && cp <= 90) || (cp >= 97 && cp <= 122) ? 'Latin' : 'Common';
  const ch = String.fromCodePoint(cp);
  for (const [name, re] of SCRIPTS) if (re.test(ch)) return name;
  if (EMOJI.test(ch)) return 'Emoji';
  return /[\p{L}\p{M}]/u.test(ch) ? 'Other' : 'Common';
}

/**
 * Statistics for the token inspector, from a text and its ids under `tokenizer`. Walks the ids' byte
 * lengths and the text's characters together (tokens never need materialising as spans), so it is
 * O(text) with small constants; only the first `maxChars` UTF-16 units are analysed.
 */
export function inspectorStats(tokenizer: InspectableTokenizer, fullText: string, maxChars = 2_000_000, idsOfFull?: ArrayLike<number>): InspectorStats {
  const truncated = fullText.length > maxChars;
  let text = truncated ? fullText.slice(0, maxChars) : fullText;
  if (truncated && isHighSurrogate(text.charCodeAt(text.length - 1))) text = text.slice(0, -1);
  const ids = !truncated && idsOfFull ? idsOfFull : tokenizer.encode(text);
  const hist = new Array<number>(16).fill(0);
  const freq = new Map<number, number>();
  const scriptChars = new Map<string, number>();
  const scriptTokens = new Map<string, number>();
  // character cursor
  let i = 0;
  let charByte = 0; // byte offset of the character at i
  let chars = 0;
  let byte = 0; // byte offset of the current token
  const charLen = (k: number): [number, number, number] => {
    const c = text.charCodeAt(k);
    if (c < 0x80) return [1, 1, c];
    if (c < 0x800) return [1, 2, c];
    if (isHighSurrogate(c) && k + 1 < text.length && isLowSurrogate(text.charCodeAt(k + 1))) return [2, 4, text.codePointAt(k)!];
    return [1, 3, c >= 0xd800 && c <= 0xdfff ? 0xfffd : c];
  };
  for (let t = 0; t < ids.length; t++) {
    const id = ids[t]!;
    const n = tokenizer.tokenByteLength(id);
    hist[Math.min(n, 16) - 1]!++;
    freq.set(id, (freq.get(id) ?? 0) + 1);
    const tokenEnd = byte + n;
    // The token belongs to the first non-Common script among the characters it touches (" quick" is
    // Latin, not Common); a character is counted once, when the token that finishes it is reached.
    let sc: string | undefined;
    let j = i;
    let jb = charByte;
    while (j < text.length && jb < tokenEnd) {
      const [units, bytes, cp] = charLen(j);
      const s = scriptOf(cp);
      if (sc === undefined && s !== 'Common') sc = s;
      if (jb + bytes <= tokenEnd) {
        scriptChars.set(s, (scriptChars.get(s) ?? 0) + 1);
        chars++;
        i = j + units;
        charByte = jb + bytes;
      }
      j += units;
      jb += bytes;
    }
    const key = sc ?? 'Common';
    scriptTokens.set(key, (scriptTokens.get(key) ?? 0) + 1);
    byte = tokenEnd;
  }
  const englishCharsPerToken = ENGLISH_SAMPLE.length / tokenizer.count(ENGLISH_SAMPLE);
  const scripts = scriptRows(scriptChars, scriptTokens, englishCharsPerToken);
  return { tokens: ids.length, chars, charsPerToken: ids.length ? chars / ids.length : 0, lengthHistogram: hist, topTokens: mostFrequent(tokenizer, freq, 20), scripts, englishCharsPerToken, truncated };
}

/** Per script: characters, tokens, chars/token and the premium against English (none for Common), most characters first. */
function scriptRows(scriptChars: ReadonlyMap<string, number>, scriptTokens: ReadonlyMap<string, number>, englishCharsPerToken: number): ScriptRow[] {
  return [...scriptChars.keys()]
    .map((script) => {
      const c = scriptChars.get(script) ?? 0;
      const tk = scriptTokens.get(script) ?? 0;
      const cpt = tk ? c / tk : 0;
      return { script, chars: c, tokens: tk, charsPerToken: cpt, premium: script === 'Common' || cpt === 0 ? undefined : englishCharsPerToken / cpt };
    })
    .sort((a, b) => b.chars - a.chars);
}

/** The `n` most frequent ids (ties: lower id first), with their visible text. */
function mostFrequent(tokenizer: InspectableTokenizer, freq: ReadonlyMap<number, number>, n: number): InspectorStats['topTokens'] {
  return [...freq.entries()]
    .sort((a, b) => b[1] - a[1] || a[0] - b[0])
    .slice(0, n)
    .map(([id, count]) => ({ id, count, text: visibleTokenText(tokenizer.tokenBytes(id)) }));
}
