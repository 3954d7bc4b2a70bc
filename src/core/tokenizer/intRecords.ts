/**
 * Fixed-size records of int32 fields appended to one interleaved Int32Array (a record's fields share
 * a cache line), grown by doubling: the entries of the tokenizers' hash tables and the merge
 * candidates of the BPE heaps. Record r's field k is `data[r * fields + k]`; `data` is replaced when
 * it grows, so read it after appending.
 */
export class IntRecords {
  data: Int32Array;
  /** Records appended since the last clear. */
  count = 0;

  constructor(
    readonly fields: number,
    expectedRecords = 16,
  ) {
    this.data = new Int32Array(Math.max(16, expectedRecords) * fields);
  }

  /** Appends a record (its fields hold stale values until written); returns its index. O(1) amortised. */
  append(): number {
    const need = (this.count + 1) * this.fields;
    if (need > this.data.length) this.data = grown(this.data, this.count * this.fields, need, (n) => new Int32Array(n));
    return this.count++;
  }

  clear(): void {
    this.count = 0;
  }
}

/**
 * `a` if it holds `need` elements, else a copy of its first `used` elements in an array of at
 * least twice the size (`make` creates one of the same type). O(used) when it grows.
 */
export function grown<T extends Uint8Array | Uint16Array | Int32Array>(a: T, used: number, need: number, make: (n: number) => T): T {
  if (need <= a.length) return a;
  const b = make(Math.max(need, a.length * 2));
  b.set(a.subarray(0, used));
  return b;
}
