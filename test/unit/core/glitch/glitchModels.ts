/**
 * Test helpers for the glitch-indicator tests: a streaming GGUF writer (tensor data written chunk
 * by chunk, or left as a sparse hole), reference quantizers written from the ggml block format
 * descriptions, random-but-valid quantized blocks, and a seeded random source.
 */
import * as fs from 'fs';
import { GgmlType } from '../../../../src/core/gguf/dequantize';
import type { KvValue } from '../gguf/ggufWriter';

/** mulberry32 with Box–Muller normals: fast, seeded, identical on every machine. */
export class Rng {
  private spare: number | undefined;
  constructor(private s: number) {}
  next(): number {
    this.s = (this.s + 0x6d2b79f5) | 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  normal(): number {
    if (this.spare !== undefined) {
      const s = this.spare;
      this.spare = undefined;
      return s;
    }
    const u = Math.max(1e-12, this.next());
    const r = Math.sqrt(-2 * Math.log(u));
    const a = 2 * Math.PI * this.next();
    this.spare = r * Math.sin(a);
    return r * Math.cos(a);
  }
  /** A unit vector of dimension d. */
  unit(d: number): Float64Array {
    const v = new Float64Array(d);
    let s = 0;
    for (let k = 0; k < d; k++) {
      v[k] = this.normal();
      s += v[k]! * v[k]!;
    }
    for (let k = 0; k < d; k++) v[k]! /= Math.sqrt(s);
    return v;
  }
  /** k distinct ids from 0..n−1, excluding `exclude`. */
  sample(n: number, k: number, exclude: ReadonlySet<number> = new Set()): number[] {
    const out = new Set<number>();
    while (out.size < k) {
      const id = this.int(n);
      if (!exclude.has(id)) out.add(id);
    }
    return [...out];
  }
}

/** float32 → IEEE half bits, round to nearest even (overflow to ±Inf, subnormals kept). */
const f16Scratch = new Float32Array(1);
const f16ScratchBits = new Uint32Array(f16Scratch.buffer);
export function f32ToF16Bits(x: number): number {
  f16Scratch[0] = x;
  const u = f16ScratchBits[0]!;
  const sign = (u >>> 16) & 0x8000;
  const exp = (u >>> 23) & 0xff;
  let mant = u & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && h & 1)) h++;
    return sign | h;
  }
  let h = mant >>> 13;
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) {
    h++;
    if (h === 0x400) {
      h = 0;
      e++;
      if (e >= 31) return sign | 0x7c00;
    }
  }
  return sign | (e << 10) | h;
}

/** The value of half bits h (reference decoder, independent of the one under test). */
export function f16BitsToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 31;
  const m = h & 1023;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** Q8_0 of a row (length a multiple of 32): per 32 floats, f16 d = max|x| / 127 and round(x / d). */
export function quantizeQ8_0(x: ArrayLike<number>, out?: Uint8Array, at = 0): Uint8Array {
  const blocks = x.length / 32;
  const o = out ?? new Uint8Array(blocks * 34);
  for (let b = 0; b < blocks; b++) {
    let amax = 0;
    for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[b * 32 + j]!));
    const hb = f32ToF16Bits(amax / 127);
    const d = f16BitsToF32(hb);
    const p = at + b * 34;
    o[p] = hb & 255;
    o[p + 1] = hb >> 8;
    for (let j = 0; j < 32; j++) {
      const q = d === 0 ? 0 : Math.max(-128, Math.min(127, Math.round(x[b * 32 + j]! / d)));
      o[p + 2 + j] = q & 255;
    }
  }
  return o;
}

/** Q8_K of a row (length a multiple of 256): per 256 floats, f32 d = max|x| / 127, int8 quants, i16 group sums. */
export function quantizeQ8_K(x: ArrayLike<number>): Uint8Array {
  const blocks = x.length / 256;
  const o = new Uint8Array(blocks * 292);
  const dv = new DataView(o.buffer);
  for (let b = 0; b < blocks; b++) {
    let amax = 0;
    for (let j = 0; j < 256; j++) amax = Math.max(amax, Math.abs(x[b * 256 + j]!));
    const d = Math.fround(amax / 127);
    const p = b * 292;
    dv.setFloat32(p, d, true);
    for (let g = 0; g < 16; g++) {
      let sum = 0;
      for (let l = 0; l < 16; l++) {
        const q = d === 0 ? 0 : Math.max(-128, Math.min(127, Math.round(x[b * 256 + g * 16 + l]! / d)));
        o[p + 4 + g * 16 + l] = q & 255;
        sum += q;
      }
      dv.setInt16(p + 260 + 2 * g, sum, true);
    }
  }
  return o;
}

