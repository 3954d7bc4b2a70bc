// Prepares the training data of the tiny FIM model (tools/train/README section in tools/README.md).
//
//   node tools/train/prepareData.mjs --out DIR [--seed 20250601] [--fim-rate 0.5] [--cursor-share 0]
//
// Sources (public code available offline): Python's standard library (/usr/lib/python3.11) and
// JS/TS sources of the npm packages in node_modules. Files are filtered (size, line length, digit
// share: no minified bundles or data tables), de-duplicated (same content; and the same module
// name inside one package, e.g. dist/esm/x.js vs dist/cjs/x.js vs src/x.ts: one is kept), then
// split BY FILE into train and held-out with a seeded shuffle.
//
// Each file is cut at line boundaries into chunks of random size (<= MAX_SAMPLE tokens); each
// chunk becomes one sample. With probability --fim-rate the chunk is turned into a fill-in-the-
// middle sample (PSM order, as SantaCoder/StarCoder), split either uniformly at random characters
// (the published recipe) or, for --cursor-share of them, where an editor cursor would ask for a
// completion (see cursorSplit):
//   <fim_prefix> prefix <fim_suffix> suffix <fim_middle> middle <|endoftext|>
// otherwise it is plain text followed by <|endoftext|>. Text is tokenized with the project's
// GgufTokenizer (exactly llama.cpp's tokenize(text, add_special=false, parse_special=false)) on
// the StarCoder vocabulary shipped in node-llama-cpp; special tokens are inserted as ids.
//
// Output in DIR: train.tokens.u16 / heldout.tokens.u16 (little-endian uint16 ids of all samples
// back to back), train.index.u32 / heldout.index.u32 (sample start offsets, n + 1 entries),
// manifest.json (seed, special ids, file lists with bytes/tokens, totals).
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, lstatSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { rng } from './rng.mjs';
import { extractVocabs } from '../../scripts/extractVocabs.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(import.meta.url);

const PY_ROOT = '/usr/lib/python3.11';
const NM_ROOT = path.join(ROOT, 'node_modules');
const PY_SKIP_DIRS = new Set(['site-packages', 'dist-packages', 'test', 'tests', 'idle_test', '__pycache__', 'encodings', 'pydoc_data', 'config-3.11-x86_64-linux-gnu', 'lib-dynload']);
const NM_SKIP_DIRS = new Set(['.cache', '.bin', 'llama', 'bins', 'test', 'tests', '__tests__', 'locale', 'locales', 'i18n']);
const JS_EXT = ['.ts', '.mts', '.cts', '.tsx', '.mjs', '.js', '.cjs'];
const MIN_BYTES = 256;
/** Python files may be long modules; JS/TS above 64 KiB are mostly bundles of other files. */
const MAX_BYTES = { python: 256 * 1024, jsts: 64 * 1024 };
const MAX_LINE = 300;
const MAX_DIGIT_SHARE = 0.2;
/** Context of the model; a sample (with its special tokens) never exceeds it. */
const CONTEXT = 512;
const MAX_SAMPLE = CONTEXT;
/** Chunk target sizes in characters, uniform in [MIN_CHUNK, MAX_CHUNK]. */
const MIN_CHUNK = 200;
const MAX_CHUNK = 2000;

function parseArgs(argv) {
  const a = { out: null, seed: 20250601, fimRate: 0.5, cursorShare: 0, heldoutFraction: 0.03, jsBytesPerPyByte: 1.25 };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = () => argv[++i];
    if (k === '--out') a.out = v();
    else if (k === '--seed') a.seed = Number(v());
    else if (k === '--fim-rate') a.fimRate = Number(v());
    else if (k === '--cursor-share') a.cursorShare = Number(v());
    else if (k === '--heldout-fraction') a.heldoutFraction = Number(v());
    else if (k === '--js-ratio') a.jsBytesPerPyByte = Number(v());
    else throw new Error(`prepareData: unknown argument ${k}`);
  }
  if (!a.out) throw new Error('prepareData: --out DIR is required');
  return a;
}

function shuffle(arr, rand) {
  for (let i = arr.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [arr[i], arr[j]] = [arr[j], arr[i]];
  }
  return arr;
}

function walk(dir, skip, accept, out) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  entries.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isSymbolicLink()) continue;
    if (e.isDirectory()) {
      if (!skip.has(e.name)) walk(p, skip, accept, out);
    } else if (e.isFile() && accept(e.name)) out.push(p);
  }
  return out;
}

