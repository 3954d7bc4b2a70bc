/**
 * Minimal GGUF writer for tests: synthetic files with every metadata value type, tensor infos and
 * custom alignment, or deliberately broken headers. Little-endian, format version 3 by default.
 */
import * as fs from 'fs';
import { GgufStringArray, type GgufFile } from '../../../../src/core/gguf/ggufFile';

export type KvValue =
  | { type: 'u8' | 'i8' | 'u16' | 'i16' | 'u32' | 'i32' | 'f32' | 'f64'; value: number }
  | { type: 'u64' | 'i64'; value: bigint }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; value: string }
  | { type: 'array'; elementType: 'u8' | 'i8' | 'u16' | 'i16' | 'u32' | 'i32' | 'f32' | 'f64'; value: number[] }
  | { type: 'array'; elementType: 'u64' | 'i64'; value: bigint[] }
  | { type: 'array'; elementType: 'bool'; value: boolean[] }
  | { type: 'array'; elementType: 'string'; value: string[] };

export interface TensorSpec {
  name: string;
  dims: number[];
  ggmlType: number;
  /** Bytes of data (zeros) reserved for the tensor. */
  dataBytes: number;
}

const TYPE_IDS: Record<string, number> = { u8: 0, i8: 1, u16: 2, i16: 3, u32: 4, i32: 5, f32: 6, bool: 7, string: 8, array: 9, u64: 10, i64: 11, f64: 12 };

class Bytes {
  private chunks: Buffer[] = [];
  length = 0;
  push(b: Buffer): void {
    this.chunks.push(b);
    this.length += b.length;
  }
  u32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    this.push(b);
  }
  u64(v: number | bigint): void {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(v));
    this.push(b);
  }
  str(s: string): void {
    const b = Buffer.from(s, 'utf8');
    this.u64(b.length);
    this.push(b);
  }
  scalar(type: string, v: number | bigint | boolean | string): void {
    const b = Buffer.alloc(8);
    switch (type) {
      case 'u8': b.writeUInt8(v as number); return this.push(b.subarray(0, 1));
      case 'i8': b.writeInt8(v as number); return this.push(b.subarray(0, 1));
      case 'u16': b.writeUInt16LE(v as number); return this.push(b.subarray(0, 2));
      case 'i16': b.writeInt16LE(v as number); return this.push(b.subarray(0, 2));
      case 'u32': b.writeUInt32LE(v as number); return this.push(b.subarray(0, 4));
      case 'i32': b.writeInt32LE(v as number); return this.push(b.subarray(0, 4));
      case 'f32': b.writeFloatLE(v as number); return this.push(b.subarray(0, 4));
      case 'f64': b.writeDoubleLE(v as number); return this.push(b);
      case 'u64': b.writeBigUInt64LE(v as bigint); return this.push(b);
      case 'i64': b.writeBigInt64LE(v as bigint); return this.push(b);
      case 'bool': b.writeUInt8(v ? 1 : 0); return this.push(b.subarray(0, 1));
      case 'string': return this.str(v as string);
      default: throw new Error(`bad type ${type}`);
    }
  }
  toBuffer(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/** The bytes of a GGUF file; tensor data is zero-filled after alignment padding. */
export function buildGguf(options: {
  kv: ReadonlyArray<readonly [string, KvValue]>;
  tensors?: readonly TensorSpec[];
  version?: number;
  magic?: string;
  alignment?: number;
}): Buffer {
  const out = new Bytes();
  out.push(Buffer.from(options.magic ?? 'GGUF', 'latin1'));
  out.u32(options.version ?? 3);
  const tensors = options.tensors ?? [];
  out.u64(tensors.length);
  out.u64(options.kv.length);
  for (const [key, v] of options.kv) {
    out.str(key);
    out.u32(TYPE_IDS[v.type]!);
    if (v.type === 'array') {
      out.u32(TYPE_IDS[v.elementType]!);
      out.u64(v.value.length);
      for (const x of v.value) out.scalar(v.elementType, x);
    } else {
      out.scalar(v.type, v.value);
    }
  }
  const alignment = options.alignment ?? 32;
  let offset = 0;
  const offsets: number[] = [];
  for (const t of tensors) {
    offsets.push(offset);
    out.str(t.name);
    out.u32(t.dims.length);
    for (const d of t.dims) out.u64(d);
    out.u32(t.ggmlType);
    out.u64(offset);
    offset += Math.ceil(t.dataBytes / alignment) * alignment;
  }
  const pad = (alignment - (out.length % alignment)) % alignment;
  out.push(Buffer.alloc(pad));
  out.push(Buffer.alloc(offset));
  return out.toBuffer();
}

export function writeGguf(file: string, options: Parameters<typeof buildGguf>[0]): void {
  fs.writeFileSync(file, buildGguf(options));
}

const TYPE_NAMES = ['u8', 'i8', 'u16', 'i16', 'u32', 'i32', 'f32', 'bool', 'string', 'array', 'u64', 'i64', 'f64'] as const;

/** The metadata of a parsed GGUF file as writer input (string arrays decoded, so valid UTF-8 only). */
export function metadataOf(g: GgufFile): Map<string, KvValue> {
  const out = new Map<string, KvValue>();
  for (const key of g.keys) {
    const e = g.entry(key)!;
    const type = TYPE_NAMES[e.type];
    const v = e.value;
    if (type === 'array') {
      const elementType = TYPE_NAMES[e.elementType!];
      if (v instanceof GgufStringArray) out.set(key, { type: 'array', elementType: 'string', value: v.toArray() });
      else if (elementType === 'bool') out.set(key, { type: 'array', elementType, value: Array.from(v as Uint8Array, (x) => x !== 0) });
      else if (elementType === 'u64' || elementType === 'i64') out.set(key, { type: 'array', elementType, value: Array.from(v as BigUint64Array) });
      else if (elementType !== 'string' && elementType !== 'array' && elementType !== undefined) {
        out.set(key, { type: 'array', elementType, value: Array.from(v as Int32Array) });
      }
    } else if (type === 'string') out.set(key, { type, value: v as string });
    else if (type === 'bool') out.set(key, { type, value: v as boolean });
    else if (type === 'u64' || type === 'i64') out.set(key, { type, value: v as bigint });
    else if (type !== undefined) out.set(key, { type, value: v as number });
  }
  return out;
}
