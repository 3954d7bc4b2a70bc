/**
 * Row-wise dequantization of GGUF tensors (ggml block formats) into Float32, for analyses that
 * read a model's weights without loading the model: one row (e.g. one token's embedding) at a
 * time, from a file descriptor, an in-memory copy of the file, or streamed in large chunks.
 *
 * Formats were implemented from the block layouts in ggml (ggml-common.h / ggml-quants.c). Every
 * decoder reproduces ggml's float32 results bit for bit: each product of a scale and a quant is
 * exact in float32 and ggml rounds only the final add, as a double computation rounded once to
 * float32 does here.
 *
 * Supported: F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, Q8_K,
 * IQ4_NL, IQ4_XS. Other types (the IQ1–IQ3 lattice codebooks, TQ*, MXFP4, …) throw
 * `TokenscopeError('gguf-unsupported')`.
 */
import * as fs from 'fs';
import { TokenscopeError } from '../../common/errors';
import type { GgufTensorInfo } from './ggufFile';

/** ggml type ids (ggml.h `enum ggml_type`) of the formats decoded here. */
export const GgmlType = {
  F32: 0,
  F16: 1,
  Q4_0: 2,
  Q4_1: 3,
  Q5_0: 6,
  Q5_1: 7,
  Q8_0: 8,
  Q2_K: 10,
  Q3_K: 11,
  Q4_K: 12,
  Q5_K: 13,
  Q6_K: 14,
  Q8_K: 15,
  IQ4_NL: 20,
  IQ4_XS: 23,
  BF16: 30,
} as const;
export type GgmlType = (typeof GgmlType)[keyof typeof GgmlType];

/** Names of every ggml type id, for messages (ids with removed formats are left out). */
const TYPE_NAMES: Readonly<Record<number, string>> = {
  0: 'F32', 1: 'F16', 2: 'Q4_0', 3: 'Q4_1', 6: 'Q5_0', 7: 'Q5_1', 8: 'Q8_0', 9: 'Q8_1', 10: 'Q2_K', 11: 'Q3_K', 12: 'Q4_K',
  13: 'Q5_K', 14: 'Q6_K', 15: 'Q8_K', 16: 'IQ2_XXS', 17: 'IQ2_XS', 18: 'IQ3_XXS', 19: 'IQ1_S', 20: 'IQ4_NL', 21: 'IQ3_S',
  22: 'IQ2_S', 23: 'IQ4_XS', 24: 'I8', 25: 'I16', 26: 'I32', 27: 'I64', 28: 'F64', 29: 'IQ1_M', 30: 'BF16', 34: 'TQ1_0',
  35: 'TQ2_0', 39: 'MXFP4', 40: 'NVFP4', 41: 'Q1_0', 42: 'Q2_0',
};

export function ggmlTypeName(type: number): string {
  return TYPE_NAMES[type] ?? `type ${type}`;
}

/**
 * Decodes `blocks` consecutive blocks starting at src[at] into out[outAt…]. Every decoder reads
 * only bytes and writes only floats, so it works on any Uint8Array (file chunk, Buffer, mmap).
 */
type BlockDecoder = (src: Uint8Array, at: number, out: Float32Array, outAt: number, blocks: number) => void;

interface BlockFormat {
  /** Elements per block. */
  readonly elements: number;
  /** Bytes per block. */
  readonly bytes: number;
  readonly decode: BlockDecoder;
}

/** IEEE half → float32 for all 65536 bit patterns (256 KiB, built on first use in ≈1 ms). */
let halfTable: Float32Array | undefined;
function halfToFloatTable(): Float32Array {
  if (halfTable) return halfTable;
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    if (exp === 0) t[h] = sign * frac * 2 ** -24; // subnormal (and ±0)
    else if (exp === 31) t[h] = frac ? NaN : sign * Infinity;
    else t[h] = sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  return (halfTable = t);
}

