/**
 * Generated text from raw token bytes, streaming: partial UTF-8 characters wait for their rest, and
 * the bytes healing re-produced (announced by a `-1 - n` event before the tokens, see
 * localProtocol.ts) are dropped, so the text starts exactly at the cursor. Decoding our own bytes,
 * not llama.cpp's detokenizer: that one cleans up spaces for some vocabularies (" !=" → "!=").
 */
export class HealedTextDecoder {
  private readonly decoder = new TextDecoder('utf-8', { fatal: false });
  /** Healed bytes still to drop. */
  private skip = 0;
  /** Healed bytes announced, for the result. */
  healedBytes = 0;

  constructor(private readonly bytesOf: (token: number) => Uint8Array) {}

  /** Text that became complete with this event (a token id, or the healed-bytes announcement). */
  push(event: number): string {
    if (event < 0) {
      this.skip = this.healedBytes = -1 - event;
      return '';
    }
    let b = this.bytesOf(event);
    if (this.skip > 0) {
      const n = Math.min(this.skip, b.length);
      b = b.subarray(n);
      this.skip -= n;
    }
    return b.length ? this.decoder.decode(b, { stream: true }) : '';
  }

  /** What is left (an incomplete character at the end becomes U+FFFD). */
  end(): string {
    return this.decoder.decode();
  }
}