/** Text of a usable source file (LF line ends), or null with the reason. */
function readSource(file, maxBytes) {
  const size = lstatSync(file).size;
  if (size < MIN_BYTES || size > maxBytes) return { text: null, why: 'size' };
  const buf = readFileSync(file);
  if (buf.includes(0)) return { text: null, why: 'binary' };
  let text = buf.toString('utf8');
  if (text.includes('\ufffd')) return { text: null, why: 'utf8' };
  text = text.replace(/\r\n?/g, '\n');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const lines = text.split('\n');
  if (lines.length < 5) return { text: null, why: 'short' };
  if (lines.some((l) => l.length > MAX_LINE)) return { text: null, why: 'long line' };
  let digits = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
  }
  if (digits / text.length > MAX_DIGIT_SHARE) return { text: null, why: 'digits' };
  if (/sourceMappingURL=data:/.test(text)) return { text: null, why: 'inline map' };
  return { text, why: null };
}

/** Package root and name of a file under node_modules (the innermost node_modules/<pkg>). */
function packageOf(rel) {
  const parts = rel.split('/');
  let k = parts.lastIndexOf('node_modules');
  const i = k + 1;
  const name = parts[i].startsWith('@') ? `${parts[i]}/${parts[i + 1]}` : parts[i];
  return name;
}

function moduleKey(rel) {
  const base = path.basename(rel).replace(/\.(d\.)?(ts|mts|cts|tsx|mjs|js|cjs)$/, '');
  return `${packageOf(rel)}::${base}`;
}

function extRank(file) {
  const i = JS_EXT.findIndex((e) => file.endsWith(e));
  return i < 0 ? JS_EXT.length : i;
}

function collect(args) {
  const stats = {};
  const note = (lang, why) => {
    stats[lang] ??= {};
    stats[lang][why] = (stats[lang][why] ?? 0) + 1;
  };
  const seen = new Set();
  /** The file's text if it passes the filters and its content was not seen before (else noted why, and null). */
  const readUnique = (file, maxBytes, statsKey) => {
    const { text, why } = readSource(file, maxBytes);
    if (!text) {
      note(statsKey, why);
      return null;
    }
    const h = createHash('sha1').update(text).digest('hex');
    if (seen.has(h)) {
      note(statsKey, 'duplicate');
      return null;
    }
    seen.add(h);
    return text;
  };
  const files = [];
  // Python standard library
  for (const f of walk(PY_ROOT, PY_SKIP_DIRS, (n) => n.endsWith('.py'), [])) {
    const text = readUnique(f, MAX_BYTES.python, 'python');
    if (text) files.push({ path: f, lang: 'python', text, group: f });
  }
  // JS/TS of npm packages: one file per (package, module name)
  const candidates = walk(
    NM_ROOT,
    NM_SKIP_DIRS,
    (n) => JS_EXT.some((e) => n.endsWith(e)) && !/\.d\.[mc]?ts$/.test(n) && !/\.min\./.test(n) && !/\.(spec|test)\./.test(n),
    [],
  ).map((f) => path.relative(ROOT, f));
  const byKey = new Map();
  for (const rel of candidates) {
    const key = moduleKey(rel);
    const list = byKey.get(key);
    if (list) list.push(rel);
    else byKey.set(key, [rel]);
  }
  const js = [];
  for (const [key, list] of [...byKey.entries()].sort((x, y) => (x[0] < y[0] ? -1 : 1))) {
    list.sort((x, y) => extRank(x) - extRank(y) || x.length - y.length || (x < y ? -1 : 1));
    let chosen = null;
    for (const rel of list) {
      const text = readUnique(path.join(ROOT, rel), MAX_BYTES.jsts, 'jsts');
      if (!text) continue;
      chosen = { path: rel, lang: rel.endsWith('ts') || rel.endsWith('tsx') ? 'typescript' : 'javascript', text, group: key };
      break;
    }
    if (list.length > 1) note('jsts', 'same module, other copy');
    if (chosen) js.push(chosen);
  }
  // Balance: JS/TS bytes at most jsBytesPerPyByte x the Python bytes (seeded choice, TypeScript
  // first: it is the scarcer of the two here).
  const pyBytes = files.reduce((s, f) => s + Buffer.byteLength(f.text), 0);
  const cap = pyBytes * args.jsBytesPerPyByte;
  shuffle(js, rng(args.seed ^ 0x5eed));
  js.sort((x, y) => (x.lang === y.lang ? 0 : x.lang === 'typescript' ? -1 : 1));
  let jsBytes = 0;
  for (const f of js) {
    const b = Buffer.byteLength(f.text);
    if (jsBytes + b > cap) {
      note('jsts', 'over the JS/TS byte cap');
      continue;
    }
    jsBytes += b;
    files.push(f);
  }
  files.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
  return { files, stats };
}

