import * as assert from 'assert';
import { DocumentTokens } from '../../../../src/core/tokenizer/documentTokens';
import type { EncodingName } from '../../../../src/core/tokenizer/encodings';
import { fastTokenizer, firstDifference } from './oracle';
import { PIECES, Rng } from './random';

/** Text for inserts: the tricky pieces plus code-like runs, CRLF, long whitespace and special tokens. */
const INSERTS: readonly string[] = [
  ...PIECES,
  '\r\n',
  '\n\n\n',
  '        ',
  '\t\t',
  'function f(x) {\n  return x + 1;\n}\n',
  '    if (a &&& b) { c(); }\r\n',
  '// comment\n',
  'ZWJ👨‍👩‍👧‍👦family',
  'naïve café',
  '<|endoftext|><|im_start|>user\n',
  'x'.repeat(40),
  ' '.repeat(33),
];

function randomInsert(rng: Rng): string {
  let s = '';
  const n = rng.int(4);
  for (let i = 0; i <= n; i++) s += rng.pick(INSERTS);
  return s;
}

/** An edit position that is often next to whitespace, CR/LF or a surrogate (the hard places). */
function randomOffset(rng: Rng, text: string): number {
  if (text.length === 0 || rng.int(3) > 0) return rng.int(text.length + 1);
  const targets = ['\n', ' ', '\r', '\t', '\ud83d', "'"];
  const t = rng.pick(targets);
  const at = text.indexOf(t, rng.int(text.length));
  return at < 0 ? text.length : at + rng.int(2);
}

function assertEqualsFullEncode(doc: DocumentTokens, name: EncodingName, label: string): void {
  const text = doc.getText();
  const full = fastTokenizer(name).encode(text);
  const inc = doc.ids();
  const d = firstDifference(inc, full);
  if (d >= 0) assert.fail(`${label}: incremental differs from a full encode at token ${d} (${inc[d]} vs ${full[d]}) in ${JSON.stringify(text.slice(0, 400))}`);
  assert.strictEqual(doc.tokenCount, full.length);
  doc.checkInvariants();
}

function runRandomEdits(name: EncodingName, seed: number, edits: number, blockTarget: number): void {
  const rng = new Rng(seed);
  const tok = fastTokenizer(name);
  let text = '';
  for (let i = 0; i < 30; i++) text += randomInsert(rng);
  const doc = DocumentTokens.build(tok, text, { blockTarget });
  for (let k = 0; k < edits; k++) {
    const cur = doc.getText();
    const off = randomOffset(rng, cur);
    const maxDel = cur.length - off;
    const del = rng.int(8) === 0 ? rng.int(maxDel + 1) : Math.min(maxDel, rng.int(6));
    const ins = rng.int(4) === 0 ? '' : randomInsert(rng);
    doc.applyEdit(off, del, ins);
    const expected = cur.slice(0, off) + ins + cur.slice(off + del);
    if (doc.getText() !== expected) assert.fail(`edit #${k}: text diverged`);
    assertEqualsFullEncode(doc, name, `${name} seed ${seed} edit #${k} (${off}, -${del}, +${JSON.stringify(ins)})`);
    // keep the document between ~200 and ~3,000 code units so a full encode per edit stays cheap
    if (doc.length > 3000) doc.applyEdit(0, doc.length - 1500, '');
  }
}

