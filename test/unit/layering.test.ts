import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';

/** The layering rules of ARCHITECTURE.md, checked on the source text (ESLint checks the vscode import of core/common). */
const SRC = path.resolve(__dirname, '../../../src');

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sourceFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

/** Relative imports of a file, resolved to paths relative to src/ (e.g. 'services/tokenModels'). */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/\bfrom\s+'(\.[^']+)'|\bimport\(\s*'(\.[^']+)'\s*\)/g)) {
    out.push(path.relative(SRC, path.resolve(path.dirname(file), m[1] ?? m[2]!)).split(path.sep).join('/'));
  }
  return out;
}

const files = sourceFiles(SRC).map((f) => ({ rel: path.relative(SRC, f).split(path.sep).join('/'), imports: importsOf(f), text: fs.readFileSync(f, 'utf8') }));

function violations(filter: (rel: string) => boolean, forbidden: (rel: string, imported: string) => boolean): string[] {
  return files.filter((f) => filter(f.rel)).flatMap((f) => f.imports.filter((i) => forbidden(f.rel, i)).map((i) => `${f.rel} → ${i}`));
}

const top = (p: string): string => p.split('/')[0]!;

describe('layering (ARCHITECTURE.md)', () => {
  it('finds the source tree and parses its imports', () => {
    assert.ok(files.length > 50, `only ${files.length} files under ${SRC}`);
    assert.ok(files.find((f) => f.rel === 'services/tokenModels.ts')?.imports.includes('core/tokenizer/documentTokens'));
    assert.ok(files.find((f) => f.rel === 'core/backend/local/localWorker.ts')?.imports.includes('core/backend/local/tokenBias'));
  });

  it('core and common import only core and common (and commandIds)', () => {
    assert.deepStrictEqual(
      violations(
        (r) => top(r) === 'core' || top(r) === 'common',
        (_r, i) => !['core', 'common'].includes(top(i)) && i !== 'commandIds',
      ),
      [],
    );
  });

  it('services never import features, menus or the composition root', () => {
    assert.deepStrictEqual(violations((r) => top(r) === 'services', (_r, i) => ['features', 'menus', 'extension'].includes(top(i))), []);
  });

  it('a feature never imports another feature or a menu', () => {
    const featureOf = (p: string): string | undefined => (top(p) === 'features' ? p.split('/')[1] : undefined);
    assert.deepStrictEqual(
      violations(
        (r) => top(r) === 'features',
        (r, i) => top(i) === 'menus' || top(i) === 'extension' || (featureOf(i) !== undefined && featureOf(i) !== featureOf(r)),
      ),
      [],
    );
  });

  it('settings are read and written only by configuration.ts', () => {
    assert.deepStrictEqual(
      files.filter((f) => f.rel !== 'configuration.ts' && f.text.includes('getConfiguration(')).map((f) => f.rel),
      [],
    );
  });

  it('every feature folder has an index.ts with a register()', () => {
    const features = fs.readdirSync(path.join(SRC, 'features'));
    const missing = features.filter((d) => !/export function register\(/.test(fs.readFileSync(path.join(SRC, 'features', d, 'index.ts'), { encoding: 'utf8', flag: 'r' })));
    assert.deepStrictEqual(missing, []);
  });
});
