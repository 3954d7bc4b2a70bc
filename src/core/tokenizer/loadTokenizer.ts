import * as fs from 'fs';
import * as path from 'path';
import { BpeTokenizer } from './bpeTokenizer';
import { ENCODINGS, type EncodingName } from './encodings';
import { RankTable } from './rankTable';

/**
 * Loads the fast tokenizer for an encoding from `<ranksDir>/<rankFile>.tkr` (written by the build,
 * see scripts/buildRanks.mjs). Encodings sharing a rank file share its table through `tables`.
 * Cost: o200k ≈ 1.8 MB read + table build, tens of milliseconds.
 */
export function loadBpeTokenizer(name: EncodingName, ranksDir: string, tables?: Map<string, RankTable>): BpeTokenizer {
  const spec = ENCODINGS[name];
  let table = tables?.get(spec.rankFile);
  if (!table) {
    table = RankTable.fromTkr(fs.readFileSync(rankFilePath(ranksDir, name)));
    tables?.set(spec.rankFile, table);
  }
  return new BpeTokenizer(spec, table);
}

function rankFilePath(ranksDir: string, name: EncodingName): string {
  return path.join(ranksDir, `${ENCODINGS[name].rankFile}.tkr`);
}

/**
 * `loadBpeTokenizer` for a thread that must stay responsive: the file read asynchronously and the
 * table built in slices (RankTable.fromTkrSliced). A table that appeared in `tables` meanwhile (a
 * synchronous load won the race) is used instead of the new one.
 */
export async function loadBpeTokenizerSliced(name: EncodingName, ranksDir: string, tables: Map<string, RankTable>, pause: () => Promise<void>): Promise<BpeTokenizer> {
  const spec = ENCODINGS[name];
  if (!tables.has(spec.rankFile)) {
    const data = await fs.promises.readFile(rankFilePath(ranksDir, name));
    const built = await RankTable.fromTkrSliced(data, pause);
    if (!tables.has(spec.rankFile)) tables.set(spec.rankFile, built);
  }
  return new BpeTokenizer(spec, tables.get(spec.rankFile)!);
}
