/**
 * GGUF reader (format versions 2 and 3, little-endian): header, metadata key/values and tensor
 * infos. Reads only the header region of the file, incrementally with `fs.readSync` — tensor data
 * (gigabytes for a real model) is never read; its absolute offsets are computed instead.
 *
 * String arrays (150k+ vocab tokens, 150k+ merges) are kept as one byte blob plus offsets and
 * decoded on demand: parsing a 150k-token vocab costs one copy of its bytes, not 150k JS strings.
 */
import * as fs from 'fs';
import { TokenscopeError } from '../../common/errors';
import { inRanges, runSteps, type Steps } from '../../common/steps';

/** Metadata value types, as numbered in the file. */
export const GgufType = {
  Uint8: 0,
  Int8: 1,
  Uint16: 2,
  Int16: 3,
  Uint32: 4,
  Int32: 5,
  Float32: 6,
  Bool: 7,
  String: 8,
  Array: 9,
  Uint64: 10,
  Int64: 11,
  Float64: 12,
} as const;
export type GgufType = (typeof GgufType)[keyof typeof GgufType];

const TYPE_NAMES = ['u8', 'i8', 'u16', 'i16', 'u32', 'i32', 'f32', 'bool', 'string', 'array', 'u64', 'i64', 'f64'];
/** Element size in bytes of the fixed-size types; 0 for string and array. */
const TYPE_SIZES = [1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8];

export function ggufTypeName(type: number): string {
  return TYPE_NAMES[type] ?? `type ${type}`;
}

/** A string array kept as raw bytes: element i is bytes[offsets[i], offsets[i + 1]). */
export class GgufStringArray {
  /** ignoreBOM: a leading U+FEFF is part of the string (a token can be exactly that), not a byte-order mark. */
  private static readonly decoder = new TextDecoder('utf-8', { ignoreBOM: true });

  constructor(
    readonly bytes: Uint8Array,
    readonly offsets: Uint32Array,
  ) {}

  get length(): number {
    return this.offsets.length - 1;
  }

  /** Raw bytes of element i (a view, no copy). */
  bytesAt(i: number): Uint8Array {
    return this.bytes.subarray(this.offsets[i], this.offsets[i + 1]);
  }

  /** Element i decoded as UTF-8 (invalid sequences become U+FFFD). Allocates a string. */
  at(i: number): string {
    return GgufStringArray.decoder.decode(this.bytesAt(i));
  }

  /** Byte length of element i. */
  byteLength(i: number): number {
    return this.offsets[i + 1]! - this.offsets[i]!;
  }

  toArray(): string[] {
    const out = new Array<string>(this.length);
    for (let i = 0; i < out.length; i++) out[i] = this.at(i);
    return out;
  }
}

/** Numeric arrays are typed arrays of the element type; u64/i64 are BigInt arrays; bool is Uint8Array (0/1). */
export type GgufNumericArray =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | Float32Array
  | Float64Array
  | BigUint64Array
  | BigInt64Array;

export interface GgufArrayOfArrays {
  readonly elementType: typeof GgufType.Array;
  readonly items: GgufValue[];
}

export type GgufValue = number | bigint | boolean | string | GgufStringArray | GgufNumericArray | GgufArrayOfArrays;

export interface GgufEntry {
  readonly key: string;
  /** The value type; for arrays `GgufType.Array`, with the element type in `elementType`. */
  readonly type: GgufType;
  readonly elementType?: GgufType;
  readonly value: GgufValue;
}

export interface GgufTensorInfo {
  readonly name: string;
  /** Dimensions, innermost first (as stored). */
  readonly dims: readonly number[];
  /** ggml type id (0 = F32, 1 = F16, ...). */
  readonly ggmlType: number;
  /** Offset of the tensor's data relative to the data section, in bytes. */
  readonly relativeOffset: number;
  /** Absolute offset of the tensor's data in the file, in bytes. */
  readonly fileOffset: number;
}

