import type { TokenByteIndex } from './tokenByteIndex';

/** Where to cut the prompt: keep `keep` tokens, re-produce `removed` (raw bytes) under a byte mask. */
export interface HealCut {
  readonly keep: number;
  readonly removed: Uint8Array;
}

export interface HealTailOptions {
  /** Tokens looked back at most (llguidance: 4; with fewer than 2 non-canonical forced tokens appear). */
  readonly maxTokens?: number;
  /** Tokens that are never removed (control and FIM tokens): the cut stops before them. */
  readonly isSpecial: (id: number) => boolean;
  /**
   * Whether to heal when the cursor is at the start of a line (the tail ends with a newline, which
   * newline+indentation tokens extend). Default false: at line starts healing cost 0.07 of
   * prefix-4 match on the held-out set (bench fim.linestart.*), forcing an indentation guess the
   * unhealed prompt leaves to the model's next token.
   */
  readonly healLineStart?: boolean;
}

/**
 * The unstable tail of a prompt that ends at the cursor: the longest run of its last tokens (up to
 * `maxTokens`, at most the longest token's byte length, never reaching into a special token) whose
 * bytes some longer vocabulary token extends. The model never saw those bytes split the way the
 * cursor split them (" pri" | "nt" is " print" in training), so they are removed from the prompt and
 * generation must re-produce them. No such run: nothing to heal (`removed` empty).
 *
 * Why the longest run and not just the last token: whitespace and operator pieces merge across
 * the pre-tokenizer's splits (`\n` + `   ` is one token `\n   ` in StarCoder; ` ==` after ` =`),
 * so backing off one token still leaves an unstable prompt. Cost: O(maxTokens · log V).
 */
export function findHealCut(tokens: ArrayLike<number>, index: TokenByteIndex, options: HealTailOptions): HealCut {
  const maxTokens = options.maxTokens ?? 4;
  let best: HealCut = { keep: tokens.length, removed: new Uint8Array(0) };
  const parts: Uint8Array[] = [];
  let length = 0;
  for (let i = tokens.length - 1; i >= 0 && tokens.length - i <= maxTokens; i--) {
    const id = tokens[i]!;
    if (options.isSpecial(id)) break;
    const b = index.bytesOf(id);
    length += b.length;
    if (length > index.maxTokenBytes) break;
    parts.unshift(b);
    const removed = concatBytes(parts, length);
    if (index.isExtended(removed)) best = { keep: i, removed };
  }
  if (!options.healLineStart && best.removed[best.removed.length - 1] === 0x0a) return { keep: tokens.length, removed: new Uint8Array(0) };
  return best;
}

function concatBytes(parts: readonly Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * When bytes to re-produce end in a run of whitespace (`"\n" + 12 spaces`), the bytes without the
 * run's last space or tab: a token of exactly those bytes may also start the healed output. Why:
 * the pre-tokenizers of code models give a run's last space to the word after it (`"\n" + 11
 * spaces`, then `" parameters"`), so a mask that only allows one token re-producing the whole run
 * excludes the tokenization the model was trained on; measured on the held-out set, the true text
 * then had probability 0 in 15 of 60 after-space cases (bench fim.afterspace.*), nearly all at the
 * end of an indentation, where the cursor is after Enter. Undefined when the bytes do not end so.
 */
export function withoutLastSpace(rest: Uint8Array): Uint8Array | undefined {
  const n = rest.length;
  if (n < 2 || !isBlank(rest[n - 1]!) || !isWhitespace(rest[n - 2]!)) return undefined;
  return rest.subarray(0, n - 1);
}

const isBlank = (b: number): boolean => b === 0x20 || b === 0x09;
const isWhitespace = (b: number): boolean => isBlank(b) || b === 0x0a || b === 0x0d;

