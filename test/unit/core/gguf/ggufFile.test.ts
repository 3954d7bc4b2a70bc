import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { isTokenscopeError } from '../../../../src/common/errors';
import { GgufFile, GgufStringArray, GgufType, type GgufValue } from '../../../../src/core/gguf/ggufFile';
import { writeGguf, type KvValue } from './ggufWriter';
import { ensureVocabs, readGgufWithNodeLlamaCpp, vocabPath } from './vocabFixtures';

/** Our value in the shape node-llama-cpp's reader returns (plain arrays, numbers, bigints, booleans). */
function plain(v: GgufValue, elementType?: number): unknown {
  if (v instanceof GgufStringArray) return v.toArray();
  if (elementType === GgufType.Bool && v instanceof Uint8Array) return Array.from(v, (x) => x !== 0);
  if (ArrayBuffer.isView(v)) return Array.from(v as ArrayLike<number | bigint>);
  if (typeof v === 'object' && 'items' in v) return v.items.map(plain);
  return v;
}

/** Flattens node-llama-cpp's nested metadata ("a.b.c" → value) down to arrays and primitives. */
function flatten(obj: unknown, prefix = '', out = new Map<string, unknown>()): Map<string, unknown> {
  if (obj !== null && typeof obj === 'object' && !Array.isArray(obj)) {
    for (const [k, v] of Object.entries(obj)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else {
    out.set(prefix, obj);
  }
  return out;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  if ((typeof a === 'bigint' || typeof b === 'bigint') && (typeof a === 'number' || typeof a === 'bigint') && (typeof b === 'number' || typeof b === 'bigint')) {
    return BigInt(a) === BigInt(b);
  }
  return Object.is(a, b) || (typeof a === 'number' && typeof b === 'number' && a === b);
}

const tmpDirs: string[] = [];
function tmpFile(name: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tokenscope-gguf-'));
  tmpDirs.push(dir);
  return path.join(dir, name);
}

function assertGgufError(fn: () => unknown, code: string, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isTokenscopeError(e, code), `expected TokenscopeError ${code}, got ${String(e)}`);
    assert.match(e.message, pattern);
    return true;
  });
}

