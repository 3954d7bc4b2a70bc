import type { Tiktoken } from 'tiktoken';
import { ENCODINGS, type EncodingName } from './encodings';
import type { RankTable } from './rankTable';
import type { Tokenizer } from './tokenizer';

type TiktokenModule = typeof import('tiktoken');
let tiktokenModule: TiktokenModule | undefined;
/**
 * tiktoken compiles its 5.6 MB WASM module when first required (≈ 50–100 ms), so it is loaded on
 * first use instead of at extension activation.
 */
function tiktoken(): TiktokenModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  tiktokenModule ??= require('tiktoken') as TiktokenModule;
  return tiktokenModule;
}

/** tiktoken's compressed rank format ("<name> <first rank> <base64> …"), rebuilt from a rank table. */
export function toTiktokenBpeRanks(table: RankTable): string {
  const parts: string[] = ['! 0'];
  let expected = 0;
  for (let r = 0; r < table.size; r++) {
    if (!table.hasRank(r)) continue;
    if (r !== expected) parts.push(`\n! ${r}`);
    parts.push(' ', Buffer.from(table.tokenBytes(r)).toString('base64'));
    expected = r + 1;
  }
  return parts.join('');
}

/**
 * tiktoken's WASM build (Rust core): the reference every other tokenizer here is tested against.
 * Construction parses the rank table inside WASM (0.3–1.7 s for o200k on this class of machine).
 * o200k_harmony is not in the npm package; it is built with tiktoken's constructor from o200k_base's
 * ranks (`o200kBpeRanks`, tiktoken's compressed format) and pattern plus the harmony specials.
 */
export class TiktokenTokenizer implements Tokenizer {
  private enc: Tiktoken | undefined;

  constructor(
    readonly name: EncodingName,
    o200kBpeRanks?: () => string,
  ) {
    if (name === 'o200k_harmony') {
      if (!o200kBpeRanks) throw new Error('o200k_harmony needs o200k_base ranks');
      this.enc = new (tiktoken().Tiktoken)(o200kBpeRanks(), { ...ENCODINGS.o200k_harmony.specialTokens }, O200K_PAT_STR);
    } else {
      this.enc = tiktoken().get_encoding(name);
    }
  }

  private get live(): Tiktoken {
    if (!this.enc) throw new Error(`tokenizer ${this.name} was disposed`);
    return this.enc;
  }

  encode(text: string): Uint32Array {
    return this.live.encode_ordinary(text);
  }

  count(text: string): number {
    return this.live.encode_ordinary(text).length;
  }

  decodeBytes(ids: ArrayLike<number>): Uint8Array {
    return this.live.decode(Uint32Array.from(ids));
  }

  dispose(): void {
    // Frees the WASM-side rank tables (tens of MB for o200k); dropping the JS object would leak them.
    this.enc?.free();
    this.enc = undefined;
  }
}

/** o200k_base's `pat_str` exactly as in tiktoken (openai_public.py and the npm package's JSON). */
export const O200K_PAT_STR = [
  "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
  "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
  '\\p{N}{1,3}',
  ' ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*',
  '\\s*[\\r\\n]+',
  '\\s+(?!\\S)',
  '\\s+',
].join('|');
