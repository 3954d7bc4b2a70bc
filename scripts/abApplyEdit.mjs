// A/B of DocumentTokens.applyEdit between two compiled trees (each `tsc -p .` output, e.g. a git
// worktree of the old commit and this one), in alternating fresh processes, so that a refactor of
// the edit path can be compared without the noise of two separate benchmark runs:
//   node scripts/abApplyEdit.mjs <old out/> <new out/> [--mb 1] [--rounds 3]
// Each run: 6,000 mixed edits (bursts of 5 keystrokes, 1 KB pastes, line deletions) at seeded random
// places of an N MB JavaScript document; prints mean, p50 and p99 per edit.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';

const args = process.argv.slice(2);
const opt = (name, d) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : d);

if (args[0] === '--child') {
  const [, out, mbArg] = args;
  const require = createRequire(import.meta.url);
  const { TokenizerRegistry } = require(path.join(out, 'src/core/tokenizer/tokenizerRegistry'));
  const { DocumentTokens } = require(path.join(out, 'src/core/tokenizer/documentTokens'));
  const { concat, jsCorpus } = require(path.join(out, 'test/corpus'));
  const mb = Number(mbArg);
  const tok = TokenizerRegistry.fromRanksDir(path.join(out, '..', 'dist/ranks')).get('o200k_base');
  const base = concat(jsCorpus(2_200_000));
  const paste = base.slice(100_000, 101_024);
  let text = base;
  while (text.length < mb * 1_000_000) text += base;
  const doc = DocumentTokens.build(tok, text.slice(0, mb * 1_000_000));
  let seed = mb * 7919;
  const rnd = (n) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), seed % n);
  const times = [];
  const timed = (f) => {
    const t0 = performance.now();
    f();
    times.push(performance.now() - t0);
  };
  for (let k = 0; k < 6000; k++) {
    const at = rnd(doc.length - 2000);
    if (k % 3 === 0) for (const ch of 'abc (') timed(() => doc.applyEdit(at, 0, ch));
    else if (k % 3 === 1) timed(() => doc.applyEdit(at, 0, paste));
    else {
      const s = doc.getText(at, at + 2000);
      const a = s.indexOf('\n');
      const b = s.indexOf('\n', a + 1);
      if (a >= 0 && b >= 0) timed(() => doc.applyEdit(at + a + 1, b - a, ''));
    }
  }
  times.sort((x, y) => x - y);
  const q = (p) => times[Math.floor((p / 100) * (times.length - 1))] * 1000;
  const mean = (times.reduce((x, y) => x + y, 0) / times.length) * 1000;
  console.log(`mean ${mean.toFixed(1)} µs, p50 ${q(50).toFixed(1)} µs, p99 ${q(99).toFixed(1)} µs`);
} else {
  const [a, b] = args;
  if (!a || !b) throw new Error('usage: node scripts/abApplyEdit.mjs <old out/> <new out/> [--mb 1] [--rounds 3]');
  const mb = opt('--mb', 1);
  for (let r = 1; r <= opt('--rounds', 3); r++) {
    for (const [label, out] of [['A', a], ['B', b]]) {
      const res = spawnSync(process.execPath, [new URL(import.meta.url).pathname, '--child', path.resolve(out), String(mb)], { encoding: 'utf8' });
      if (res.status !== 0) throw new Error(res.stderr);
      console.log(`round ${r} ${label} (${out}, ${mb} MB): ${res.stdout.trim()}`);
    }
  }
}
