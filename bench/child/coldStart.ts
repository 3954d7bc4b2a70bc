/**
 * Child process: time from process start to the first token count of a 1 MB file, and RSS after.
 *   node coldStart.js <engine> <file> <ranksDir> <workerScript>
 * engines: tokenscope-sync, tokenscope-worker (what the extension does above 256 K), tiktoken,
 * gpt-tokenizer. Prints one JSON line { ms, rssMb, tokens }.
 */
import * as fs from 'fs';

async function main(): Promise<void> {
  const [engine, file, ranksDir, workerScript] = process.argv.slice(2) as [string, string, string, string];
  const text = fs.readFileSync(file, 'utf8');
  let tokens = 0;
  /* eslint-disable @typescript-eslint/no-require-imports */
  if (engine === 'tokenscope-sync') {
    const { TokenizerRegistry } = require('../../src/core/tokenizer/tokenizerRegistry') as typeof import('../../src/core/tokenizer/tokenizerRegistry');
    const { DocumentTokens } = require('../../src/core/tokenizer/documentTokens') as typeof import('../../src/core/tokenizer/documentTokens');
    const reg = TokenizerRegistry.fromRanksDir(ranksDir);
    tokens = DocumentTokens.build(reg.get('o200k_base'), text).tokenCount;
  } else if (engine === 'tokenscope-worker') {
    const { TokenizerRegistry } = require('../../src/core/tokenizer/tokenizerRegistry') as typeof import('../../src/core/tokenizer/tokenizerRegistry');
    const { DocumentTokens } = require('../../src/core/tokenizer/documentTokens') as typeof import('../../src/core/tokenizer/documentTokens');
    const { BackgroundTokenizer } = require('../../src/core/tokenizer/backgroundTokenizer') as typeof import('../../src/core/tokenizer/backgroundTokenizer');
    const bg = new BackgroundTokenizer(workerScript, ranksDir);
    const work = bg.tokenize('o200k_base', text);
    // the host thread also loads the tokenizer (for edits) while the worker runs, as the extension does
    const reg = TokenizerRegistry.fromRanksDir(ranksDir);
    const tok = reg.get('o200k_base');
    tokens = DocumentTokens.fromBlockArrays(tok, text, await work).tokenCount;
    bg.dispose();
  } else if (engine === 'tiktoken') {
    const { get_encoding } = require('tiktoken') as typeof import('tiktoken');
    tokens = get_encoding('o200k_base').encode_ordinary(text).length;
  } else if (engine === 'gpt-tokenizer') {
    const g = require('gpt-tokenizer/encoding/o200k_base') as { encode(t: string, o: object): number[] };
    tokens = g.encode(text, { disallowedSpecial: new Set() }).length;
  } else if (engine === 'none') {
    tokens = 0;
  } else {
    throw new Error(`unknown engine ${engine}`);
  }
  /* eslint-enable @typescript-eslint/no-require-imports */
  const ms = performance.now(); // performance.now() counts from process start (timeOrigin)
  global.gc?.();
  console.log(JSON.stringify({ ms, rssMb: process.memoryUsage().rss / 1048576, tokens }));
}
main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