/** The float32 value of the little-endian IEEE half at src[at]. */
function half(t: Float32Array, src: Uint8Array, at: number): number {
  return t[src[at]! | (src[at + 1]! << 8)]!;
}

/** Reinterprets 32 bits as a float32 (for F32 data at any alignment, BF16 and Q8_K scales). */
const bitsF32 = new Float32Array(1);
const bitsU32 = new Uint32Array(bitsF32.buffer);
function u32AsFloat(bits: number): number {
  bitsU32[0] = bits;
  return bitsF32[0]!;
}
function readU32(src: Uint8Array, at: number): number {
  return (src[at]! | (src[at + 1]! << 8) | (src[at + 2]! << 16) | (src[at + 3]! << 24)) >>> 0;
}

const decodeF32: BlockDecoder = (src, at, out, outAt, n) => {
  if ((src.byteOffset + at) % 4 === 0) {
    out.set(new Float32Array(src.buffer, src.byteOffset + at, n), outAt);
    return;
  }
  for (let i = 0; i < n; i++) out[outAt + i] = u32AsFloat(readU32(src, at + 4 * i));
};

const decodeF16: BlockDecoder = (src, at, out, outAt, n) => {
  const t = halfToFloatTable();
  for (let i = 0; i < n; i++) out[outAt + i] = t[src[at + 2 * i]! | (src[at + 2 * i + 1]! << 8)]!;
};

/** BF16 is the upper half of a float32. */
const decodeBf16: BlockDecoder = (src, at, out, outAt, n) => {
  for (let i = 0; i < n; i++) out[outAt + i] = u32AsFloat(((src[at + 2 * i]! << 16) | (src[at + 2 * i + 1]! << 24)) >>> 0);
};

/** Q4_0, 18 bytes per 32: f16 scale d, 16 bytes of nibbles (low nibbles first half, high second); x = (q − 8)·d. */
const decodeQ4_0: BlockDecoder = (src, at, out, outAt, blocks) => {
  const t = halfToFloatTable();
  for (let b = 0; b < blocks; b++, at += 18, outAt += 32) {
    const d = half(t, src, at);
    for (let j = 0; j < 16; j++) {
      const q = src[at + 2 + j]!;
      out[outAt + j] = ((q & 15) - 8) * d;
      out[outAt + j + 16] = ((q >> 4) - 8) * d;
    }
  }
};

/** Q4_1, 20 bytes per 32: f16 d, f16 m, 16 bytes of nibbles; x = q·d + m. */
const decodeQ4_1: BlockDecoder = (src, at, out, outAt, blocks) => {
  const t = halfToFloatTable();
  for (let b = 0; b < blocks; b++, at += 20, outAt += 32) {
    const d = half(t, src, at);
    const m = half(t, src, at + 2);
    for (let j = 0; j < 16; j++) {
      const q = src[at + 4 + j]!;
      out[outAt + j] = (q & 15) * d + m;
      out[outAt + j + 16] = (q >> 4) * d + m;
    }
  }
};

/** Q5_0, 22 bytes per 32: f16 d, u32 of fifth bits (bit j for element j), nibbles; x = (q − 16)·d. */
const decodeQ5_0: BlockDecoder = (src, at, out, outAt, blocks) => {
  const t = halfToFloatTable();
  for (let b = 0; b < blocks; b++, at += 22, outAt += 32) {
    const d = half(t, src, at);
    const qh = readU32(src, at + 2);
    for (let j = 0; j < 16; j++) {
      const q = src[at + 6 + j]!;
      out[outAt + j] = (((q & 15) | (((qh >>> j) & 1) << 4)) - 16) * d;
      out[outAt + j + 16] = (((q >> 4) | (((qh >>> (j + 16)) & 1) << 4)) - 16) * d;
    }
  }
};

