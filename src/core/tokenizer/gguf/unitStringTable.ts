/**
 * Hash table from strings to int values whose lookups take a range of a larger string and hash its
 * UTF-16 code units in place: no substring, no allocation per lookup (a `Map<string, number>`
 * lookup of `text.slice(a, b)` allocates, then hashes). Keys are copied into a Uint16Array pool.
 * Storage and probing: see ../pooledKeyTable and ../hashSlots.
 */
import { fnv1aUnits, unitsEqual } from '../hashSlots';
import { PooledKeyTable } from '../pooledKeyTable';

const NONE = -1;

export class UnitStringTable extends PooledKeyTable<Uint16Array> {
  constructor(expectedEntries: number) {
    super(expectedEntries, new Uint16Array(Math.max(1024, expectedEntries * 8)), (n) => new Uint16Array(n));
  }

  /** Value of text[start, end), or -1. */
  get(text: string, start: number, end: number): number {
    const e = this.find(text, start, end, fnv1aUnits(text, start, end));
    return e === NONE ? -1 : this.valueOf(e);
  }

  /** Sets the value of `key` (replacing an existing one). */
  set(key: string, value: number): void {
    const len = key.length;
    const hash = fnv1aUnits(key, 0, len);
    const found = this.find(key, 0, len, hash);
    if (found !== NONE) this.setValueOf(found, value);
    else this.addNew(key, hash, value);
  }

  /** Adds the entries of a map (distinct keys) to an empty table, without looking each key up first. */
  addAll(entries: ReadonlyMap<string, number>): void {
    if (this.size !== 0) throw new Error('addAll needs an empty table');
    this.slots.reserve(entries.size);
    for (const [key, value] of entries) this.addNew(key, fnv1aUnits(key, 0, key.length), value);
  }

  private addNew(key: string, hash: number, value: number): void {
    const p = this.poolTop;
    this.addKey(hash, key.length, value);
    const pool = this.pool;
    for (let i = 0; i < key.length; i++) pool[p + i] = key.charCodeAt(i);
  }

  private find(text: string, start: number, end: number, hash: number): number {
    const len = end - start;
    const { slots, pool } = this;
    slots.probe(hash);
    let e: number;
    while ((e = slots.nextMatch(hash)) >= 0) {
      if (this.keyLength(e) === len && unitsEqual(pool, this.keyStart(e), text, start, len)) return e;
    }
    return NONE;
  }
}
