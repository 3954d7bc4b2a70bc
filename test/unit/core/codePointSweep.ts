/**
 * The full code-point sweep shared by the tokenizer oracle tests: every code point (surrogates
 * aside) in five contexts where its class decides the split — before a contraction (`X's`: a
 * letter keeps `'s` in its piece), after a letter, before a digit, doubled, before punctuation.
 * Chunks of code points are tokenized together; a differing chunk is bisected down to its code
 * points.
 */
const CHUNK = 4096;

export function probe(cp: number): string {
  const ch = String.fromCodePoint(cp);
  return `${ch}'s x${ch}1 ${ch}${ch}.\n`;
}

/** The code points whose probes tokenize differently: `same(text)` compares the two tokenizers on a text. */
export function differingCodePoints(same: (text: string) => boolean): number[] {
  const differing: number[] = [];
  const bisect = (cps: readonly number[]): void => {
    if (same(cps.map(probe).join(''))) return;
    if (cps.length === 1) {
      differing.push(cps[0]!);
      return;
    }
    const mid = cps.length >> 1;
    bisect(cps.slice(0, mid));
    bisect(cps.slice(mid));
  };
  let chunk: number[] = [];
  for (let cp = 0; cp <= 0x10ffff; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    chunk.push(cp);
    if (chunk.length === CHUNK) {
      bisect(chunk);
      chunk = [];
    }
  }
  if (chunk.length) bisect(chunk);
  return differing;
}

export const hexCodePoint = (cp: number): string => `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;

export function sameIds(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
