import * as assert from 'assert';
import { indexFile, lineCommentOf, queryOf, similarSnippets, snippetHeader } from '../../../../src/core/completion/otherFiles';

describe('core/completion: snippets of other open files', () => {
  const filler = (n: number, word: string): string => Array.from({ length: n }, (_, i) => `const ${word}${i} = ${i};`).join('\n');
  const helper = indexFile({ name: 'src/geometry.ts', text: `${filler(40, 'unrelated')}\nexport function areaOfCircle(radius: number): number {\n  return Math.PI * radius * radius;\n}\n${filler(40, 'other')}` });
  const noise = indexFile({ name: 'src/noise.ts', text: filler(60, 'noise') });
  const count = (s: string): number => Math.ceil(s.length / 4);

  it('takes the window of each file most similar to the lines above the cursor, best first', () => {
    const q = queryOf('let radius = 2;\nlet total = areaOfCircle(radius) + Math.PI;\nlet x = are');
    const got = similarSnippets(q, [noise, helper], 1000, count, '//');
    assert.strictEqual(got[0]?.name, 'src/geometry.ts');
    assert.match(got[0].text, /areaOfCircle/);
    assert.ok(got.every((s) => s.name !== 'src/noise.ts'), 'a file sharing no identifier gives nothing');
  });

  it('the query ignores the line being typed: the header stays the same while typing it', () => {
    const above = 'const radius = 2;\nconst total = areaOfCircle(radius);\n';
    assert.deepStrictEqual([...queryOf(`${above}const x = a`)], [...queryOf(`${above}const x = areaOfCi`)]);
  });

  it('stays within the token budget, header lines included; a zero budget gives nothing', () => {
    const q = queryOf('areaOfCircle(radius) Math PI\n');
    const all = similarSnippets(q, [helper], 10_000, count, '//');
    const text = snippetHeader(all, '//');
    assert.ok(count(text) > 10);
    assert.deepStrictEqual(similarSnippets(q, [helper], count(text) - 1, count, '//'), []);
    assert.deepStrictEqual(similarSnippets(q, [helper], 0, count, '//'), []);
    assert.ok(text.split('\n').filter((l) => l !== '').every((l) => l.startsWith('//')), 'every line is a comment');
    assert.match(text, /^\/\/ Compare this snippet from src\/geometry\.ts:\n/);
  });

  it('comments in the language’s own line-comment syntax', () => {
    assert.strictEqual(lineCommentOf('python'), '#');
    assert.strictEqual(lineCommentOf('typescript'), '//');
    assert.strictEqual(lineCommentOf('sql'), '--');
    assert.strictEqual(lineCommentOf(undefined), '//');
  });
});