/** F16 / BF16 / F32 encodings of a row. */
export function encodeF16(x: ArrayLike<number>): Uint8Array {
  const o = new Uint8Array(x.length * 2);
  for (let i = 0; i < x.length; i++) {
    const h = f32ToF16Bits(x[i]!);
    o[2 * i] = h & 255;
    o[2 * i + 1] = h >> 8;
  }
  return o;
}
export function encodeF32(x: ArrayLike<number>): Uint8Array {
  return new Uint8Array(Float32Array.from(x).buffer);
}

/** Block sizes of the formats (independent of the module under test). */
export const BLOCK: Readonly<Record<number, { elements: number; bytes: number; name: string }>> = {
  0: { elements: 1, bytes: 4, name: 'F32' },
  1: { elements: 1, bytes: 2, name: 'F16' },
  2: { elements: 32, bytes: 18, name: 'Q4_0' },
  3: { elements: 32, bytes: 20, name: 'Q4_1' },
  6: { elements: 32, bytes: 22, name: 'Q5_0' },
  7: { elements: 32, bytes: 24, name: 'Q5_1' },
  8: { elements: 32, bytes: 34, name: 'Q8_0' },
  10: { elements: 256, bytes: 84, name: 'Q2_K' },
  11: { elements: 256, bytes: 110, name: 'Q3_K' },
  12: { elements: 256, bytes: 144, name: 'Q4_K' },
  13: { elements: 256, bytes: 176, name: 'Q5_K' },
  14: { elements: 256, bytes: 210, name: 'Q6_K' },
  15: { elements: 256, bytes: 292, name: 'Q8_K' },
  20: { elements: 32, bytes: 18, name: 'IQ4_NL' },
  23: { elements: 256, bytes: 136, name: 'IQ4_XS' },
  30: { elements: 1, bytes: 2, name: 'BF16' },
};

/** Byte offsets of the f16 scale fields in one block (the rest may be any bits). */
const HALF_FIELDS: Readonly<Record<number, readonly number[]>> = {
  2: [0], 3: [0, 2], 6: [0], 7: [0, 2], 8: [0], 10: [80, 82], 11: [108], 12: [0, 2], 13: [0, 2], 14: [208], 20: [0], 23: [0],
};

/**
 * Random tensor bytes of `type` for `elements` values: every quant bit random, every scale a
 * finite half in ±[2⁻⁹, 2⁻³] (F32/F16/BF16: values in ±[0, 2)). Valid input for any decoder.
 */
export function randomTensorBytes(type: number, elements: number, rng: Rng): Uint8Array {
  const f = BLOCK[type]!;
  const blocks = elements / f.elements;
  const out = new Uint8Array(blocks * f.bytes);
  for (let i = 0; i < out.length; i++) out[i] = rng.int(256);
  const scale = (): number => f32ToF16Bits((rng.next() < 0.5 ? -1 : 1) * 2 ** (-9 + 6 * rng.next()));
  if (type === 0) {
    const v = new Float32Array(out.buffer);
    for (let i = 0; i < v.length; i++) v[i] = (rng.next() * 2 - 1) * 2;
  } else if (type === 1) {
    for (let i = 0; i < elements; i++) {
      const h = f32ToF16Bits((rng.next() * 2 - 1) * 2);
      out[2 * i] = h & 255;
      out[2 * i + 1] = h >> 8;
    }
  } else if (type === 30) {
    for (let i = 0; i < elements; i++) {
      const b = new Uint32Array(new Float32Array([(rng.next() * 2 - 1) * 2]).buffer)[0]! >>> 16;
      out[2 * i] = b & 255;
      out[2 * i + 1] = b >> 8;
    }
  } else if (type === 15) {
    const dv = new DataView(out.buffer);
    for (let b = 0; b < blocks; b++) dv.setFloat32(b * f.bytes, (rng.next() < 0.5 ? -1 : 1) * 2 ** (-9 + 6 * rng.next()), true);
  } else {
    for (let b = 0; b < blocks; b++) {
      for (const at of HALF_FIELDS[type]!) {
        const h = scale();
        out[b * f.bytes + at] = h & 255;
        out[b * f.bytes + at + 1] = h >> 8;
      }
    }
  }
  return out;
}

export interface StreamTensor {
  readonly name: string;
  /** Innermost first. */
  readonly dims: readonly number[];
  readonly ggmlType: number;
  readonly byteLength: number;
  /** The data: bytes, a producer that writes it in chunks, or undefined for a sparse (zero) hole. */
  readonly data?: Uint8Array | ((write: (chunk: Uint8Array) => void) => void);
}

