// `npm run bench [-- --filter <id prefix>]`: compiles, runs every bench/*.bench.ts suite in its own
// Node process, prints a table and writes bench/results.json (an array of
// { id, value, unit, peer, peerValue, ratio, target, met }).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { mustRun, npx } from './run.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);
const fi = process.argv.indexOf('--filter');
const filter = fi >= 0 ? (process.argv[fi + 1] ?? '') : '';

// A separate, fresh output folder: a deleted suite must not run from a stale compiled file, and
// a test run compiling into out/ at the same time is not disturbed.
const OUT = '.bench-out';
rmSync(OUT, { recursive: true, force: true });
await mustRun('node', ['esbuild.mjs']);
await mustRun(npx('tsc'), ['-p', '.', '--outDir', OUT]);
const suites = readdirSync(`${OUT}/bench`).filter((f) => f.endsWith('.bench.js')).sort();
const all = [];
let failed = false;
for (const f of suites) {
  const { default: suite } = await import(path.join(root, OUT, 'bench', f)).then((m) => m.default ?? m);
  const prefixes = [suite?.prefix ?? '', ...(suite?.alsoPrefixes ?? [])];
  const prefix = prefixes.join(', ');
  if (filter && !prefixes.some((p) => p.startsWith(filter) || filter.startsWith(p))) continue;
  console.log(`\n# ${f} (${prefix}*)`);
  // a fresh machine: Node 24, code-server and Chromium for the harness (cached after the first run)
  if (suite?.needsHarness) await mustRun('bash', ['test/harness/setup.sh']);
  const out = await new Promise((resolve) => {
    let text = '';
    const p = spawn('node', ['--expose-gc', `${OUT}/bench/runSuite.js`, path.join(root, OUT, 'bench', f)], { stdio: ['ignore', 'pipe', 'inherit'] });
    p.stdout.on('data', (d) => {
      text += d;
      process.stdout.write(String(d).replace(/^##results .*$/m, ''));
    });
    p.on('exit', (code) => resolve({ code, text }));
  });
  const m = /^##results (.*)$/m.exec(out.text);
  if (out.code !== 0 || !m) {
    failed = true;
    console.error(`suite ${f} failed (exit ${out.code})`);
    continue;
  }
  // a filter that names the suite's own prefix keeps all its figures (vscodeHost measures decorations.* and glitch.diagnostics.* in one run)
  const wholeSuite = (suite?.prefix ?? '').startsWith(filter);
  all.push(...JSON.parse(m[1]).filter((r) => wholeSuite || r.id.startsWith(filter)));
}

const fmt = (v) => (v === undefined ? '' : typeof v === 'number' ? (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2)) : String(v));
const rows = all.map((r) => [r.id, `${fmt(r.value)} ${r.unit}`, r.peer ?? '', r.peerValue === undefined ? '' : `${fmt(r.peerValue)} ${r.unit}`, r.ratio === undefined ? '' : `${fmt(r.ratio)}×`, r.target ?? '', r.met === undefined ? '' : r.met ? 'yes' : 'NO']);
const head = ['id', 'value', 'peer', 'peer value', 'ratio', 'target', 'met'];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (cells) => '| ' + cells.map((c, i) => c.padEnd(widths[i])).join(' | ') + ' |';
console.log('\n' + line(head));
console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
for (const r of rows) console.log(line(r));
const normalized = all.map((r) => ({ id: r.id, value: r.value, unit: r.unit, peer: r.peer ?? null, peerValue: r.peerValue ?? null, ratio: r.ratio ?? null, target: r.target ?? null, met: r.met ?? null, ...(r.note ? { note: r.note } : {}) }));
// A filtered run updates its own ids and keeps everyone else's results.
const kept = filter && existsSync('bench/results.json') ? JSON.parse(readFileSync('bench/results.json', 'utf8')).filter((r) => !normalized.some((n) => n.id === r.id)) : [];
const merged = [...kept, ...normalized].sort((a, b) => a.id.localeCompare(b.id));
writeFileSync('bench/results.json', JSON.stringify(merged, null, 2) + '\n');
console.log(`\nwrote bench/results.json (${all.length} results${kept.length ? `, ${kept.length} kept from earlier runs` : ''})`);
process.exit(failed ? 1 : 0);
