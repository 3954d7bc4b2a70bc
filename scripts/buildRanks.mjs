// Converts tiktoken's own rank tables (the npm package's encoders/*.json: base64 tokens in rank
// order, js-tiktoken's compressed line format "<ignored> <first rank> <b64> <b64> ...") into compact
// binary files that load in a few milliseconds:
//   "TKR1" | u32 count | u16 length[count] (0xFFFF = no token with that rank) | token bytes, rank order
// Run by esbuild.mjs; output in dist/ranks/<encoding>.tkr.
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
export const RANK_FILES = ['o200k_base', 'cl100k_base', 'p50k_base', 'r50k_base'];

export function buildRankFiles(outDir) {
  mkdirSync(outDir, { recursive: true });
  for (const name of RANK_FILES) {
    const src = require.resolve(`tiktoken/encoders/${name}.json`);
    const out = path.join(outDir, `${name}.tkr`);
    try {
      if (statSync(out).mtimeMs >= statSync(src).mtimeMs) continue; // up to date
    } catch {
      // not built yet
    }
    const { bpe_ranks: compressed } = JSON.parse(readFileSync(src, 'utf8'));
    const byRank = [];
    for (const line of compressed.split('\n')) {
      if (!line) continue;
      const [, first, ...tokens] = line.split(' ');
      tokens.forEach((b64, i) => (byRank[Number(first) + i] = Buffer.from(b64, 'base64')));
    }
    const count = byRank.length;
    const header = Buffer.alloc(8 + 2 * count);
    header.write('TKR1', 0, 'latin1');
    header.writeUInt32LE(count, 4);
    const parts = [header];
    for (let r = 0; r < count; r++) {
      const b = byRank[r];
      header.writeUInt16LE(b ? b.length : 0xffff, 8 + 2 * r);
      if (b) parts.push(b);
    }
    writeFileSync(out, Buffer.concat(parts));
  }
}
