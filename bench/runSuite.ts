import type { BenchSuite } from './types';

// Child-process entry: node out/bench/runSuite.js <compiled suite file>. Prints one JSON line
// "##results <json>" for the parent (scripts/bench.mjs); everything else is progress.
async function main(): Promise<void> {
  const file = process.argv[2];
  if (!file) throw new Error('usage: runSuite.js <suite.js>');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const suite = (require(file) as { default: BenchSuite }).default;
  const results = await suite.run((line) => console.log(`  ${line}`));
  console.log(`##results ${JSON.stringify(results)}`);
}
main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