/** Q5_1, 24 bytes per 32: f16 d, f16 m, u32 fifth bits, nibbles; x = q·d + m. */
const decodeQ5_1: BlockDecoder = (src, at, out, outAt, blocks) => {
  const t = halfToFloatTable();
  for (let b = 0; b < blocks; b++, at += 24, outAt += 32) {
    const d = half(t, src, at);
    const m = half(t, src, at + 2);
    const qh = readU32(src, at + 4);
    for (let j = 0; j < 16; j++) {
      const q = src[at + 8 + j]!;
      out[outAt + j] = ((q & 15) | (((qh >>> j) & 1) << 4)) * d + m;
      out[outAt + j + 16] = ((q >> 4) | (((qh >>> (j + 16)) & 1) << 4)) * d + m;
    }
  }
};

/** Q8_0, 34 bytes per 32: f16 d, 32 signed bytes; x = q·d. */
const decodeQ8_0: BlockDecoder = (src, at, out, outAt, blocks) => {
  const t = halfToFloatTable();
  for (let b = 0; b < blocks; b++, at += 34, outAt += 32) {
    const d = half(t, src, at);
    for (let j = 0; j < 32; j++) out[outAt + j] = ((src[at + 2 + j]! << 24) >> 24) * d;
  }
};

/**
 * Q2_K, 84 bytes per 256: 16 bytes of 4-bit (scale, min) pairs, 64 bytes of 2-bit quants, f16 d,
 * f16 dmin. Sixteen groups of 16; group g uses scale byte g; x = d·(s & 15)·q − dmin·(s >> 4).
 * Quants: each 128-element half reads 32 bytes four times, at bit shifts 0, 2, 4, 6.
 */
const decodeQ2_K: BlockDecoder = (src, at, out, outAt, blocks) => {
  const t = halfToFloatTable();
  for (let b = 0; b < blocks; b++, at += 84) {
    const d = half(t, src, at + 80);
    const dmin = half(t, src, at + 82);
    let g = 0;
    for (let halfAt = at + 16; halfAt < at + 80; halfAt += 32) {
      for (let shift = 0; shift < 8; shift += 2) {
        for (let part = 0; part < 32; part += 16, g++) {
          const s = src[at + g]!;
          const dl = d * (s & 15);
          const ml = dmin * (s >> 4);
          for (let l = 0; l < 16; l++) out[outAt++] = dl * ((src[halfAt + part + l]! >> shift) & 3) - ml;
        }
      }
    }
  }
};

/**
 * The sixteen 6-bit scales of a Q3_K block (12 bytes at `s`): low 4 bits from bytes 0–7 (low
 * nibbles for scales 0–7, high nibbles for 8–15), high 2 bits from bytes 8–11 (scale i takes
 * bits 2·(i >> 2) of byte 8 + (i & 3)); stored with an offset of 32.
 */
function q3kScales(src: Uint8Array, s: number, into: Int8Array): void {
  for (let i = 0; i < 16; i++) {
    const low = i < 8 ? src[s + i]! & 15 : src[s + i - 8]! >> 4;
    const high = (src[s + 8 + (i & 3)]! >> (2 * (i >> 2))) & 3;
    into[i] = (low | (high << 4)) - 32;
  }
}

/**
 * Q3_K, 110 bytes per 256: 32 bytes of high bits (hmask), 64 bytes of 2-bit low quants, 12 bytes
 * of packed 6-bit scales, f16 d. x = d·scale·(q − (high bit set ? 0 : 4)); quants laid out as
 * Q2_K's; the high-bit mask advances one bit per 32-byte pass (eight passes over the 32 bytes).
 */
const q3Scales = new Int8Array(16);
const decodeQ3_K: BlockDecoder = (src, at, out, outAt, blocks) => {
  const t = halfToFloatTable();
  for (let b = 0; b < blocks; b++, at += 110) {
    const d = half(t, src, at + 108);
    q3kScales(src, at + 96, q3Scales);
    let g = 0;
    let bit = 0;
    for (let halfAt = at + 32; halfAt < at + 96; halfAt += 32) {
      for (let shift = 0; shift < 8; shift += 2, bit++) {
        for (let part = 0; part < 32; part += 16, g++) {
          const dl = d * q3Scales[g]!;
          for (let l = 0; l < 16; l++) {
            const low = (src[halfAt + part + l]! >> shift) & 3;
            const high = (src[at + part + l]! >> bit) & 1;
            out[outAt++] = dl * (low - (high ? 0 : 4));
          }
        }
      }
    }
  }
};

