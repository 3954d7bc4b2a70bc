/**
 * Diagnostic, not a benchmark row: replays the soak's typing (its document and edit rule,
 * test/integration/soakWorkload.ts) on a DocumentTokens in plain Node and prints resident memory by
 * kind after a GC every `every` edits: V8's heap pages, other anonymous memory (malloc, outside V8),
 * and of it the main thread's malloc arena (`[heap]`). Seconds instead of the soak's minutes in a
 * VS Code; run under heaptrack it counts the allocations per edit:
 *   npm run compile-tests && node --expose-gc out/bench/child/editChurn.js [edits=20000] [every=2000]
 *   heaptrack node --expose-gc out/bench/child/editChurn.js 20000   (then heaptrack_print -H sizes.txt)
 * Linux only (reads /proc/self).
 */
import * as path from 'path';
import { DocumentTokens } from '../../src/core/tokenizer/documentTokens';
import { TokenizerRegistry } from '../../src/core/tokenizer/tokenizerRegistry';
import { memoryByKindMb, nextSoakEdit, SOAK_TEXT } from '../../test/integration/soakWorkload';
import { Rng } from '../../test/unit/core/tokenizer/random';

const ROOT = path.resolve(__dirname, '../../..');

function main(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  const edits = Number(process.argv[2] ?? 20000);
  const every = Number(process.argv[3] ?? 2000);
  const doc = DocumentTokens.build(TokenizerRegistry.fromRanksDir(path.join(ROOT, 'dist/ranks')).get('o200k_base'), SOAK_TEXT);
  const startLength = doc.length;
  const rng = new Rng(7); // the soak's seed (the soak also draws for its completions, so the sequences part)
  for (let i = 1; i <= edits; i++) {
    const e = nextSoakEdit(rng, doc.length, startLength);
    doc.applyEdit(e.offset, e.deleteLength, e.insert);
    if (i % every === 0) {
      gc();
      const m = memoryByKindMb();
      console.log(`${i} edits: V8 heap pages ${m.v8Pages.toFixed(1)} MB, other anonymous ${m.otherAnon.toFixed(1)} MB, main arena ${m.mainArena.toFixed(1)} MB`);
    }
  }
}

main();
