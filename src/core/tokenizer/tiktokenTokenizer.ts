import { get_encoding, type Tiktoken } from 'tiktoken';
import type { EncodingName, Tokenizer } from './tokenizer';

/**
 * tiktoken's WASM build (Rust core). It is the reference implementation every other tokenizer in
 * this project is tested against. Construction parses the rank table inside WASM: 0.3–1.7 s for
 * o200k on this class of machine, so callers create it lazily and keep it.
 */
export class TiktokenTokenizer implements Tokenizer {
  private enc: Tiktoken | undefined;

  constructor(readonly name: EncodingName) {
    this.enc = get_encoding(name);
  }

  private get live(): Tiktoken {
    if (!this.enc) {
      throw new Error(`tokenizer ${this.name} was disposed`);
    }
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
    // Frees the WASM-side rank tables (tens of MB for o200k); the JS object alone would leak them.
    this.enc?.free();
    this.enc = undefined;
  }
}
