import { HashSlots } from './hashSlots';
import { IntRecords, grown } from './intRecords';

/** Entry fields: where the key starts in the pool, its length (pool units), its value. */
const KEY_START = 0;
const KEY_LENGTH = 1;
const VALUE = 2;
const FIELDS = 3;

/**
 * What ByteStringTable and UnitStringTable share: keys copied into one pool of units (bytes or
 * UTF-16 code units), entries (key start, key length, value) in IntRecords, found through HashSlots
 * tagged with the key's FNV-1a hash. Subclasses hash, compare and copy keys of their unit type.
 * Growth: pool and entries double, slots double past load 3/4 — O(1) amortised per new key.
 */
export abstract class PooledKeyTable<Pool extends Uint8Array | Uint16Array> {
  protected readonly slots: HashSlots;
  protected readonly entries: IntRecords;
  protected pool: Pool;
  protected poolTop = 0;

  constructor(
    expectedEntries: number,
    pool: Pool,
    private readonly makePool: (length: number) => Pool,
  ) {
    this.slots = new HashSlots(Math.max(1024, (expectedEntries * 4) / 3));
    this.entries = new IntRecords(FIELDS, expectedEntries);
    this.pool = pool;
  }

  /** Number of keys. */
  get size(): number {
    return this.entries.count;
  }

  protected keyStart(e: number): number {
    return this.entries.data[FIELDS * e + KEY_START]!;
  }

  protected keyLength(e: number): number {
    return this.entries.data[FIELDS * e + KEY_LENGTH]!;
  }

  protected valueOf(e: number): number {
    return this.entries.data[FIELDS * e + VALUE]!;
  }

  protected setValueOf(e: number, value: number): void {
    this.entries.data[FIELDS * e + VALUE] = value;
  }

  /**
   * Adds an entry for a key of `keyLength` units hashing to `hash`, with room for the key at the
   * pool's top (the caller copies it there: to keyStart(e), which is the poolTop before the call);
   * returns the entry. The key must be new.
   */
  protected addKey(hash: number, keyLength: number, value: number): number {
    const p = this.poolTop;
    if (p + keyLength > this.pool.length) this.pool = grown(this.pool, p, p + keyLength, this.makePool);
    this.poolTop = p + keyLength;
    return this.addEntry(hash, p, keyLength, value);
  }

  /** Adds an entry whose key is already in the pool at [keyStart, keyStart + keyLength). */
  protected addEntry(hash: number, keyStart: number, keyLength: number, value: number): number {
    const e = this.entries.append();
    const d = this.entries.data;
    d[FIELDS * e + KEY_START] = keyStart;
    d[FIELDS * e + KEY_LENGTH] = keyLength;
    d[FIELDS * e + VALUE] = value;
    this.slots.insertGrowing(hash, e);
    return e;
  }
}