/**
 * Scale and min j (0–7) of a Q4_K/Q5_K block, 6 bits each packed in 12 bytes at `s`: j < 4 in
 * the low 6 bits of bytes j and j + 4; j ≥ 4 as a nibble of byte j + 4 plus the top 2 bits of
 * bytes j − 4 (scale) and j (min).
 */
function kScale(src: Uint8Array, s: number, j: number): number {
  return j < 4 ? src[s + j]! & 63 : (src[s + j + 4]! & 15) | ((src[s + j - 4]! >> 6) << 4);
}
function kMin(src: Uint8Array, s: number, j: number): number {
  return j < 4 ? src[s + j + 4]! & 63 : (src[s + j + 4]! >> 4) | ((src[s + j]! >> 6) << 4);
}

/**
 * Q4_K, 144 bytes per 256: f16 d, f16 dmin, 12 bytes of scales/mins, 128 bytes of nibbles. Eight
 * groups of 32; each 64 elements read 32 bytes, low nibbles (group 2k) then high (group 2k + 1);
 * x = d·scale·q − dmin·min.
 */
const decodeQ4_K: BlockDecoder = (src, at, out, outAt, blocks) => {
  const t = halfToFloatTable();
  for (let b = 0; b < blocks; b++, at += 144) {
    const d = half(t, src, at);
    const dmin = half(t, src, at + 2);
    for (let k = 0; k < 4; k++) {
      const q = at + 16 + 32 * k;
      const d1 = d * kScale(src, at + 4, 2 * k);
      const m1 = dmin * kMin(src, at + 4, 2 * k);
      const d2 = d * kScale(src, at + 4, 2 * k + 1);
      const m2 = dmin * kMin(src, at + 4, 2 * k + 1);
      for (let l = 0; l < 32; l++) out[outAt++] = d1 * (src[q + l]! & 15) - m1;
      for (let l = 0; l < 32; l++) out[outAt++] = d2 * (src[q + l]! >> 4) - m2;
    }
  }
};

/**
 * Q5_K, 176 bytes per 256: as Q4_K plus 32 bytes of fifth bits (qh) before the nibbles; group
 * 2k takes bit 2k of qh[l], group 2k + 1 bit 2k + 1.
 */
const decodeQ5_K: BlockDecoder = (src, at, out, outAt, blocks) => {
  const t = halfToFloatTable();
  for (let b = 0; b < blocks; b++, at += 176) {
    const d = half(t, src, at);
    const dmin = half(t, src, at + 2);
    const qh = at + 16;
    for (let k = 0; k < 4; k++) {
      const q = at + 48 + 32 * k;
      const d1 = d * kScale(src, at + 4, 2 * k);
      const m1 = dmin * kMin(src, at + 4, 2 * k);
      const d2 = d * kScale(src, at + 4, 2 * k + 1);
      const m2 = dmin * kMin(src, at + 4, 2 * k + 1);
      for (let l = 0; l < 32; l++) out[outAt++] = d1 * ((src[q + l]! & 15) | (((src[qh + l]! >> (2 * k)) & 1) << 4)) - m1;
      for (let l = 0; l < 32; l++) out[outAt++] = d2 * ((src[q + l]! >> 4) | (((src[qh + l]! >> (2 * k + 1)) & 1) << 4)) - m2;
    }
  }
};