const KV_TYPE: Record<string, number> = { u8: 0, i8: 1, u16: 2, i16: 3, u32: 4, i32: 5, f32: 6, bool: 7, string: 8, array: 9, u64: 10, i64: 11, f64: 12 };

function kvBytes(kv: ReadonlyArray<readonly [string, KvValue]>): Buffer[] {
  const parts: Buffer[] = [];
  const u32 = (v: number): void => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    parts.push(b);
  };
  const u64 = (v: number | bigint): void => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(v));
    parts.push(b);
  };
  const str = (s: string): void => {
    const b = Buffer.from(s, 'utf8');
    u64(b.length);
    parts.push(b);
  };
  const scalar = (type: string, v: number | bigint | boolean | string): void => {
    const b = Buffer.alloc(8);
    switch (type) {
      case 'u8': b.writeUInt8(v as number); return void parts.push(b.subarray(0, 1));
      case 'i8': b.writeInt8(v as number); return void parts.push(b.subarray(0, 1));
      case 'u16': b.writeUInt16LE(v as number); return void parts.push(b.subarray(0, 2));
      case 'i16': b.writeInt16LE(v as number); return void parts.push(b.subarray(0, 2));
      case 'u32': b.writeUInt32LE(v as number); return void parts.push(b.subarray(0, 4));
      case 'i32': b.writeInt32LE(v as number); return void parts.push(b.subarray(0, 4));
      case 'f32': b.writeFloatLE(v as number); return void parts.push(b.subarray(0, 4));
      case 'f64': b.writeDoubleLE(v as number); return void parts.push(b);
      case 'u64': b.writeBigUInt64LE(v as bigint); return void parts.push(b);
      case 'i64': b.writeBigInt64LE(v as bigint); return void parts.push(b);
      case 'bool': b.writeUInt8(v ? 1 : 0); return void parts.push(b.subarray(0, 1));
      case 'string': return str(v as string);
      default: throw new Error(`bad type ${type}`);
    }
  };
  for (const [key, v] of kv) {
    str(key);
    u32(KV_TYPE[v.type]!);
    if (v.type === 'array') {
      u32(KV_TYPE[v.elementType]!);
      u64(v.value.length);
      // Typed fast path for big numeric arrays (token types of a 150k vocabulary).
      if (v.elementType === 'i32') parts.push(Buffer.from(Int32Array.from(v.value).buffer));
      else if (v.elementType === 'f32') parts.push(Buffer.from(Float32Array.from(v.value).buffer));
      else for (const x of v.value) scalar(v.elementType, x);
    } else {
      scalar(v.type, v.value);
    }
  }
  return parts;
}

/**
 * Writes a GGUF v3 file without holding tensor data in memory: header, then each tensor at its
 * aligned offset, written from bytes, from a chunk producer, or skipped (sparse hole of zeros).
 */