describe('core/gguf: GGUF file reader', function () {
  this.timeout(120000);
  before(async () => {
    await ensureVocabs();
  });
  after(() => {
    for (const d of tmpDirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  for (const name of ['gpt-2', 'qwen2', 'llama-spm', 'phi-3', 'deepseek-llm', 'falcon']) {
    it(`reads ggml-vocab-${name}.gguf exactly as node-llama-cpp's reader does (every key, every value)`, async () => {
      const file = vocabPath(name);
      const ours = GgufFile.open(file);
      const theirs = await readGgufWithNodeLlamaCpp(file);
      assert.strictEqual(ours.version, theirs.version);
      const expected = flatten(theirs.metadata);
      assert.deepStrictEqual([...ours.keys].sort(), [...expected.keys()].sort());
      for (const key of ours.keys) {
        const a = plain(ours.get(key)!, ours.entry(key)!.elementType);
        const b = expected.get(key);
        assert.ok(sameValue(a, b), `${name}: ${key} differs: ${JSON.stringify(a, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))?.slice(0, 200)}`);
      }
      assert.strictEqual(ours.tensors.length, 0);
      if (theirs.infoEndOffset !== undefined) assert.strictEqual(ours.dataOffset, theirs.infoEndOffset);
    });
  }

  it('exposes typed accessors for the vocab metadata', () => {
    const g = GgufFile.open(vocabPath('llama-spm'));
    assert.strictEqual(g.getString('tokenizer.ggml.model'), 'llama');
    assert.strictEqual(g.getInteger('tokenizer.ggml.bos_token_id'), 1);
    const tokens = g.getStringArray('tokenizer.ggml.tokens')!;
    assert.strictEqual(tokens.length, 32000);
    assert.strictEqual(tokens.at(13), '<0x0A>');
    assert.strictEqual(g.getFloat32Array('tokenizer.ggml.scores')!.length, 32000);
    assert.strictEqual(g.getInt32Array('tokenizer.ggml.token_type')![13], 6);
    assert.strictEqual(g.getString('no.such.key'), undefined);
    assertGgufError(() => g.getString('tokenizer.ggml.bos_token_id'), 'gguf-invalid', /expected string/);
    assertGgufError(() => g.getInt32Array('tokenizer.ggml.scores'), 'gguf-invalid', /array of f32, expected i32 array/);
  });

  it('reads every value type, tensor infos and aligned data offsets like node-llama-cpp', async () => {
    const file = tmpFile('synthetic.gguf');
    const kv: Array<[string, KvValue]> = [
      ['general.architecture', { type: 'string', value: 'llama' }],
      ['general.alignment', { type: 'u32', value: 64 }],
      ['t.u8', { type: 'u8', value: 250 }],
      ['t.i8', { type: 'i8', value: -5 }],
      ['t.u16', { type: 'u16', value: 65000 }],
      ['t.i16', { type: 'i16', value: -30000 }],
      ['t.u32', { type: 'u32', value: 4000000000 }],
      ['t.i32', { type: 'i32', value: -2000000000 }],
      ['t.f32', { type: 'f32', value: 0.5 }],
      ['t.f64', { type: 'f64', value: Math.PI }],
      ['t.u64', { type: 'u64', value: 1n << 40n }],
      ['t.i64', { type: 'i64', value: -(1n << 40n) }],
      ['t.bool', { type: 'bool', value: true }],
      ['t.str', { type: 'string', value: 'héllo ▁ 🙂' }],
      ['t.strs', { type: 'array', elementType: 'string', value: ['a', '', 'ĠHello', '\ufeffbom', '🙂'] }],
      ['t.i32s', { type: 'array', elementType: 'i32', value: [1, -2, 3] }],
      ['t.f32s', { type: 'array', elementType: 'f32', value: [0.25, -1.5] }],
      ['t.u64s', { type: 'array', elementType: 'u64', value: [1n, 2n] }],
      ['t.bools', { type: 'array', elementType: 'bool', value: [true, false] }],
    ];
    writeGguf(file, {
      kv,
      alignment: 64,
      tensors: [
        { name: 'token_embd.weight', dims: [8, 4], ggmlType: 0, dataBytes: 8 * 4 * 4 },
        { name: 'output.weight', dims: [8], ggmlType: 1, dataBytes: 16 },
      ],
    });
    const g = GgufFile.open(file);
    const theirs = await readGgufWithNodeLlamaCpp(file);
    const expected = flatten(theirs.metadata);
    for (const [key] of kv) assert.ok(sameValue(plain(g.get(key)!, g.entry(key)!.elementType), expected.get(key)), key);
    assert.strictEqual(g.getInteger('t.u64'), 2 ** 40);
    assert.strictEqual(g.getBool('t.bool'), true);
    assert.deepStrictEqual(g.getStringArray('t.strs')!.toArray(), ['a', '', 'ĠHello', '\ufeffbom', '🙂']);
    assert.strictEqual(g.alignment, 64);
    assert.strictEqual(g.dataOffset % 64, 0);
    assert.strictEqual(g.tensors.length, 2);
    theirs.tensorInfo!.forEach((t, i) => {
      const ours = g.tensors[i]!;
      assert.strictEqual(ours.name, t.name);
      assert.deepStrictEqual(ours.dims, t.dimensions.map(Number));
      assert.strictEqual(ours.ggmlType, t.ggmlType);
      assert.strictEqual(ours.relativeOffset, Number(t.offset));
      assert.strictEqual(ours.fileOffset, Number(t.fileOffset));
    });
    assert.strictEqual(g.tensors[1]!.fileOffset, g.dataOffset + 128);
  });

  it('reads the header of a file with gigabytes of tensor data without reading the data', () => {
    const file = tmpFile('sparse.gguf');
    const gib = 4 * 1024 ** 3;
    writeGguf(file, { kv: [['general.architecture', { type: 'string', value: 'llama' }]], tensors: [{ name: 'w', dims: [gib / 2], ggmlType: 1, dataBytes: 0 }] });
    // sparse (no disk used) on the file systems the tests run on (ext4, xfs, btrfs, tmpfs, overlayfs);
    // where it is not, this fails instead of silently skipping
    fs.truncateSync(file, gib);
    const t0 = performance.now();
    const g = GgufFile.open(file);
    assert.ok(performance.now() - t0 < 500, 'header parse must not touch tensor data');
    assert.strictEqual(g.fileSize, gib);
    assert.strictEqual(g.tensors[0]!.dims[0], gib / 2);
  });

  it('fails with typed errors: missing file, bad magic, unsupported version, truncation', () => {
    assertGgufError(() => GgufFile.open(path.join(os.tmpdir(), 'no-such-dir-tokenscope', 'x.gguf')), 'gguf-not-found', /not found/);
    assertGgufError(() => GgufFile.open(os.tmpdir()), 'gguf-invalid', /directory/);

    const bad = tmpFile('bad.gguf');
    writeGguf(bad, { kv: [], magic: 'GGML' });
    assertGgufError(() => GgufFile.open(bad), 'gguf-invalid', /not a GGUF file \(bad magic\)/);
    fs.writeFileSync(bad, Buffer.from('GG'));
    assertGgufError(() => GgufFile.open(bad), 'gguf-invalid', /bad magic|truncated/);

    for (const [version, why] of [[1, /version 1 .*obsolete/], [4, /version 4/], [0x03000000, /big-endian/]] as const) {
      writeGguf(bad, { kv: [], version });
      assertGgufError(() => GgufFile.open(bad), 'gguf-unsupported', why);
    }

    // a real vocab cut in the middle of its token list
    const full = fs.readFileSync(vocabPath('qwen2'));
    const cut = tmpFile('cut.gguf');
    fs.writeFileSync(cut, full.subarray(0, full.length >> 1));
    assertGgufError(() => GgufFile.open(cut), 'gguf-invalid', /truncated GGUF file: tokenizer\.ggml\.\w+ (needs \d+ bytes at offset \d+, but the file has \d+ bytes|claims \d+ elements)/);
    fs.writeFileSync(cut, full.subarray(0, 30));
    assertGgufError(() => GgufFile.open(cut), 'gguf-invalid', /truncated/);
    // cut inside the last value (a string): the short read is reported for that value
    fs.writeFileSync(cut, full.subarray(0, full.length - 10));
    assertGgufError(() => GgufFile.open(cut), 'gguf-invalid', /truncated GGUF file: .* needs \d+ bytes/);
  });

  it('rejects an unknown value type with gguf-unsupported', () => {
    const file = tmpFile('badtype.gguf');
    const buf = Buffer.from(
      // magic, version 3, 0 tensors, 1 kv: key "k", type 13
      '4747554603000000' + '0000000000000000' + '0100000000000000' + '0100000000000000' + '6b' + '0d000000',
      'hex',
    );
    fs.writeFileSync(file, buf);
    assertGgufError(() => GgufFile.open(file), 'gguf-unsupported', /unknown value type 13/);
  });
});
