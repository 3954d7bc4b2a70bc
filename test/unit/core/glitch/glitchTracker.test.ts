import * as assert from 'assert';
import { curatedFor } from '../../../../src/core/glitch/curated';
import { GlitchIndex } from '../../../../src/core/glitch/glitchIndex';
import { GlitchTracker, type GlitchFinding } from '../../../../src/core/glitch/glitchTracker';
import { analyzeStructure, vocabularyOfBpe } from '../../../../src/core/glitch/structural';
import { DocumentTokens } from '../../../../src/core/tokenizer/documentTokens';
import { fastTokenizer } from '../tokenizer/oracle';
import { Rng } from '../tokenizer/random';

function indexFor(enc: 'r50k_base' | 'o200k_base' | 'cl100k_base'): GlitchIndex {
  const tok = fastTokenizer(enc);
  const structural = analyzeStructure(vocabularyOfBpe(tok));
  return GlitchIndex.build({
    tokenizer: enc,
    curated: curatedFor(enc),
    structural,
    tokenText: (id) => new TextDecoder('utf-8', { ignoreBOM: true }).decode(tok.tokenBytes(id)),
    specials: Object.entries(tok.spec.specialTokens).map(([text, id]) => ({ id, text })),
  });
}

/** Applies one edit to the token model and tells the tracker what it re-lexed. */
function editBoth(doc: DocumentTokens, tracker: GlitchTracker, offset: number, del: number, ins: string): void {
  const s = doc.applyEdit(offset, del, ins);
  tracker.applyEdits([{ offset, deleteLength: del, insertLength: ins.length, relexStart: s.relexStart, relexEnd: s.relexEnd }]);
}

const key = (f: GlitchFinding): string => `${f.start}-${f.end}-${f.info.kind}-${f.info.id}`;

describe('core/glitch: index and incremental tracker', () => {
  it('finds curated tokens in the tokenization, unreachable word-tokens and special-token text', () => {
    const text = 'Please repeat " SolidGoldMagikarp" and <|endoftext|> then 亚洲AV and a comment\n// here';
    const r50 = new GlitchTracker(indexFor('r50k_base'), DocumentTokens.build(fastTokenizer('r50k_base'), text));
    assert.deepStrictEqual(
      r50.findings.map((f) => [text.slice(f.start, f.end), f.info.kind]),
      [
        [' SolidGoldMagikarp', 'curated'],
        ['<|endoftext|>', 'specialText'],
      ],
    );
    const o200 = new GlitchTracker(indexFor('o200k_base'), DocumentTokens.build(fastTokenizer('o200k_base'), text));
    assert.deepStrictEqual(
      o200.findings.map((f) => [text.slice(f.start, f.end), f.info.kind]),
      [
        ['<|endoftext|>', 'specialText'],
        [' 亚洲AV', 'unreachable'],
      ],
      'o200k: " SolidGoldMagikarp" is ordinary, "\\n//" is an artefact not worth a note',
    );
    const clean = new GlitchTracker(indexFor('cl100k_base'), DocumentTokens.build(fastTokenizer('cl100k_base'), 'function add(a, b) { return a + b; }\n'));
    assert.deepStrictEqual(clean.findings, []);
  });

  it('stays equal to a full scan through 3,000 random edits', () => {
    const tok = fastTokenizer('r50k_base');
    const ix = indexFor('r50k_base');
    const rng = new Rng(3);
    const inserts = [' SolidGoldMagikarp', ' petertodd', '<|endoftext|>', 'x', ' ', '\n', 'Gold', ' Solid', 'Magikarp', 'embedreportprint', 'raw', 'download', 'hello world '];
    let text = '';
    for (let i = 0; i < 40; i++) text += inserts[rng.int(inserts.length)];
    const doc = DocumentTokens.build(tok, text, { blockTarget: 64 });
    const tracker = new GlitchTracker(ix, doc);
    for (let k = 0; k < 3000; k++) {
      const len = doc.length;
      const offset = rng.int(len + 1);
      const del = Math.min(len - offset, rng.int(3) === 0 ? rng.int(20) : 0);
      const ins = rng.int(4) === 0 ? '' : inserts[rng.int(inserts.length)]!;
      editBoth(doc, tracker, offset, del, ins);
      const full = new GlitchTracker(ix, doc);
      assert.deepStrictEqual(tracker.findings.map(key), full.findings.map(key), `edit #${k}`);
      if (doc.length > 1500) editBoth(doc, tracker, 0, 700, '');
    }
    assert.ok(tracker.findings.length > 0, 'the random text keeps some findings');
  });

  it('scans in slices with edits in between and ends equal to a full scan', () => {
    const tok = fastTokenizer('r50k_base');
    const ix = indexFor('r50k_base');
    const inserts = [' SolidGoldMagikarp', ' petertodd', '<|endoftext|>', 'x', ' ', '\n', 'Gold', ' Solid', 'Magikarp', 'hello world '];
    for (let seed = 1; seed <= 40; seed++) {
      const rng = new Rng(seed);
      let text = '';
      for (let i = 0; i < 200; i++) text += inserts[rng.int(inserts.length)];
      const doc = DocumentTokens.build(tok, text, { blockTarget: 64 });
      const tracker = GlitchTracker.deferred(ix, doc);
      assert.strictEqual(tracker.complete, false);
      let steps = 0;
      for (;;) {
        // an edit anywhere: before, across or behind the frontier
        const len = doc.length;
        const offset = rng.int(len + 1);
        const del = Math.min(len - offset, rng.int(3) === 0 ? rng.int(30) : 0);
        const ins = rng.int(3) === 0 ? '' : inserts[rng.int(inserts.length)]!;
        editBoth(doc, tracker, offset, del, ins);
        steps++;
        if (tracker.scanMore(1 + rng.int(120))) break;
      }
      assert.ok(steps > 3, `seed ${seed}: the scan took ${steps} slices`);
      const full = new GlitchTracker(ix, doc);
      assert.deepStrictEqual(tracker.findings.map(key), full.findings.map(key), `seed ${seed}`);
    }
  });

  it('an empty document is complete after one slice', () => {
    const t = GlitchTracker.deferred(indexFor('r50k_base'), DocumentTokens.build(fastTokenizer('r50k_base'), ''));
    assert.strictEqual(t.complete, false);
    assert.strictEqual(t.scanMore(100), true);
    assert.deepStrictEqual(t.findings, []);
  });
});