/** Start indices of the lines of `text` (each line keeps its '\n'). */
function lineStarts(text) {
  const s = [0];
  for (let i = text.indexOf('\n'); i >= 0 && i + 1 < text.length; i = text.indexOf('\n', i + 1)) s.push(i + 1);
  return s;
}

/**
 * A split where an editor's cursor asks for an inline completion (character offsets [a, b) of the
 * middle): the cursor at a line start (after its indentation half of the time) or inside the
 * line's text, the middle running to the end of that line or of one to three more lines (k - 1
 * extra lines with P(k) = 1/2, 1/4, 1/8, 1/8), so the suffix starts at a line break. Why: a
 * uniform character split almost never ends a middle at a line break (about 1 chunk in 40), yet
 * that is where every completion the extension asks for ends; the published uniform splits stay
 * for the other half of the FIM samples so the model still fills arbitrary spans.
 */
function cursorSplit(text, rand) {
  const starts = lineStarts(text);
  const line = Math.floor(rand() * starts.length);
  const lineStart = starts[line];
  let lineEnd = text.indexOf('\n', lineStart);
  if (lineEnd < 0) lineEnd = text.length;
  const indent = lineStart + (/^[ \t]*/.exec(text.slice(lineStart, lineEnd))?.[0].length ?? 0);
  const r = rand();
  const a = r < 0.25 ? lineStart : r < 0.5 ? indent : indent + Math.floor(rand() * (lineEnd - indent + 1));
  let k = 1;
  while (k < 4 && rand() < 0.5) k++;
  let b = lineEnd;
  for (let i = 1; i < k && b < text.length; i++) {
    const next = text.indexOf('\n', b + 1);
    b = next < 0 ? text.length : next;
  }
  return [a, b];
}

/** Moves a split index off the middle of a surrogate pair. */
function fixSplit(text, i) {
  if (i > 0 && i < text.length) {
    const c = text.charCodeAt(i);
    if (c >= 0xdc00 && c <= 0xdfff) return i - 1;
  }
  return i;
}

class SampleWriter {
  constructor() {
    this.chunks = [];
    this.tokens = 0;
    this.offsets = [0];
    this.kinds = { fim: 0, plain: 0 };
  }
  push(ids, fim) {
    this.chunks.push(Uint16Array.from(ids));
    this.tokens += ids.length;
    this.offsets.push(this.tokens);
    this.kinds[fim ? 'fim' : 'plain']++;
  }
  write(dir, name) {
    const all = new Uint16Array(this.tokens);
    let at = 0;
    for (const c of this.chunks) {
      all.set(c, at);
      at += c.length;
    }
    writeFileSync(path.join(dir, `${name}.tokens.u16`), Buffer.from(all.buffer));
    writeFileSync(path.join(dir, `${name}.index.u32`), Buffer.from(Uint32Array.from(this.offsets).buffer));
  }
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const t0 = performance.now();
  const { dir: vocabDir } = extractVocabs();
  const vocabPath = path.join(vocabDir, 'ggml-vocab-starcoder.gguf');
  let GgufTokenizer;
  try {
    ({ GgufTokenizer } = require(path.join(ROOT, 'out', 'src', 'core', 'tokenizer', 'gguf', 'ggufTokenizer.js')));
  } catch (e) {
    throw new Error(`prepareData: compiled tokenizer not found (run \`npx tsc -p .\` first): ${e.message}`);
  }
  const tk = GgufTokenizer.load(vocabPath);
  const sp = tk.special;
  const special = { eot: sp.eos, fimPrefix: sp.fimPre, fimMiddle: sp.fimMid, fimSuffix: sp.fimSuf, fimPad: sp.fimPad };
  for (const [k, v] of Object.entries(special)) if (v === undefined) throw new Error(`prepareData: vocab has no ${k} token`);
  if (tk.vocabSize > 65536) throw new Error('prepareData: vocab does not fit uint16');

  const { files, stats } = collect(args);
  // Split by file (seeded): held-out fraction of each language, at least 20 files each.
  const heldout = new Set();
  for (const lang of ['python', 'javascript', 'typescript']) {
    const ofLang = files.filter((f) => f.lang === lang).map((f) => f.path);
    shuffle(ofLang, rng(args.seed ^ lang.length * 7919));
    const n = Math.min(ofLang.length, Math.max(20, Math.round(ofLang.length * args.heldoutFraction)));
    for (const p of ofLang.slice(0, n)) heldout.add(p);
  }