describe('core/tokenizer/documentTokens', function () {
  this.timeout(600000);

  it('100,000 random edits (o200k, tiny blocks): incremental == full re-encode after every edit', () => {
    runRandomEdits('o200k_base', 1, 60000, 64);
    runRandomEdits('o200k_base', 2, 40000, 4096);
  });

  it('30,000 random edits each under cl100k, p50k and r50k', () => {
    runRandomEdits('cl100k_base', 3, 30000, 48);
    runRandomEdits('p50k_base', 4, 15000, 48);
    runRandomEdits('r50k_base', 5, 15000, 4096);
  });

  it('documents edited in turn share the edit scratch: each stays exact, also after a 520 K-character chunk', () => {
    // every edit builds its blocks in one module-wide scratch (fewer native allocations per keystroke);
    // interleaving documents of two encodings and a huge chunk (which grows the scratch past what is
    // kept between edits) must leave no state from one edit in the next
    const rng = new Rng(11);
    const docs = (['o200k_base', 'cl100k_base'] as const).map((name) => ({ name, doc: DocumentTokens.build(fastTokenizer(name), 'def f(x):\n    return x\n'.repeat(40), { blockTarget: 256 }) }));
    for (let k = 0; k < 4000; k++) {
      const { name, doc } = docs[k % 2]!;
      if (k === 2000) doc.applyEdit(doc.length >> 1, 0, 'basesixtyfour'.repeat(40_000)); // one chunk (a letter run) of 520 K code units
      const off = randomOffset(rng, doc.getText());
      doc.applyEdit(off, Math.min(doc.length - off, rng.int(6)), rng.int(4) === 0 ? '' : randomInsert(rng));
      if (k % 97 === 0 || k === 2000) assertEqualsFullEncode(doc, name, `${name} edit #${k}`);
      if (doc.length > 4000 && k > 2000) doc.applyEdit(0, doc.length - 2000, '');
    }
    for (const { name, doc } of docs) assertEqualsFullEncode(doc, name, `${name} at the end`);
  });

  it('edits at the very start and end, deleting everything and typing into an empty document', () => {
    const tok = fastTokenizer('o200k_base');
    const doc = DocumentTokens.build(tok, '', { blockTarget: 16 });
    assert.strictEqual(doc.tokenCount, 0);
    for (const ch of 'function main() {\n  return 0;\n}\n') doc.applyEdit(doc.length, 0, ch);
    assertEqualsFullEncode(doc, 'o200k_base', 'typed');
    doc.applyEdit(0, 0, '  ');
    doc.applyEdit(doc.length, 0, '   ');
    assertEqualsFullEncode(doc, 'o200k_base', 'ends');
    doc.applyEdit(0, doc.length, '');
    assert.strictEqual(doc.tokenCount, 0);
    assert.strictEqual(doc.length, 0);
    doc.applyEdit(0, 0, 'again');
    assertEqualsFullEncode(doc, 'o200k_base', 'refilled');
  });

  it('re-lexes only a few chunks for a keystroke in a large document', () => {
    const tok = fastTokenizer('o200k_base');
    const line = '    const value = compute(alpha, beta) + 42; // note\n';
    const doc = DocumentTokens.build(tok, line.repeat(20000));
    const stats = doc.applyEdit(line.length * 10000 + 10, 0, 'x');
    assert.ok(stats.relexedChunks <= 8, `re-lexed ${stats.relexedChunks} chunks`);
    assertEqualsFullEncode(doc, 'o200k_base', 'large');
  });

  it('hand-made: digits, <|endoftext|> as text, trailing whitespace, a token ending mid-character', () => {
    const tok = fastTokenizer('o200k_base');
    const digits = DocumentTokens.build(tok, '1234567');
    assert.deepStrictEqual(digits.tokensInRange(0, 7).map((t) => [t.start, t.end]), [[0, 3], [3, 6], [6, 7]]);

    const special = DocumentTokens.build(tok, 'a<|endoftext|>b');
    assert.ok(special.tokenCount > 3);
    assert.ok(!Array.from(special.ids()).includes(199999));

    // Trailing whitespace at the end of the document is lexed as the end of the input (\s+(?!\S) takes it all)
    const trailing = DocumentTokens.build(tok, 'x = 1   ');
    trailing.applyEdit(trailing.length, 0, '  ');
    assertEqualsFullEncode(trailing, 'o200k_base', 'trailing');
    assert.strictEqual(trailing.getText(trailing.tokensInRange(7, 8)[0]!.start, trailing.length), '     ');

    // A token that ends inside a character: find one by scanning a CJK/emoji string under cl100k.
    const cl = fastTokenizer('cl100k_base');
    const text = '你好世界🙂👩‍👩‍👧 ǅ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ⟨√2⟩';
    const doc = DocumentTokens.build(cl, text);
    const spans = doc.tokensInRange(0, doc.length);
    const partial = spans.filter((s) => s.partial);
    assert.ok(partial.length > 0, 'expected tokens that split a character');
    for (const s of spans) {
      // never split a surrogate pair: spans start and end on code point boundaries
      assert.ok(!(s.start > 0 && text.charCodeAt(s.start) >= 0xdc00 && text.charCodeAt(s.start) <= 0xdfff), `span starts inside a pair at ${s.start}`);
      assert.ok(!(s.end < text.length && text.charCodeAt(s.end) >= 0xdc00 && text.charCodeAt(s.end) <= 0xdfff), `span ends inside a pair at ${s.end}`);
    }
    // spans are in order, cover the text, and index every token once
    assert.deepStrictEqual(spans.map((s) => s.index), spans.map((_, i) => i));
    assert.strictEqual(spans[0]!.start, 0);
    assert.strictEqual(spans[spans.length - 1]!.end, text.length);
  });

  it('tokensInRange and tokenAt agree with a full encode (byte → UTF-16 offsets)', () => {
    const tok = fastTokenizer('o200k_base');
    const rng = new Rng(7);
    for (let k = 0; k < 300; k++) {
      let text = '';
      for (let i = 0; i < 20; i++) text += randomInsert(rng);
      const doc = DocumentTokens.build(tok, text, { blockTarget: 32 });
      const spans = doc.tokensInRange(0, doc.length);
      assert.deepStrictEqual(Uint32Array.from(spans.map((s) => s.id)), tok.encode(text));
      // each span's text, re-encoded... spans partition the bytes: concatenated token bytes == text
      const bytes = tok.decodeBytes(spans.map((s) => s.id));
      assert.strictEqual(new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes), text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd'));
      const a = rng.int(text.length + 1);
      const b = a + rng.int(text.length - a + 1);
      const sub = doc.tokensInRange(a, b);
      assert.deepStrictEqual(sub, spans.filter((s) => s.end > a && s.start < b));
      if (a < text.length) {
        const t = doc.tokenAt(a)!;
        assert.ok(t.start <= a && t.end > a, `tokenAt(${a}) = [${t.start}, ${t.end})`);
      }
    }
  });

  it('countRange equals encoding the range alone, for short and long ranges', () => {
    const tok = fastTokenizer('o200k_base');
    const rng = new Rng(11);
    let text = '';
    while (text.length < 300_000) text += randomInsert(rng);
    const doc = DocumentTokens.build(tok, text);
    for (let k = 0; k < 60; k++) {
      const a = rng.int(text.length);
      const len = k % 2 === 0 ? rng.int(200) : 70_000 + rng.int(150_000);
      const b = Math.min(text.length, a + len);
      assert.strictEqual(doc.countRange(a, b), tok.count(text.slice(a, b)), `range [${a}, ${b})`);
    }
    assert.strictEqual(doc.countRange(0, text.length), tok.count(text));
  });
});