export function writeStreamingGguf(file: string, kv: ReadonlyArray<readonly [string, KvValue]>, tensors: readonly StreamTensor[], alignment = 32): void {
  const parts = kvBytes(kv);
  const head: Buffer[] = [];
  const h4 = Buffer.alloc(24);
  h4.write('GGUF', 0, 'latin1');
  h4.writeUInt32LE(3, 4);
  h4.writeBigUInt64LE(BigInt(tensors.length), 8);
  h4.writeBigUInt64LE(BigInt(kv.length), 16);
  head.push(h4);
  for (const p of parts) head.push(p); // one by one: a vocabulary has 100k+ parts (too many for spread arguments)
  const offsets: number[] = [];
  let offset = 0;
  for (const t of tensors) {
    offsets.push(offset);
    const name = Buffer.from(t.name, 'utf8');
    const b = Buffer.alloc(8 + name.length + 4 + 8 * t.dims.length + 4 + 8);
    let p = b.writeBigUInt64LE(BigInt(name.length), 0);
    p += name.copy(b, p);
    p = b.writeUInt32LE(t.dims.length, p);
    for (const d of t.dims) p = b.writeBigUInt64LE(BigInt(d), p);
    p = b.writeUInt32LE(t.ggmlType, p);
    b.writeBigUInt64LE(BigInt(offset), p);
    head.push(b);
    offset += Math.ceil(t.byteLength / alignment) * alignment;
  }
  let header = Buffer.concat(head);
  header = Buffer.concat([header, Buffer.alloc((alignment - (header.length % alignment)) % alignment)]);
  const fd = fs.openSync(file, 'w');
  try {
    fs.writeSync(fd, header, 0, header.length, 0);
    tensors.forEach((t, i) => {
      let pos = header.length + offsets[i]!;
      const end = pos + t.byteLength;
      const write = (chunk: Uint8Array): void => {
        if (pos + chunk.length > end) throw new Error(`${t.name}: more data than ${t.byteLength} bytes`);
        let done = 0;
        while (done < chunk.length) done += fs.writeSync(fd, chunk, done, chunk.length - done, pos + done);
        pos += chunk.length;
      };
      if (t.data instanceof Uint8Array) write(t.data);
      else if (t.data) t.data(write);
      else pos = end;
      if (pos !== end) throw new Error(`${t.name}: wrote ${pos - (end - t.byteLength)} of ${t.byteLength} bytes`);
    });
    fs.ftruncateSync(fd, header.length + offset);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The tokenizer.ggml.* entries of a SentencePiece vocabulary llama.cpp accepts: <unk>, <s>, </s>,
 * the 256 byte tokens, `pieces`, then "▁w0", "▁w1", … up to `size` tokens; score −id.
 */
export function tinySpmVocabKv(size: number, pieces: readonly string[] = []): Array<readonly [string, KvValue]> {
  const tokens = ['<unk>', '<s>', '</s>'];
  const types = [2, 3, 3];
  for (let b = 0; b < 256; b++) {
    tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
    types.push(6);
  }
  for (const p of pieces) {
    tokens.push(p);
    types.push(1);
  }
  for (let i = 0; tokens.length < size; i++) {
    tokens.push(`\u2581w${i}`);
    types.push(1);
  }
  return [
    ['tokenizer.ggml.model', { type: 'string', value: 'llama' }],
    ['tokenizer.ggml.tokens', { type: 'array', elementType: 'string', value: tokens }],
    ['tokenizer.ggml.scores', { type: 'array', elementType: 'f32', value: tokens.map((_, i) => -i) }],
    ['tokenizer.ggml.token_type', { type: 'array', elementType: 'i32', value: types }],
    ['tokenizer.ggml.bos_token_id', { type: 'u32', value: 1 }],
    ['tokenizer.ggml.eos_token_id', { type: 'u32', value: 2 }],
    ['tokenizer.ggml.unknown_token_id', { type: 'u32', value: 0 }],
  ];
}

/** The llama.* hyperparameters of a one-block llama of width `embd` (rope over embd / heads). */
export function oneBlockLlamaKv(o: { context: number; embd: number; ff: number; heads: number; rmsEps: number }): Array<readonly [string, KvValue]> {
  return [
    ['llama.context_length', { type: 'u32', value: o.context }],
    ['llama.embedding_length', { type: 'u32', value: o.embd }],
    ['llama.block_count', { type: 'u32', value: 1 }],
    ['llama.feed_forward_length', { type: 'u32', value: o.ff }],
    ['llama.attention.head_count', { type: 'u32', value: o.heads }],
    ['llama.attention.head_count_kv', { type: 'u32', value: o.heads }],
    ['llama.attention.layer_norm_rms_epsilon', { type: 'f32', value: o.rmsEps }],
    ['llama.rope.dimension_count', { type: 'u32', value: o.embd / o.heads }],
  ];
}

/**
 * The F32 tensors of a llama block that adds nothing to the residual stream: unit norms, and
 * attention and FFN weights of zeros (sparse holes), for width `embd` and FFN width `ff`.
 */
export function passThroughBlock(embd: number, ff: number): StreamTensor[] {
  const ones = encodeF32(new Float32Array(embd).fill(1));
  const zero = (name: string, dims: number[]): StreamTensor => ({ name, dims, ggmlType: GgmlType.F32, byteLength: 4 * dims.reduce((a, b) => a * b, 1) });
  return [
    { name: 'blk.0.attn_norm.weight', dims: [embd], ggmlType: GgmlType.F32, byteLength: 4 * embd, data: ones },
    zero('blk.0.attn_q.weight', [embd, embd]),
    zero('blk.0.attn_k.weight', [embd, embd]),
    zero('blk.0.attn_v.weight', [embd, embd]),
    zero('blk.0.attn_output.weight', [embd, embd]),
    { name: 'blk.0.ffn_norm.weight', dims: [embd], ggmlType: GgmlType.F32, byteLength: 4 * embd, data: ones },
    zero('blk.0.ffn_gate.weight', [embd, ff]),
    zero('blk.0.ffn_up.weight', [embd, ff]),
    zero('blk.0.ffn_down.weight', [ff, embd]),
  ];
}