export interface GgufOpenOptions {
  /**
   * Skip values larger than this many bytes when reading (e.g. `tokenizer.chat_template` is fine,
   * `tokenizer.ggml.precompiled_charsmap` is not needed by most callers). Unlimited by default.
   */
  readonly maxValueBytes?: number;
}

const MAGIC = 0x46554747; // "GGUF" read as little-endian u32
const DEFAULT_ALIGNMENT = 32;
/** ggml's GGML_MAX_DIMS. */
const MAX_DIMS = 4;

/**
 * Sequential reader over a file descriptor with a growable window: `need(n)` guarantees n bytes
 * from the cursor are buffered, reading more from the file (64 KiB+ per read) when needed.
 */
class FileCursor {
  private buf: Buffer;
  private view: DataView;
  private start = 0; // file offset of buf[0]
  private end = 0; // valid bytes in buf
  private pos = 0; // cursor, relative to buf[0]

  constructor(
    private readonly fd: number,
    readonly fileSize: number,
    private readonly file: string,
  ) {
    this.buf = Buffer.allocUnsafe(1 << 16);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  }

  /** Absolute file offset of the cursor. */
  get offset(): number {
    return this.start + this.pos;
  }

  need(n: number, what: string): void {
    if (this.pos + n <= this.end) return;
    if (this.offset + n > this.fileSize) {
      throw new TokenscopeError(
        'gguf-invalid',
        `${this.file}: truncated GGUF file: ${what} needs ${n} bytes at offset ${this.offset}, but the file has ${this.fileSize} bytes`,
      );
    }
    // Slide the unread tail to the front, grow if the request does not fit, then fill.
    const keep = this.end - this.pos;
    if (n > this.buf.length) {
      const next = Buffer.allocUnsafe(Math.max(n, this.buf.length * 2));
      this.buf.copy(next, 0, this.pos, this.end);
      this.buf = next;
      this.view = new DataView(next.buffer, next.byteOffset, next.byteLength);
    } else {
      this.buf.copyWithin(0, this.pos, this.end);
    }
    this.start += this.pos;
    this.pos = 0;
    this.end = keep;
    while (this.end < n) {
      const want = Math.min(this.buf.length - this.end, this.fileSize - (this.start + this.end));
      const got = fs.readSync(this.fd, this.buf, this.end, want, this.start + this.end);
      if (got <= 0) throw new TokenscopeError('gguf-invalid', `${this.file}: unexpected end of file while reading ${what}`);
      this.end += got;
    }
  }

