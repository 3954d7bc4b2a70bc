// Evaluates a FIM model with node-llama-cpp (llama.cpp, CPU, 1 thread) on the held-out files.
//
//   node tools/train/evalFim.mjs MODEL.gguf MANIFEST.json OUT.json [--n 200] [--seed 7]
//
// Split points (seeded): half at a line start, half at a random character; the middle is the rest
// of that line (never blank), the suffix starts at its line break. The model gets the last
// PREFIX_TOKENS tokens of the prefix and the first SUFFIX_TOKENS tokens of the suffix through
// LlamaCompletion.generateInfillCompletion (greedy: temperature 0, no repeat penalty, stop at a
// line break). Score: exact match of the first generated line with the true middle (also
// reported ignoring trailing whitespace). Also measures load time and prompt / generation speed.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { rng } from './rng.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const { getLlama, LlamaCompletion, LlamaLogLevel } = await import(path.join(ROOT, 'node_modules', 'node-llama-cpp', 'dist', 'index.js'));

const PREFIX_TOKENS = 320;
const SUFFIX_TOKENS = 128;
const MAX_TOKENS = 48;
const CONTEXT = 512;

const argv = process.argv.slice(2);
const [modelPath, manifestPath, outPath] = argv;
const opt = (name, d) => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : d;
};
const N = opt('--n', 200);
const SEED = opt('--seed', 7);

function readHeldout(manifest) {
  return manifest.files.heldout.map((f) => {
    const abs = path.isAbsolute(f.path) ? f.path : path.join(ROOT, f.path);
    let text = readFileSync(abs, 'utf8').replace(/\r\n?/g, '\n');
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    return { path: f.path, lang: f.lang, text };
  });
}

/** Seeded split points: { file, lang, mode, at, prefix, middle, suffix }. */
function makeCases(files, n, seed) {
  const rand = rng(seed);
  const cases = [];
  while (cases.length < n) {
    const f = files[Math.floor(rand() * files.length)];
    const mode = cases.length % 2 === 0 ? 'line' : 'char';
    const t = f.text;
    for (let tries = 0; tries < 100; tries++) {
      let at;
      if (mode === 'line') {
        const lines = [0];
        for (let i = t.indexOf('\n'); i >= 0 && i + 1 < t.length; i = t.indexOf('\n', i + 1)) lines.push(i + 1);
        at = lines[Math.floor(rand() * lines.length)];
      } else {
        at = Math.floor(rand() * t.length);
        const c = t.charCodeAt(at);
        if (c >= 0xdc00 && c <= 0xdfff) at--;
      }
      let eol = t.indexOf('\n', at);
      if (eol < 0) eol = t.length;
      const middle = t.slice(at, eol);
      if (middle.trim() === '') continue;
      cases.push({ file: f.path, lang: f.lang, mode, at, prefix: t.slice(0, at), middle, suffix: t.slice(eol) });
      break;
    }
  }
  return cases;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  const files = readHeldout(manifest);
  const cases = makeCases(files, N, SEED);

  let t = performance.now();
  const llama = await getLlama({ gpu: false, build: 'never', skipDownload: true, maxThreads: 1, logLevel: LlamaLogLevel.error });
  const getLlamaMs = performance.now() - t;
  const loadMs = [];
  let model;
  for (let i = 0; i < 3; i++) {
    if (model) await model.dispose();
    t = performance.now();
    model = await llama.loadModel({ modelPath });
    loadMs.push(performance.now() - t);
  }
  t = performance.now();
  const context = await model.createContext({ contextSize: CONTEXT, threads: 1, batchSize: CONTEXT, sequences: 1 });
  const contextMs = performance.now() - t;
  const seq = context.getSequence();

  // speed: prompt processing of a 400-token prompt, then 128 greedy tokens (median of 3)
  const speedText = files.map((f) => f.text).join('\n');
  const speedTokens = Array.from(model.tokenize(speedText, false)).slice(0, 400);
  const promptTps = [];
  const genTps = [];
  for (let r = 0; r < 3; r++) {
    await seq.clearHistory();
    t = performance.now();
    await seq.evaluateWithoutGeneratingNewTokens(speedTokens);
    promptTps.push(speedTokens.length / ((performance.now() - t) / 1000));
    await seq.clearHistory();
    const first = speedTokens.slice(0, 64);
    await seq.evaluateWithoutGeneratingNewTokens(first.slice(0, -1));
    let n = 0;
    t = performance.now();
    for await (const _ of seq.evaluate(first.slice(-1), { temperature: 0 })) {
      void _;
      if (++n >= 128) break;
    }
    genTps.push(n / ((performance.now() - t) / 1000));
  }

  const completion = new LlamaCompletion({ contextSequence: seq });
  const results = [];
  t = performance.now();
  for (const c of cases) {
    const prefixTokens = Array.from(model.tokenize(c.prefix, false)).slice(-PREFIX_TOKENS);
    const suffixTokens = Array.from(model.tokenize(c.suffix, false)).slice(0, SUFFIX_TOKENS);
    await seq.clearHistory();
    const out = await completion.generateInfillCompletion(prefixTokens, suffixTokens, {
      maxTokens: MAX_TOKENS,
      temperature: 0,
      repeatPenalty: false,
      customStopTriggers: ['\n'],
    });
    const line = out.split('\n')[0];
    results.push({
      ...c,
      generated: out,
      exact: line === c.middle,
      exactTrimEnd: line.trimEnd() === c.middle.trimEnd(),
      prefixTokens: prefixTokens.length,
      suffixTokens: suffixTokens.length,
    });
  }
  const evalSeconds = (performance.now() - t) / 1000;
  const rate = (rs, k = 'exact') => ({ n: rs.length, exact: rs.filter((r) => r[k]).length, rate: rs.length ? rs.filter((r) => r[k]).length / rs.length : null });
  const by = (key) => Object.fromEntries([...new Set(results.map((r) => r[key]))].sort().map((v) => [v, rate(results.filter((r) => r[key] === v))]));
  const summary = {
    model: path.relative(ROOT, path.resolve(modelPath)),
    seed: SEED,
    n: results.length,
    exactMatch: rate(results),
    exactMatchIgnoringTrailingWhitespace: rate(results, 'exactTrimEnd'),
    byMode: by('mode'),
    byLang: by('lang'),
    settings: { prefixTokens: PREFIX_TOKENS, suffixTokens: SUFFIX_TOKENS, maxTokens: MAX_TOKENS, context: CONTEXT, threads: 1, temperature: 0, repeatPenalty: false, stop: '\\n' },
    speed: {
      getLlamaMs: Math.round(getLlamaMs),
      loadModelMs: loadMs.map((x) => Math.round(x)),
      loadModelMsMedian: Math.round(median(loadMs)),
      createContextMs: Math.round(contextMs),
      promptTokensPerSecond: Math.round(median(promptTps)),
      promptTokens: speedTokens.length,
      generationTokensPerSecond: Math.round(median(genTps)),
      evalSeconds: Math.round(evalSeconds * 10) / 10,
    },
  };
  writeFileSync(outPath, JSON.stringify({ summary, results }, null, 1));
  console.log(JSON.stringify(summary, null, 1));
  await context.dispose();
  await model.dispose();
  await llama.dispose();
}

await main();
