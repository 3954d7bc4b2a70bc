/** A growable list of token ids in a Uint32Array (amortised O(1) push, no boxing). */
export class TokenBuffer {
  data: Uint32Array;
  length = 0;

  constructor(capacity = 1024) {
    this.data = new Uint32Array(capacity);
  }

  push(id: number): void {
    if (this.length === this.data.length) this.grow(this.length + 1);
    this.data[this.length++] = id;
  }

  pushAll(ids: ArrayLike<number>): void {
    if (this.length + ids.length > this.data.length) this.grow(this.length + ids.length);
    if (ids.length > 16 && ids instanceof Uint32Array) {
      this.data.set(ids, this.length);
      this.length += ids.length;
    } else {
      for (let i = 0; i < ids.length; i++) this.data[this.length++] = ids[i]!;
    }
  }

  private grow(min: number): void {
    const next = new Uint32Array(Math.max(min, this.data.length * 2));
    next.set(this.data.subarray(0, this.length));
    this.data = next;
  }

  /** A copy of the ids pushed so far. */
  toArray(): Uint32Array {
    return this.data.slice(0, this.length);
  }

  clear(): void {
    this.length = 0;
  }

  /** Empties the buffer and, if its capacity exceeds `limit`, replaces it with one of `capacity`. */
  shrinkTo(limit: number, capacity: number): void {
    this.length = 0;
    if (this.data.length > limit) this.data = new Uint32Array(capacity);
  }
}