  u32(what: string): number {
    this.need(4, what);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  /** A u64 that must fit in a JS number (counts, lengths, offsets). */
  u64(what: string): number {
    this.need(8, what);
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new TokenscopeError('gguf-invalid', `${this.file}: ${what} is too large (${v})`);
    return Number(v);
  }

  /** Reads a scalar of a fixed-size type. */
  scalar(type: GgufType, what: string): number | bigint | boolean {
    const size = TYPE_SIZES[type]!;
    this.need(size, what);
    const p = this.pos;
    this.pos += size;
    const v = this.view;
    switch (type) {
      case GgufType.Uint8:
        return v.getUint8(p);
      case GgufType.Int8:
        return v.getInt8(p);
      case GgufType.Uint16:
        return v.getUint16(p, true);
      case GgufType.Int16:
        return v.getInt16(p, true);
      case GgufType.Uint32:
        return v.getUint32(p, true);
      case GgufType.Int32:
        return v.getInt32(p, true);
      case GgufType.Float32:
        return v.getFloat32(p, true);
      case GgufType.Bool:
        return v.getUint8(p) !== 0;
      case GgufType.Uint64:
        return v.getBigUint64(p, true);
      case GgufType.Int64:
        return v.getBigInt64(p, true);
      case GgufType.Float64:
        return v.getFloat64(p, true);
      default:
        throw new TokenscopeError('gguf-invalid', `${this.file}: ${what}: not a scalar type: ${ggufTypeName(type)}`);
    }
  }

  /** Copies n bytes from the cursor into `dest` at `at`, in window-sized steps (the window does not grow). */
  copyTo(dest: Uint8Array, at: number, n: number, what: string): void {
    if (this.offset + n > this.fileSize) this.need(n, what); // throws the truncation error for the whole value
    while (n > 0) {
      const take = Math.min(n, this.buf.length);
      this.need(take, what);
      dest.set(this.buf.subarray(this.pos, this.pos + take), at);
      this.pos += take;
      at += take;
      n -= take;
    }
  }

  string(what: string): string {
    return this.stringOfLength(this.u64(what), what);
  }

  stringOfLength(n: number, what: string): string {
    this.need(n, what);
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  /**
   * Reads `count` strings (u64 length + bytes each) into a growing blob, filling offsets[1..count]
   * (offsets[0] = 0). Returns the blob trimmed to its contents, or undefined (after consuming the
   * rest) once it exceeds maxBytes. Yields between steps of ITEMS_PER_STEP strings (the shipped
   * model's 49k tokens and 49k merges were ≈30 ms of one task on the extension host).
   */
  *readStrings(count: number, key: string, offsets: Uint32Array, initialBytes: number, maxBytes: number): Steps<Uint8Array | undefined> {
    const acc = { blob: new Uint8Array(initialBytes), top: 0 };
    const read = yield* inRanges(count, (from, to) => this.readStringRange(from, to, count, key, offsets, acc, maxBytes));
    return read ? acc.blob.subarray(0, acc.top) : undefined;
  }

  /**
   * Strings [from, to) of `readStrings` (a plain loop, not a generator: V8 optimizes it better).
   * Hot loop for vocab-sized arrays: lengths are read as two u32 halves (no BigInt), short strings
   * copied bytewise (no subarray per string). False (the rest of the `count` skipped) past maxBytes.
   */
  private readStringRange(from: number, to: number, count: number, key: string, offsets: Uint32Array, acc: { blob: Uint8Array; top: number }, maxBytes: number): boolean {
    let { blob, top } = acc;
    for (let i = from; i < to; i++) {
      if (this.pos + 8 > this.end) this.need(8, key);
      let buf = this.buf;
      let p = this.pos;
      const lo = (buf[p]! | (buf[p + 1]! << 8) | (buf[p + 2]! << 16)) + buf[p + 3]! * 0x1000000;
      if (buf[p + 4]! | buf[p + 5]! | buf[p + 6]! | buf[p + 7]! || lo > 0x7fffffff) {
        throw new TokenscopeError('gguf-invalid', `${this.file}: element ${i} of ${key} claims an absurd length`);
      }
      const n = lo;
      this.pos = p += 8;
      if (top + n > maxBytes) {
        this.skip(n, key);
        for (let j = i + 1; j < count; j++) this.skip(this.u64(key), key);
        return false;
      }
      if (p + n > this.end) {
        this.need(n, key);
        buf = this.buf;
        p = this.pos;
      }
      if (top + n > blob.length) {
        if (top + n > 0xffffffff) throw new TokenscopeError('gguf-invalid', `${this.file}: ${key} is larger than 4 GiB`);
        const next = new Uint8Array(Math.max(top + n, blob.length * 2));
        next.set(blob.subarray(0, top));
        blob = next;
      }
      if (n <= 32) for (let k = 0; k < n; k++) blob[top + k] = buf[p + k]!;
      else blob.set(buf.subarray(p, p + n), top);
      this.pos = p + n;
      top += n;
      offsets[i + 1] = top;
    }
    acc.blob = blob;
    acc.top = top;
    return true;
  }

  /** Advances n bytes without buffering them (for skipped values). */
  skip(n: number, what: string): void {
    if (this.pos + n <= this.end) {
      this.pos += n;
      return;
    }
    const target = this.offset + n;
    if (target > this.fileSize) this.need(n, what); // throws the truncation error
    this.start = target;
    this.pos = 0;
    this.end = 0;
  }
}

/** Parsed GGUF header. Holds no file descriptor. */
export class GgufFile {
  private constructor(
    readonly path: string,
    readonly version: number,
    readonly fileSize: number,
    private readonly entries: Map<string, GgufEntry>,
    readonly tensors: readonly GgufTensorInfo[],
    /** Absolute offset of the tensor data section (after alignment padding), in bytes. */
    readonly dataOffset: number,
    /** Alignment of tensor data, in bytes (`general.alignment`, default 32). */
    readonly alignment: number,
  ) {}

  /**
   * Reads the header of the GGUF file at `file`. Cost: O(header bytes); a vocab of 150k tokens
   * (≈2–6 MB of metadata) parses in tens of milliseconds. Throws `TokenscopeError` with code
   * `gguf-not-found`, `gguf-invalid` (bad magic, truncated, malformed) or `gguf-unsupported`
   * (version, value type).
   */
  static open(file: string, options: GgufOpenOptions = {}): GgufFile {
    return runSteps(GgufFile.openInSteps(file, options));
  }

  /**
   * `open` in steps, for the extension host: string arrays (a vocabulary's tokens and merges) yield
   * every ITEMS_PER_STEP strings. The file stays open until the steps run out, throw or are ended
   * early (`return()`: runStepsPaused does so when a pause fails).
   */
  static *openInSteps(file: string, options: GgufOpenOptions = {}): Steps<GgufFile> {
    let fd: number;
    try {
      fd = fs.openSync(file, 'r');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') throw new TokenscopeError('gguf-not-found', `GGUF file not found: ${file}`, { cause: e });
      throw new TokenscopeError('gguf-invalid', `cannot open GGUF file ${file}: ${(e as Error).message}`, { cause: e });
    }
    try {
      const st = fs.fstatSync(fd);
      if (st.isDirectory()) throw new TokenscopeError('gguf-invalid', `${file} is a directory, not a GGUF file`);
      return yield* GgufFile.parse(new FileCursor(fd, st.size, file), file, st.size, options);
    } finally {
      fs.closeSync(fd);
    }
  }

  private static *parse(c: FileCursor, file: string, size: number, options: GgufOpenOptions): Steps<GgufFile> {
    if (size < 4 || c.u32('magic') !== MAGIC) {
      throw new TokenscopeError('gguf-invalid', `${file} is not a GGUF file (bad magic)`);
    }
    const version = c.u32('version');
    if (version !== 2 && version !== 3) {
      // A big-endian file shows its version byte-swapped (3 → 0x03000000).
      const hint = version >= 1 << 16 ? ' (a big-endian file?)' : version === 1 ? ' (GGUF v1 is obsolete)' : '';
      throw new TokenscopeError('gguf-unsupported', `${file}: unsupported GGUF version ${version}${hint}; versions 2 and 3 are supported`);
    }
    const tensorCount = c.u64('tensor count');
    const kvCount = c.u64('metadata count');
    const maxValueBytes = options.maxValueBytes ?? Infinity;

    const entries = new Map<string, GgufEntry>();
    for (let i = 0; i < kvCount; i++) {
      const key = c.string(`metadata key #${i}`);
      const type = c.u32(`type of ${key}`) as GgufType;
      const entry = yield* readValue(c, file, key, type, maxValueBytes);
      if (entry) entries.set(key, entry);
    }

    const tensors: GgufTensorInfo[] = [];
    const infos: Array<{ name: string; dims: number[]; ggmlType: number; relativeOffset: number }> = [];
    for (let i = 0; i < tensorCount; i++) {
      const name = c.string(`tensor #${i} name`);
      const nDims = c.u32(`dims of ${name}`);
      if (nDims > MAX_DIMS) throw new TokenscopeError('gguf-invalid', `${file}: tensor ${name} has ${nDims} dimensions (at most ${MAX_DIMS})`);
      const dims: number[] = [];
      for (let d = 0; d < nDims; d++) dims.push(c.u64(`dim ${d} of ${name}`));
      const ggmlType = c.u32(`type of ${name}`);
      const relativeOffset = c.u64(`offset of ${name}`);
      infos.push({ name, dims, ggmlType, relativeOffset });
    }
    const alignmentEntry = entries.get('general.alignment');
    const alignment = alignmentEntry && typeof alignmentEntry.value === 'number' ? alignmentEntry.value : DEFAULT_ALIGNMENT;
    if (!Number.isInteger(alignment) || alignment <= 0 || (alignment & (alignment - 1)) !== 0) {
      throw new TokenscopeError('gguf-invalid', `${file}: general.alignment must be a power of two, not ${alignment}`);
    }
    const headerEnd = c.offset;
    const dataOffset = Math.ceil(headerEnd / alignment) * alignment;
    for (const t of infos) tensors.push({ ...t, fileOffset: dataOffset + t.relativeOffset });
    return new GgufFile(file, version, size, entries, tensors, dataOffset, alignment);
  }

  get keys(): IterableIterator<string> {
    return this.entries.keys();
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  entry(key: string): GgufEntry | undefined {
    return this.entries.get(key);
  }

  /** The value of `key` (undefined when absent). */
  get(key: string): GgufValue | undefined {
    return this.entries.get(key)?.value;
  }

  /** A string value; throws `gguf-invalid` if present with another type. */
  getString(key: string): string | undefined {
    const v = this.get(key);
    if (v === undefined || typeof v === 'string') return v;
    throw this.typeError(key, 'string');
  }

  /**
   * An integer value of any integer type (u64/i64 must be within ±2^53); throws `gguf-invalid`
   * if present with another type.
   */
  getInteger(key: string): number | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (typeof e.value === 'number' && isIntegerType(e.type)) return e.value;
    if (typeof e.value === 'bigint' && e.value <= BigInt(Number.MAX_SAFE_INTEGER) && e.value >= -BigInt(Number.MAX_SAFE_INTEGER)) {
      return Number(e.value);
    }
    throw this.typeError(key, 'integer');
  }

  /** A numeric value of any numeric type (floats included). */
  getNumber(key: string): number | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (typeof e.value === 'number') return e.value;
    if (typeof e.value === 'bigint') return Number(e.value);
    throw this.typeError(key, 'number');
  }

  getBool(key: string): boolean | undefined {
    const v = this.get(key);
    if (v === undefined || typeof v === 'boolean') return v;
    throw this.typeError(key, 'bool');
  }

  getStringArray(key: string): GgufStringArray | undefined {
    const v = this.get(key);
    if (v === undefined || v instanceof GgufStringArray) return v;
    throw this.typeError(key, 'string array');
  }

  /** An i32 array (e.g. `tokenizer.ggml.token_type`). */
  getInt32Array(key: string): Int32Array | undefined {
    const v = this.get(key);
    if (v === undefined || v instanceof Int32Array) return v;
    throw this.typeError(key, 'i32 array');
  }

  /** An f32 array (e.g. `tokenizer.ggml.scores`). */
  getFloat32Array(key: string): Float32Array | undefined {
    const v = this.get(key);
    if (v === undefined || v instanceof Float32Array) return v;
    throw this.typeError(key, 'f32 array');
  }

  /** Any numeric array (typed array of its element type). */
  getNumericArray(key: string): GgufNumericArray | undefined {
    const v = this.get(key);
    if (v === undefined || ArrayBuffer.isView(v)) return v;
    throw this.typeError(key, 'numeric array');
  }

  private typeError(key: string, expected: string): TokenscopeError {
    const e = this.entries.get(key)!;
    const actual = e.type === GgufType.Array ? `array of ${ggufTypeName(e.elementType ?? -1)}` : ggufTypeName(e.type);
    return new TokenscopeError('gguf-invalid', `${this.path}: metadata ${key} is ${actual}, expected ${expected}`);
  }
}

function isIntegerType(t: GgufType): boolean {
  return t !== GgufType.Float32 && t !== GgufType.Float64 && t !== GgufType.Bool && t !== GgufType.String && t !== GgufType.Array;
}

function checkType(file: string, key: string, type: number): void {
  if (!Number.isInteger(type) || type < 0 || type > GgufType.Float64) {
    throw new TokenscopeError('gguf-unsupported', `${file}: metadata ${key} has unknown value type ${type}`);
  }
}

/** Reads one value of `type`; returns undefined (after skipping it) when larger than maxValueBytes. */
function* readValue(c: FileCursor, file: string, key: string, type: GgufType, maxValueBytes: number): Steps<GgufEntry | undefined> {
  checkType(file, key, type);
  if (type === GgufType.String) {
    const n = c.u64(`length of ${key}`);
    if (n > maxValueBytes) {
      c.skip(n, key);
      return undefined;
    }
    return { key, type, value: c.stringOfLength(n, key) };
  }
  if (type !== GgufType.Array) return { key, type, value: c.scalar(type, key) };
  const elementType = c.u32(`element type of ${key}`) as GgufType;
  checkType(file, key, elementType);
  const count = c.u64(`length of ${key}`);
  // A corrupt count must fail before anything is allocated for it: every element takes at least
  // its fixed size (strings: their 8-byte length; nested arrays: type and count, 12 bytes).
  const minBytes = count * (elementType === GgufType.String ? 8 : elementType === GgufType.Array ? 12 : TYPE_SIZES[elementType]!);
  if (c.offset + minBytes > c.fileSize) {
    throw new TokenscopeError('gguf-invalid', `${file}: truncated GGUF file: ${key} claims ${count} elements, more than the file holds`);
  }
  if (elementType === GgufType.String) {
    const value = yield* readStringArray(c, key, count, maxValueBytes);
    return value ? { key, type, elementType, value } : undefined;
  }
  if (elementType === GgufType.Array) {
    const items: GgufValue[] = [];
    for (let i = 0; i < count; i++) {
      const inner = yield* readValue(c, file, `${key}[${i}]`, GgufType.Array, Infinity);
      items.push(inner!.value);
    }
    return { key, type, elementType, value: { elementType: GgufType.Array, items } };
  }
  const bytes = count * TYPE_SIZES[elementType]!;
  if (bytes > maxValueBytes) {
    c.skip(bytes, key);
    return undefined;
  }
  // Copy into a fresh, aligned buffer so typed-array views are legal; little-endian hosts only
  // (every platform Node ships for), so no byte swapping.
  const raw = new Uint8Array(bytes);
  c.copyTo(raw, 0, bytes, key);
  return { key, type, elementType, value: numericView(elementType, raw.buffer, count) };
}

function numericView(t: GgufType, buf: ArrayBuffer, n: number): GgufNumericArray {
  switch (t) {
    case GgufType.Uint8:
    case GgufType.Bool:
      return new Uint8Array(buf, 0, n);
    case GgufType.Int8:
      return new Int8Array(buf, 0, n);
    case GgufType.Uint16:
      return new Uint16Array(buf, 0, n);
    case GgufType.Int16:
      return new Int16Array(buf, 0, n);
    case GgufType.Uint32:
      return new Uint32Array(buf, 0, n);
    case GgufType.Int32:
      return new Int32Array(buf, 0, n);
    case GgufType.Float32:
      return new Float32Array(buf, 0, n);
    case GgufType.Uint64:
      return new BigUint64Array(buf, 0, n);
    case GgufType.Int64:
      return new BigInt64Array(buf, 0, n);
    default:
      return new Float64Array(buf, 0, n);
  }
}

/**
 * Reads `count` strings into one blob (the blob doubles when full): a 150k-token array costs one
 * copy of its bytes and a handful of allocations, no per-string objects.
 */
function* readStringArray(c: FileCursor, key: string, count: number, maxValueBytes: number): Steps<GgufStringArray | undefined> {
  const offsets = new Uint32Array(count + 1);
  const r = yield* c.readStrings(count, key, offsets, Math.max(64, Math.min(count * 8, 1 << 24)), maxValueBytes);
  return r ? new GgufStringArray(r, offsets) : undefined;
}
