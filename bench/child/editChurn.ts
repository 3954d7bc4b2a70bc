/**
 * Diagnostic, not a benchmark row: replays the soak's typing (test/integration/soak.test.ts: random
 * inserts and deletes that keep a 15 KB Python file at its size) on a DocumentTokens in plain Node,
 * and prints resident memory by kind after a GC every `every` edits: V8's heap pages, other anonymous
 * memory (malloc, outside V8), and of it the main thread's malloc arena (`[heap]`). Seconds instead
 * of the soak's minutes in a VS Code; run under heaptrack it counts the allocations per edit:
 *   npm run compile-tests && node --expose-gc out/bench/child/editChurn.js [edits=20000] [every=2000]
 *   heaptrack node --expose-gc out/bench/child/editChurn.js 20000   (then heaptrack_print -H sizes.txt)
 * Linux only (reads /proc/self).
 */
import * as fs from 'fs';
import * as path from 'path';
import * as v8 from 'v8';
import { DocumentTokens } from '../../src/core/tokenizer/documentTokens';
import { TokenizerRegistry } from '../../src/core/tokenizer/tokenizerRegistry';

const ROOT = path.resolve(__dirname, '../../..');
const SNIPPETS = ['x', ' ', '\n', '    return value\n', 'def f(a, b):\n    ', '🙂', "'s", '# note\n', '<|endoftext|>', 'import os\n', '\t', 'ção'];

/** The soak's document: its Python text, 20 times. */
function soakText(): string {
  const source = fs.readFileSync(path.join(ROOT, 'test/integration/soak.test.ts'), 'utf8');
  const python = /const PYTHON = `([\s\S]*?)`;/.exec(source)?.[1];
  if (!python) throw new Error('no PYTHON text in soak.test.ts');
  return python.repeat(20);
}

function memoryByKindMb(): { v8Pages: number; otherAnon: number; mainArena: number } {
  const v8Pages = v8.getHeapSpaceStatistics().reduce((n, s) => n + s.physical_space_size, 0) / 1048576;
  const anon = Number(/^RssAnon:\s+(\d+)/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) / 1024;
  const smaps = fs.readFileSync('/proc/self/smaps', 'utf8');
  const at = smaps.indexOf(' [heap]\n');
  const mainArena = at < 0 ? 0 : Number(/^Rss:\s+(\d+) kB/m.exec(smaps.slice(at))?.[1] ?? 0) / 1024;
  return { v8Pages, otherAnon: anon - v8Pages, mainArena };
}

function main(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  const edits = Number(process.argv[2] ?? 20000);
  const every = Number(process.argv[3] ?? 2000);
  const doc = DocumentTokens.build(TokenizerRegistry.fromRanksDir(path.join(ROOT, 'dist/ranks')).get('o200k_base'), soakText());
  const startLength = doc.length;
  // the soak's generator (LCG), so runs are repeatable
  let seed = 7;
  const int = (n: number): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n;
  for (let i = 1; i <= edits; i++) {
    const at = int(doc.length + 1);
    if (int(3) < (doc.length > startLength ? 2 : 1)) doc.applyEdit(at, Math.min(doc.length - at, 1 + int(12)), '');
    else doc.applyEdit(at, 0, SNIPPETS[int(SNIPPETS.length)]!);
    if (i % every === 0) {
      gc();
      const m = memoryByKindMb();
      console.log(`${i} edits: V8 heap pages ${m.v8Pages.toFixed(1)} MB, other anonymous ${m.otherAnon.toFixed(1)} MB, main arena ${m.mainArena.toFixed(1)} MB`);
    }
  }
}

main();
