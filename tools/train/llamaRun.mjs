// Runs prompts through a GGUF model with node-llama-cpp (llama.cpp, CPU) and prints raw logits and
// greedy continuations as JSON -- the llama.cpp side of tools/train/verify.py.
//
//   node tools/train/llamaRun.mjs MODEL.gguf PROMPTS.json OUT.json
//
// PROMPTS.json: [{ "name", "text" } | { "name", "prefix", "suffix" }, ...]. A FIM prompt is
// <fim_prefix> prefix <fim_suffix> suffix <fim_middle> (ids from the model, as LlamaCompletion's
// infill builds it). OUT.json: per prompt the token ids, full logits at the last `positions`
// positions, and `greedy` tokens (temperature 0, no repeat penalty, until EOG or `maxTokens`).
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const { getLlama, LlamaLogLevel } = await import(path.join(ROOT, 'node_modules', 'node-llama-cpp', 'dist', 'index.js'));

const [modelPath, promptsPath, outPath] = process.argv.slice(2);
const POSITIONS = 4;
const MAX_TOKENS = 24;

const llama = await getLlama({ gpu: false, build: 'never', skipDownload: true, maxThreads: 1, logLevel: LlamaLogLevel.error });
const model = await llama.loadModel({ modelPath });
const context = await model.createContext({ contextSize: 512, threads: 1, batchSize: 512, sequences: 1 });
const seq = context.getSequence();
const n = model.tokens ? model.fileInfo.metadata.llama.vocab_size : 0;
const { prefix: pre, suffix: suf, middle: mid } = model.tokens.infill;
const out = [];
for (const p of JSON.parse(readFileSync(promptsPath, 'utf8'))) {
  const tokens =
    p.text !== undefined
      ? Array.from(model.tokenize(p.text, false))
      : [pre, ...model.tokenize(p.prefix, false), suf, ...model.tokenize(p.suffix, false), mid];
  await seq.clearHistory();
  const first = Math.max(0, tokens.length - POSITIONS);
  const res = await seq.controlledEvaluate(tokens.map((t, i) => (i >= first ? [t, { generateNext: { logits: true } }] : t)));
  const logits = [];
  for (let i = first; i < tokens.length; i++) {
    const arr = new Array(n).fill(null);
    for (const [tok, v] of res[i].next.logits) arr[tok] = v;
    logits.push({ position: i, logits: arr });
  }
  await seq.clearHistory();
  const greedy = [];
  for await (const t of seq.evaluate(tokens, { temperature: 0, yieldEogToken: true })) {
    greedy.push(t);
    if (greedy.length >= MAX_TOKENS || model.isEogToken(t)) break;
  }
  out.push({ name: p.name, tokens, logits, greedy, greedyText: model.detokenize(greedy) });
}
writeFileSync(outPath, JSON.stringify(out));
await context.dispose();
await model.dispose();
await llama.dispose();