/**
 * Q6_K, 210 bytes per 256: 128 bytes of low nibbles (ql), 64 bytes of 2-bit high parts (qh), 16
 * signed 8-bit scales, f16 d. Each 128-element half uses 64 ql bytes, 32 qh bytes and 8 scales:
 * element l + 32·p (p = 0–3) takes the low/high nibble of ql[l] or ql[l + 32] and bits 2p of
 * qh[l], scale 2p + (l ≥ 16); x = d·scale·(q − 32).
 */
const decodeQ6_K: BlockDecoder = (src, at, out, outAt, blocks) => {
  const t = halfToFloatTable();
  for (let b = 0; b < blocks; b++, at += 210) {
    const d = half(t, src, at + 208);
    for (let h = 0; h < 2; h++, outAt += 128) {
      const ql = at + 64 * h;
      const qh = at + 128 + 32 * h;
      const sc = at + 192 + 8 * h;
      for (let l = 0; l < 32; l++) {
        const is = l >> 4;
        const lo0 = src[ql + l]!;
        const lo1 = src[ql + l + 32]!;
        const hi = src[qh + l]!;
        out[outAt + l] = d * ((src[sc + is]! << 24) >> 24) * (((lo0 & 15) | ((hi & 3) << 4)) - 32);
        out[outAt + l + 32] = d * ((src[sc + is + 2]! << 24) >> 24) * (((lo1 & 15) | (((hi >> 2) & 3) << 4)) - 32);
        out[outAt + l + 64] = d * ((src[sc + is + 4]! << 24) >> 24) * (((lo0 >> 4) | (((hi >> 4) & 3) << 4)) - 32);
        out[outAt + l + 96] = d * ((src[sc + is + 6]! << 24) >> 24) * (((lo1 >> 4) | (((hi >> 6) & 3) << 4)) - 32);
      }
    }
  }
};

/** Q8_K, 292 bytes per 256: f32 d, 256 signed bytes, 16 i16 group sums (unused here); x = q·d. */
const decodeQ8_K: BlockDecoder = (src, at, out, outAt, blocks) => {
  for (let b = 0; b < blocks; b++, at += 292, outAt += 256) {
    const d = u32AsFloat(readU32(src, at));
    for (let j = 0; j < 256; j++) out[outAt + j] = ((src[at + 4 + j]! << 24) >> 24) * d;
  }
};

/** The 16 non-linear levels of IQ4_NL / IQ4_XS (ggml's kvalues_iq4nl). */
const IQ4_LEVELS = Int8Array.of(-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113);

/**
 * IQ4_NL, 18 bytes per 32: f16 d, 16 bytes of nibbles indexing IQ4_LEVELS (low nibbles first half);
 * x = d·level. Q4_0's layout, but Q4_0 keeps its own loop: decoding it through a level table
 * (q − 8 for q = 0..15) with this one made Q4_0 1.3× slower (7.9 against 5.8 ms per 4M elements).
 */
const decodeIq4Nl: BlockDecoder = (src, at, out, outAt, blocks) => {
  const t = halfToFloatTable();
  for (let b = 0; b < blocks; b++, at += 18, outAt += 32) {
    const d = half(t, src, at);
    for (let j = 0; j < 16; j++) {
      const q = src[at + 2 + j]!;
      out[outAt + j] = d * IQ4_LEVELS[q & 15]!;
      out[outAt + j + 16] = d * IQ4_LEVELS[q >> 4]!;
    }
  }
};

/**
 * IQ4_XS, 136 bytes per 256: f16 d, u16 of high scale bits, 4 bytes of low scale nibbles, 128
 * bytes of IQ4_NL-style nibbles. Eight groups of 32 with 6-bit scales: low nibble of byte g/2
 * (high nibble for odd g), high 2 bits at bit 2g of the u16; x = d·(scale − 32)·level.
 */
