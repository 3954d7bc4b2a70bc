/**
 * Real text nobody here wrote, available on a fresh machine after `npm ci`: JS sources of installed
 * npm packages, Python's standard library (Debian's libpython3.11-stdlib), TypeScript's localized
 * diagnostic messages (13 languages) and Python's reference documentation (prose). Used by the
 * equivalence tests and the benchmarks. Deterministic: fixed file lists, sorted directory walks.
 */
import * as fs from 'fs';
import * as path from 'path';

export const REPO_ROOT = path.resolve(__dirname, '../..');
const nm = (p: string): string => path.join(REPO_ROOT, 'node_modules', p);

export interface CorpusFile {
  readonly name: string;
  readonly text: string;
}

function readIf(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function take(files: readonly string[], maxBytes: number, perFileMax = Infinity): CorpusFile[] {
  const out: CorpusFile[] = [];
  let total = 0;
  for (const f of files) {
    let text = readIf(f);
    if (text === undefined) continue;
    if (text.length > perFileMax) text = text.slice(0, perFileMax);
    out.push({ name: path.relative(REPO_ROOT, f).replace(/^(\.\.\/)+/, '/'), text });
    total += Buffer.byteLength(text);
    if (total >= maxBytes) break;
  }
  return out;
}

function walk(dir: string, ext: RegExp, limit: number): string[] {
  const out: string[] = [];
  const visit = (d: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (out.length >= limit) return;
      const p = path.join(d, e.name);
      if (e.isDirectory()) visit(p);
      else if (ext.test(e.name)) out.push(p);
    }
  };
  visit(dir);
  return out;
}

/** JavaScript from npm packages (minified and not), then TypeScript declarations. */
export function jsCorpus(maxBytes: number): CorpusFile[] {
  return take(
    [
      nm('typescript/lib/typescript.js'),
      nm('esbuild/lib/main.js'),
      nm('mocha/mocha.js'),
      nm('lru-cache/dist/commonjs/index.js'),
      nm('js-tiktoken/dist/index.cjs'),
      ...walk(nm('eslint/lib'), /\.js$/, 400),
      ...walk(nm('typescript/lib'), /\.d\.ts$/, 200),
    ],
    maxBytes,
    1_000_000,
  );
}

/** Python's standard library. */
export function pythonCorpus(maxBytes: number): CorpusFile[] {
  return take(walk('/usr/lib/python3.11', /\.py$/, 2000), maxBytes);
}

/** Localized TypeScript diagnostics: cs de es fr it ja ko pl pt-br ru tr zh-cn zh-tw. */
export function multilingualCorpus(maxBytesPerLanguage: number): CorpusFile[] {
  const dir = nm('typescript/lib');
  const langs = fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  return langs.flatMap((l) => take([path.join(dir, l, 'diagnosticMessages.generated.json')], maxBytesPerLanguage, maxBytesPerLanguage));
}

/** English prose: Python's reference documentation (pydoc topics), else npm READMEs. */
export function proseCorpus(maxBytes: number): CorpusFile[] {
  return take(['/usr/lib/python3.11/pydoc_data/topics.py', ...walk(nm(''), /^README\.md$/i, 500)], maxBytes);
}

export function concat(files: readonly CorpusFile[]): string {
  return files.map((f) => f.text).join('\n');
}
