/**
 * tiktoken's Unicode version for the pre-tokenizer regexes, at the speed of V8's own `\p{…}`.
 *
 * V8's `\p{…}` follows the runtime's ICU (Node 20.20: Unicode 17.0), tiktoken's regex tables are
 * Unicode 16.0 (unicodeClasses.ts): 4,699 code points are letters, marks or numbers to one and
 * unassigned to the other, and text containing them split differently. Spelling every class out as
 * ranges is exact but made the regex ~9× slower (V8 does not optimise a pattern that large:
 * measured 1.8 vs 16–19 M chars/s on code). So the fast `\p{…}` regex runs first, and its chunk is
 * kept unless a code point it looked at is classified differently by the runtime than by tiktoken
 * (a "drifted" code point: rare, only characters of recent Unicode versions); then the chunk is
 * taken again with the spelled-out regex. The regexes read at most LOOKAHEAD code units past a
 * chunk's end, so checking the chunk and that lookahead covers every code point that decided it
 * (the full code-point sweep in test/unit/core/tokenizer/unicodeSweep.test.ts checks all of them).
 *
 * Cost: one memoised classification per distinct non-ASCII code point (a regex test, then 1 byte
 * in a lazily allocated 64 KiB plane), a scan of the chunk's non-ASCII code units.
 */
import { runOf } from './codepointRuns';
import { CATEGORY_NAMES, CATEGORY_OF_RUN, CATEGORY_STARTS } from './unicodeClasses';

type Category = (typeof CATEGORY_NAMES)[number];

/** tiktoken's category of a code point (index into CATEGORY_NAMES). */
function referenceCategory(cp: number): number {
  return CATEGORY_OF_RUN[runOf(CATEGORY_STARTS, cp)]!;
}

const RUNTIME = /^(?:(\p{Lu})|(\p{Ll})|(\p{Lt})|(\p{Lm})|(\p{Lo})|(\p{M})|(\p{N}))$/u;

/** The running engine's category of a code point, in the same numbering. */
function runtimeCategory(cp: number): number {
  const m = RUNTIME.exec(String.fromCodePoint(cp));
  if (!m) return 0;
  for (let g = 1; g <= 7; g++) if (m[g] !== undefined) return g;
  return 0;
}

/** Per plane: 0 unknown, 1 agrees, 2 drifted. */
const planes: Array<Uint8Array | undefined> = new Array<Uint8Array | undefined>(17);

/** Whether the runtime classifies `cp` differently from tiktoken (memoised). */
function isDrifted(cp: number): boolean {
  const p = cp >>> 16;
  const plane = planes[p] ?? (planes[p] = new Uint8Array(0x10000));
  let v = plane[cp & 0xffff]!;
  if (v === 0) {
    v = runtimeCategory(cp) === referenceCategory(cp) ? 1 : 2;
    plane[cp & 0xffff] = v;
  }
  return v === 2;
}

/** Whether any code point in text[from, to) is drifted (ASCII never is). */
export function hasDrift(text: string, from: number, to: number): boolean {
  const end = Math.min(to, text.length);
  for (let k = from; k < end; k++) {
    const c = text.charCodeAt(k);
    if (c < 0x80) continue;
    const cp = text.codePointAt(k)!;
    if (cp > 0xffff) k++;
    if (isDrifted(cp)) return true;
  }
  return false;
}

let classBodies: Record<'L' | 'Lu' | 'Ll' | 'Lt' | 'Lm' | 'Lo' | 'M' | 'N', string> | undefined;

/**
 * Regex class bodies (for a `u`-flag RegExp, inside [...]) of tiktoken's categories, spelled out as
 * ranges; built on first use (a few ms).
 */
export function referenceClassBodies(): Record<'L' | 'Lu' | 'Ll' | 'Lt' | 'Lm' | 'Lo' | 'M' | 'N', string> {
  if (classBodies) return classBodies;
  const body = (names: readonly Category[]): string => {
    const wanted = new Set(names.map((n) => CATEGORY_NAMES.indexOf(n)));
    let out = '';
    for (let r = 0; r < CATEGORY_STARTS.length; r++) {
      if (!wanted.has(CATEGORY_OF_RUN[r]!)) continue;
      const a = CATEGORY_STARTS[r]!;
      const b = (CATEGORY_STARTS[r + 1] ?? 0x110000) - 1;
      out += a === b ? hex(a) : `${hex(a)}-${hex(b)}`;
    }
    return out;
  };
  classBodies = { L: body(['Lu', 'Ll', 'Lt', 'Lm', 'Lo']), Lu: body(['Lu']), Ll: body(['Ll']), Lt: body(['Lt']), Lm: body(['Lm']), Lo: body(['Lo']), M: body(['M']), N: body(['N']) };
  return classBodies;
}

const hex = (cp: number): string => `\\u{${cp.toString(16)}}`;