const decodeIq4Xs: BlockDecoder = (src, at, out, outAt, blocks) => {
  const t = halfToFloatTable();
  for (let b = 0; b < blocks; b++, at += 136) {
    const d = half(t, src, at);
    const high = src[at + 2]! | (src[at + 3]! << 8);
    for (let g = 0; g < 8; g++, outAt += 32) {
      const scale = ((src[at + 4 + (g >> 1)]! >> (4 * (g & 1))) & 15) | (((high >> (2 * g)) & 3) << 4);
      const dl = d * (scale - 32);
      const q = at + 8 + 16 * g;
      for (let j = 0; j < 16; j++) {
        out[outAt + j] = dl * IQ4_LEVELS[src[q + j]! & 15]!;
        out[outAt + j + 16] = dl * IQ4_LEVELS[src[q + j]! >> 4]!;
      }
    }
  }
};

const FORMATS: ReadonlyMap<number, BlockFormat> = new Map<number, BlockFormat>([
  [GgmlType.F32, { elements: 1, bytes: 4, decode: decodeF32 }],
  [GgmlType.F16, { elements: 1, bytes: 2, decode: decodeF16 }],
  [GgmlType.BF16, { elements: 1, bytes: 2, decode: decodeBf16 }],
  [GgmlType.Q4_0, { elements: 32, bytes: 18, decode: decodeQ4_0 }],
  [GgmlType.Q4_1, { elements: 32, bytes: 20, decode: decodeQ4_1 }],
  [GgmlType.Q5_0, { elements: 32, bytes: 22, decode: decodeQ5_0 }],
  [GgmlType.Q5_1, { elements: 32, bytes: 24, decode: decodeQ5_1 }],
  [GgmlType.Q8_0, { elements: 32, bytes: 34, decode: decodeQ8_0 }],
  [GgmlType.Q2_K, { elements: 256, bytes: 84, decode: decodeQ2_K }],
  [GgmlType.Q3_K, { elements: 256, bytes: 110, decode: decodeQ3_K }],
  [GgmlType.Q4_K, { elements: 256, bytes: 144, decode: decodeQ4_K }],
  [GgmlType.Q5_K, { elements: 256, bytes: 176, decode: decodeQ5_K }],
  [GgmlType.Q6_K, { elements: 256, bytes: 210, decode: decodeQ6_K }],
  [GgmlType.Q8_K, { elements: 256, bytes: 292, decode: decodeQ8_K }],
  [GgmlType.IQ4_NL, { elements: 32, bytes: 18, decode: decodeIq4Nl }],
  [GgmlType.IQ4_XS, { elements: 256, bytes: 136, decode: decodeIq4Xs }],
]);

/** The ggml type ids this module decodes. */
export const SUPPORTED_GGML_TYPES: readonly number[] = [...FORMATS.keys()];

export function isDequantizable(type: number): boolean {
  return FORMATS.has(type);
}

function formatOf(type: number, what: string): BlockFormat {
  const f = FORMATS.get(type);
  if (!f) {
    const names = SUPPORTED_GGML_TYPES.map(ggmlTypeName).join(', ');
    throw new TokenscopeError('gguf-unsupported', `${what}: tensor type ${ggmlTypeName(type)} cannot be dequantized (supported: ${names})`);
  }
  return f;
}

/** Elements and bytes per block of `type`; throws `gguf-unsupported` for other types. */
export function ggmlBlockSize(type: number): { readonly elements: number; readonly bytes: number } {
  const f = formatOf(type, 'block size');
  return { elements: f.elements, bytes: f.bytes };
}

/**
 * Bytes of one row of `rowElements` elements of `type`. Throws `gguf-unsupported` for types not
 * decoded here and `gguf-invalid` when the row is not a whole number of blocks.
 */
export function rowByteLength(type: number, rowElements: number, what = 'row'): number {
  const f = formatOf(type, what);
  if (!Number.isInteger(rowElements) || rowElements <= 0 || rowElements % f.elements !== 0) {
    throw new TokenscopeError('gguf-invalid', `${what}: ${rowElements} elements per row is not a multiple of the ${ggmlTypeName(type)} block size ${f.elements}`);
  }
  return (rowElements / f.elements) * f.bytes;
}