  const rand = rng(args.seed);
  const writers = { train: new SampleWriter(), heldout: new SampleWriter() };
  const fileInfo = { train: [], heldout: [] };
  const enc = (s) => (s.length ? tk.encode(s) : new Uint32Array(0));
  for (const f of files) {
    const split = heldout.has(f.path) ? 'heldout' : 'train';
    const w = writers[split];
    const starts = lineStarts(f.text);
    let line = 0;
    let fileTokens = 0;
    let samples = 0;
    const plainTokens = enc(f.text).length;
    while (line < starts.length) {
      const target = MIN_CHUNK + Math.floor(rand() * (MAX_CHUNK - MIN_CHUNK + 1));
      // lines [line, end) make a chunk of >= target chars (or the rest of the file)
      let end = line + 1;
      while (end < starts.length && starts[end] - starts[line] < target) end++;
      let text;
      let ids;
      for (;;) {
        text = f.text.slice(starts[line], end < starts.length ? starts[end] : f.text.length);
        ids = enc(text);
        // room for the 4 special tokens and up to 2 extra tokens from the two FIM cuts
        if (ids.length + 6 <= MAX_SAMPLE || end === line + 1) break;
        end = line + Math.max(1, Math.floor((end - line) * 0.75));
      }
      if (ids.length + 6 > MAX_SAMPLE) text = text.slice(0, Math.floor(text.length * ((MAX_SAMPLE - 6) / (ids.length + 6)) * 0.9));
      line = end;
      let sample;
      const fim = rand() < args.fimRate;
      if (fim) {
        let a;
        let b;
        // (no draw when --cursor-share is 0: the seeded sequence, hence the data, is then the original recipe's)
        if (args.cursorShare > 0 && rand() < args.cursorShare) [a, b] = cursorSplit(text, rand);
        else {
          a = Math.floor(rand() * (text.length + 1));
          b = Math.floor(rand() * (text.length + 1));
          if (a > b) [a, b] = [b, a];
        }
        a = fixSplit(text, a);
        b = fixSplit(text, b);
        const prefix = enc(text.slice(0, a));
        const middle = enc(text.slice(a, b));
        const suffix = enc(text.slice(b));
        sample = [special.fimPrefix, ...prefix, special.fimSuffix, ...suffix, special.fimMiddle, ...middle, special.eot];
      } else {
        sample = [...enc(text), special.eot];
      }
      if (sample.length > MAX_SAMPLE) sample = sample.slice(0, MAX_SAMPLE);
      w.push(sample, fim);
      fileTokens += sample.length;
      samples++;
    }
    fileInfo[split].push({ path: f.path, lang: f.lang, bytes: Buffer.byteLength(f.text), tokens: plainTokens, sampleTokens: fileTokens, samples });
  }
  mkdirSync(args.out, { recursive: true });
  writers.train.write(args.out, 'train');
  writers.heldout.write(args.out, 'heldout');
  const summary = (list) => {
    const by = {};
    for (const f of list) {
      by[f.lang] ??= { files: 0, bytes: 0, tokens: 0 };
      by[f.lang].files++;
      by[f.lang].bytes += f.bytes;
      by[f.lang].tokens += f.tokens;
    }
    return by;
  };
  const manifest = {
    seed: args.seed,
    fimRate: args.fimRate,
    cursorShare: args.cursorShare,
    heldoutFraction: args.heldoutFraction,
    jsBytesPerPyByte: args.jsBytesPerPyByte,
    context: CONTEXT,
    chunkChars: [MIN_CHUNK, MAX_CHUNK],
    vocab: { file: path.relative(ROOT, vocabPath), size: tk.vocabSize, special },
    tokenizer: 'GgufTokenizer (out/src/core/tokenizer/gguf/ggufTokenizer.js) = llama.cpp tokenize(add_special=false, parse_special=false)',
    filters: { minBytes: MIN_BYTES, maxBytes: MAX_BYTES, maxLine: MAX_LINE, maxDigitShare: MAX_DIGIT_SHARE, skipped: stats },
    train: { samples: writers.train.offsets.length - 1, tokens: writers.train.tokens, kinds: writers.train.kinds, byLang: summary(fileInfo.train) },
    heldout: { samples: writers.heldout.offsets.length - 1, tokens: writers.heldout.tokens, kinds: writers.heldout.kinds, byLang: summary(fileInfo.heldout) },
    files: fileInfo,
    seconds: Math.round((performance.now() - t0) / 100) / 10,
  };
  writeFileSync(path.join(args.out, 'manifest.json'), JSON.stringify(manifest, null, 1));
  console.log(
    `prepareData: ${fileInfo.train.length} train files (${writers.train.tokens} tokens, ${manifest.train.samples} samples), ` +
      `${fileInfo.heldout.length} held-out files (${writers.heldout.tokens} tokens) in ${manifest.seconds} s`,
  );
  console.log(JSON.stringify({ train: manifest.train.byLang, heldout: manifest.heldout.byLang, skipped: stats }));
}

main();
