import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { FILTERS, postprocess } from '../../../../src/core/completion/postprocess';
import type { CompletionContext } from '../../../../src/core/completion/types';
import { REPO_ROOT } from '../../../corpus';

/**
 * Golden fixtures, one folder per filter (test/fixtures/completion/<filter>/*.txt): the document
 * with █ at the cursor, then "=== suggestion" and the raw suggestion, then "=== expected" and the
 * filter's output, or DROPPED. The file's final newline is not part of the expected text.
 */
const DIR = path.join(REPO_ROOT, 'test', 'fixtures', 'completion');
const CURSOR = '█';

function parse(file: string): { context: CompletionContext; raw: string; expected: string | undefined } {
  const s = fs.readFileSync(file, 'utf8');
  const [doc, rest] = s.split('\n=== suggestion\n') as [string, string];
  const [raw, expected] = rest.split('\n=== expected\n') as [string, string];
  const at = doc.indexOf(CURSOR);
  assert.ok(at >= 0, `${file}: no cursor marker`);
  const exp = expected.replace(/\n$/, '');
  return { context: { prefix: doc.slice(0, at), suffix: doc.slice(at + CURSOR.length), prefixComplete: true }, raw, expected: exp === 'DROPPED' ? undefined : exp };
}

describe('core/completion/postprocess: golden fixtures per filter', () => {
  for (const [name, filter] of FILTERS) {
    const dir = path.join(DIR, name);
    const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.txt')).sort() : [];
    it(`${name}: has fixtures`, () => assert.ok(files.length >= 1, `no fixtures in ${dir}`));
    for (const f of files) {
      it(`${name}: ${f}`, () => {
        const { context, raw, expected } = parse(path.join(dir, f));
        assert.strictEqual(filter(raw, context), expected);
      });
    }
  }

  it('the chain names the filter that dropped a suggestion', () => {
    const ctx: CompletionContext = { prefix: 'x = ', suffix: '\n', prefixComplete: true };
    assert.deepStrictEqual(postprocess('  \n', ctx), { dropped: 'dropEmpty' });
    assert.deepStrictEqual(postprocess('1<|endoftext|>', ctx), { text: '1' });
  });
});