/**
 * Decodes one row of `rowElements` elements of `type` from src[srcOffset…] into out[outOffset…].
 * Cost: O(rowElements), no allocation.
 */
export function dequantizeRow(type: number, src: Uint8Array, srcOffset: number, rowElements: number, out: Float32Array, outOffset = 0): void {
  const f = formatOf(type, 'dequantizeRow');
  const blocks = rowElements / f.elements;
  if (!Number.isInteger(blocks)) throw new TokenscopeError('gguf-invalid', `dequantizeRow: ${rowElements} is not a multiple of the ${ggmlTypeName(type)} block size ${f.elements}`);
  if (srcOffset < 0 || srcOffset + blocks * f.bytes > src.length) throw new RangeError(`dequantizeRow: bytes ${srcOffset}+${blocks * f.bytes} outside a buffer of ${src.length}`);
  if (outOffset < 0 || outOffset + rowElements > out.length) throw new RangeError(`dequantizeRow: ${rowElements} floats at ${outOffset} do not fit in ${out.length}`);
  f.decode(src, srcOffset, out, outOffset, blocks);
}

/** A 2-D view of a tensor: rows of `rowElements` (GGUF dims[0]) elements, contiguous in the file. */
export interface MatrixLayout {
  readonly name: string;
  readonly type: number;
  /** Product of the outer dimensions (for token_embd: the vocabulary size). */
  readonly rows: number;
  /** Innermost dimension (for token_embd: n_embd). */
  readonly rowElements: number;
  readonly rowBytes: number;
  /** Absolute offset of row 0 in the file, in bytes. */
  readonly fileOffset: number;
  /** rows × rowBytes. */
  readonly byteLength: number;
}

/** The row layout of a GGUF tensor; throws `gguf-unsupported` for undecodable types. */
export function matrixLayout(t: Pick<GgufTensorInfo, 'name' | 'dims' | 'ggmlType' | 'fileOffset'>): MatrixLayout {
  const rowElements = t.dims[0] ?? 0;
  let rows = 1;
  for (let i = 1; i < t.dims.length; i++) rows *= t.dims[i]!;
  const rowBytes = rowByteLength(t.ggmlType, rowElements, `tensor ${t.name}`);
  return { name: t.name, type: t.ggmlType, rows, rowElements, rowBytes, fileOffset: t.fileOffset, byteLength: rows * rowBytes };
}

/**
 * Decodes row `row` of matrix `m` into `out` (≥ m.rowElements floats). `source` is an open file
 * descriptor (one `readSync` of rowBytes into `scratch`, allocated when not given) or the whole
 * file's bytes (indexed by absolute file offset, no copy). Returns `out`.
 */
export function readMatrixRow(source: number | Uint8Array, m: MatrixLayout, row: number, out: Float32Array, scratch?: Uint8Array): Float32Array {
  if (!(Number.isInteger(row) && row >= 0 && row < m.rows)) throw new RangeError(`${m.name}: row ${row} outside 0..${m.rows - 1}`);
  const at = m.fileOffset + row * m.rowBytes;
  if (typeof source !== 'number') {
    dequantizeRow(m.type, source, at, m.rowElements, out);
    return out;
  }
  const buf = scratch && scratch.length >= m.rowBytes ? scratch : new Uint8Array(m.rowBytes);
  let got = 0;
  while (got < m.rowBytes) {
    const n = fs.readSync(source, buf, got, m.rowBytes - got, at + got);
    if (n <= 0) throw new TokenscopeError('gguf-invalid', `${m.name}: file ends inside row ${row}`);
    got += n;
  }
  dequantizeRow(m.type, buf, 0, m.rowElements, out);
  return out;
}

