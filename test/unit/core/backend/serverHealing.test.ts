import * as assert from 'assert';
import { fimIds, splitAt, type Piece } from '../../../../src/core/backend/llamaServer/serverApi';
import { cutCandidates, startsWithGrammar, withoutLastSpaceText } from '../../../../src/core/backend/llamaServer/serverHealing';

const pieces = (...texts: (string | undefined)[]): Piece[] => texts.map((text, id) => ({ id, text }));

/** The pure parts of healing through llama-server (the real server is the server tier's). */
describe('core/backend/llamaServer: healing through the token API', () => {
  it('cut candidates: runs of the last tokens one token could re-type, longest first', () => {
    // "    return self.fo" as " self" "." "fo": "fo" alone (".fo" mixes punctuation and a word)
    assert.deepStrictEqual(cutCandidates(pieces('    ', ' return', ' self', '.', 'fo')), [{ keep: 4, removed: 'fo' }]);
    // " connect" + "io": a word with its leading space can be one token (" connection")
    assert.deepStrictEqual(cutCandidates(pieces('x', ' connect', 'io')), [
      { keep: 1, removed: ' connectio' },
      { keep: 2, removed: 'io' },
    ]);
    // whitespace runs and operator runs merge; at most 4 tokens
    assert.deepStrictEqual(cutCandidates(pieces('a', ' =', '=')).map((c) => c.removed), [' ==', '=']);
    assert.strictEqual(cutCandidates(pieces('-', '-', '-', '-', '-', '-')).length, 4);
    // a line start is left alone, as the local cut does; a partial character stops the run
    assert.deepStrictEqual(cutCandidates(pieces('x', ':\n')), []);
    assert.deepStrictEqual(cutCandidates(pieces('x', undefined, 'ab')), [{ keep: 2, removed: 'ab' }]);
    assert.deepStrictEqual(cutCandidates([]), []);
  });

  it('the grammar: starts with the text (escaped), then anything', () => {
    assert.strictEqual(startsWithGrammar(' ret'), 'root ::= " ret" rest\nrest ::= [^\\x00]*\n');
    assert.strictEqual(startsWithGrammar('"a\\b\n\t'), 'root ::= "\\"a\\\\b\\x0a\\x09" rest\nrest ::= [^\\x00]*\n');
    assert.ok(startsWithGrammar('é→').includes('"é→"'), 'non-ASCII characters stay literal UTF-8');
  });

  it('the whitespace split: the text without its last space at the end of an indentation', () => {
    assert.strictEqual(withoutLastSpaceText('\n    '), '\n   ');
    assert.strictEqual(withoutLastSpaceText('  '), ' ');
    assert.strictEqual(withoutLastSpaceText(' ret'), undefined);
    assert.strictEqual(withoutLastSpaceText(' '), undefined);
  });

  it('texts tokenized together are split at the separator; the FIM prompt is assembled in the layout\'s order', () => {
    const sep = 0;
    const all: Piece[] = [{ id: 5, text: 'a' }, { id: 6, text: 'b' }, { id: 0, text: '<eot>' }, { id: 7, text: 'c' }, { id: 0, text: '<eot>' }];
    assert.deepStrictEqual(splitAt(all, sep).map((xs) => xs.map((x) => x.id)), [[5, 6], [7], []]);
    const psm = { parts: [[1], 'prefix', [2], 'suffix', [3]] as const, sep };
    assert.deepStrictEqual(fimIds(psm, all.slice(0, 2), all.slice(3, 4)), [1, 5, 6, 2, 7, 3]);
    const spm = { parts: [[9, 1], 'suffix', [2], 'prefix', [3]] as const, sep };
    assert.deepStrictEqual(fimIds(spm, all.slice(0, 2), all.slice(3, 4)), [9, 1, 7, 2, 5, 6, 3]);
  });
});