export interface RowStreamOptions {
  /** First row (default 0) and end row (exclusive, default m.rows). */
  readonly firstRow?: number;
  readonly endRow?: number;
  /**
   * Bytes per read (rounded down to whole rows, at least one row). Two buffers of this size are
   * allocated: one is decoded while the next is read. Default 4 MiB.
   */
  readonly chunkBytes?: number;
  /**
   * The two read buffers to use instead of allocating them (callers that stream the same matrix
   * several times reuse them); each must hold at least one row. Overrides chunkBytes.
   */
  readonly buffers?: readonly [Uint8Array, Uint8Array];
  readonly signal?: AbortSignal;
  /** Receives every chunk of raw bytes, in file order, before it is decoded (e.g. for hashing). */
  readonly onBytes?: (bytes: Uint8Array) => void;
  /** Called after each chunk with the number of rows done so far. */
  readonly onChunk?: (rowsDone: number) => void;
}

/** An AbortError (checked by `isAbortError`). */
export function abortError(message = 'cancelled'): Error {
  const e = new Error(message);
  e.name = 'AbortError';
  return e;
}

/**
 * Streams rows [firstRow, endRow) of matrix `m` from an open file: `visit(row, values)` gets each
 * row decoded into one reused Float32Array (valid only during the call). Reads are asynchronous
 * and double-buffered, so decoding a chunk overlaps reading the next, and the event loop turns
 * between chunks (an abort from another thread's message is seen within one chunk). Memory:
 * 2 × chunkBytes + one row of floats, whatever the matrix size. Throws an AbortError when
 * `signal` aborts.
 */
export async function streamMatrixRows(
  file: fs.promises.FileHandle,
  m: MatrixLayout,
  options: RowStreamOptions,
  visit: (row: number, values: Float32Array) => void,
): Promise<void> {
  const first = options.firstRow ?? 0;
  const end = options.endRow ?? m.rows;
  if (first < 0 || end > m.rows || first > end) throw new RangeError(`${m.name}: rows ${first}..${end} outside 0..${m.rows}`);
  const given = options.buffers;
  if (given && Math.min(given[0].length, given[1].length) < m.rowBytes) throw new RangeError(`${m.name}: read buffers smaller than one row (${m.rowBytes} bytes)`);
  const rowsPerChunk = Math.max(1, Math.floor((given ? Math.min(given[0].length, given[1].length) : (options.chunkBytes ?? 4 << 20)) / m.rowBytes));
  const chunkBytes = Math.min(rowsPerChunk, Math.max(1, end - first)) * m.rowBytes;
  const buffers = given ?? ([new Uint8Array(chunkBytes), new Uint8Array(chunkBytes)] as const);
  const values = new Float32Array(m.rowElements);
  const format = formatOf(m.type, m.name);
  const blocks = m.rowElements / format.elements;

  const readChunk = async (buf: Uint8Array, row: number): Promise<number> => {
    const rows = Math.min(rowsPerChunk, end - row);
    const want = rows * m.rowBytes;
    let got = 0;
    while (got < want) {
      const { bytesRead } = await file.read(buf, got, want - got, m.fileOffset + row * m.rowBytes + got);
      if (bytesRead <= 0) throw new TokenscopeError('gguf-invalid', `${m.name}: file ends inside the tensor data (row ${row + Math.floor(got / m.rowBytes)})`);
      got += bytesRead;
    }
    return rows;
  };

  let row = first;
  let which = 0;
  let pending: Promise<number> | undefined = row < end ? readChunk(buffers[0], row) : undefined;
  while (pending) {
    const rows = await pending;
    if (options.signal?.aborted) throw abortError();
    const buf = buffers[which]!;
    const next = row + rows;
    which ^= 1;
    pending = next < end ? readChunk(buffers[which]!, next) : undefined;
    // Keep the read-ahead from rejecting unobserved if decoding below throws.
    pending?.catch(() => undefined);
    options.onBytes?.(buf.subarray(0, rows * m.rowBytes));
    for (let i = 0; i < rows; i++) {
      format.decode(buf, i * m.rowBytes, values, 0, blocks);
      visit(row + i, values);
    }
    row = next;
    options.onChunk?.(row - first);
  }
}
