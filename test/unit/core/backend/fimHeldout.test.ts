/**
 * The shipped model on code it never saw: greedy FIM completions of held-out files (the files
 * tools/train kept out of training, listed in tools/train/results.json), through the real backend.
 *
 * The exact-match rate is measured and recorded (test-output/fim-heldout.json and the test log),
 * not asserted as a number: it belongs to the model, and a retrained model moves it. What is
 * asserted is what any model that learned FIM must show and a broken pipeline would not, measured
 * as the teacher-forced likelihood of the true line (full next-token distributions from llama.cpp):
 * - the line is likelier in its own file's context than in another held-out file's context (the
 *   model reads the prefix and suffix it is given);
 * - the line is likelier in the FIM prompt than as a plain continuation of the prefix alone (the
 *   model uses the suffix, through the FIM markers it was trained with);
 * The same line's likelihood with the markers in SPM order is recorded too (not asserted).
 * and greedy decoding is deterministic.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { LocalBackend } from '../../../../src/core/backend/local/localBackend';
import { REPO_ROOT } from '../../../corpus';
import { Rng } from '../tokenizer/random';
import { SHIPPED_MODEL, WORKER_SCRIPT } from './localFixtures';

/**
 * Cases: a cursor at the start of a non-blank line, the middle is that line (evalFim's "line" mode).
 * At the start rather than after the indentation: there the cursor splits a token (StarCoder has
 * "\n   " + " return"), which is token healing's case, not the raw model's.
 */
const CASES = 60;
/** Prompt budget in tokens (the model's context is 512): as tools/train/evalFim.mjs. */
const PREFIX_TOKENS = 320;
const SUFFIX_TOKENS = 128;
const MAX_TOKENS = 48;

interface Case {
  readonly file: string;
  readonly prefix: string;
  readonly middle: string;
  readonly suffix: string;
}

/** Seeded choice of cases, so that every run scores the same cursors. */
function makeCases(files: readonly { path: string; text: string }[], n: number, seed: number): Case[] {
  const rng = new Rng(seed);
  const rand = (): number => rng.next();
  const cases: Case[] = [];
  while (cases.length < n) {
    const f = files[Math.floor(rand() * files.length)]!;
    const lines = f.text.split('\n');
    const i = Math.floor(rand() * lines.length);
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const before = lines.slice(0, i).join('\n') + (i > 0 ? '\n' : '');
    cases.push({ file: f.path, prefix: before, middle: line, suffix: '\n' + lines.slice(i + 1).join('\n') });
  }
  return cases;
}

describe('core/backend/local: FIM on held-out files (the shipped model)', function () {
  this.timeout(300000);
  let b: LocalBackend;
  let files: { path: string; text: string }[];

  before(async () => {
    const results = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'tools', 'train', 'results.json'), 'utf8')) as { heldout_files: string[] };
    // Python's standard library and node_modules are on every machine that runs the tests (npm ci, Debian's python3)
    files = results.heldout_files
      .map((p) => (path.isAbsolute(p) ? p : path.join(REPO_ROOT, p)))
      .filter((p) => fs.existsSync(p))
      .map((p) => ({ path: path.relative(REPO_ROOT, p), text: fs.readFileSync(p, 'utf8').replace(/\r\n?/g, '\n') }));
    assert.ok(files.length >= 40, `only ${files.length} of ${results.heldout_files.length} held-out files are on this machine`);
    b = await LocalBackend.open({ modelPath: SHIPPED_MODEL, workerScript: WORKER_SCRIPT, contextSize: 512 });
  });
  after(() => b?.dispose());

  it('completes held-out lines (exact match recorded); the true line is likelier in its own context and in the trained FIM format', async () => {
    // each case tokenized once: the prompt as evalFim cuts it (the last PREFIX_TOKENS of the prefix,
    // the first SUFFIX_TOKENS of the suffix), as token ids and as the text infill() takes
    const cases = await Promise.all(
      makeCases(files, CASES, 7).map(async (c) => {
        const pre = (await b.tokenize(c.prefix)).slice(-PREFIX_TOKENS);
        const suf = (await b.tokenize(c.suffix)).slice(0, SUFFIX_TOKENS);
        return { file: c.file, middle: c.middle, pre, suf, prefix: await b.detokenize(pre), suffix: await b.detokenize(suf), truth: await b.tokenize(c.middle) };
      }),
    );
    const greedy = (c: (typeof cases)[number]): ReturnType<LocalBackend['infill']> =>
      b.infill({ prefix: c.prefix, suffix: c.suffix, maxTokens: MAX_TOKENS, temperature: 0, stop: ['\n'] });
    const rows: { file: string; middle: string; generated: string; exact: boolean; firstTokenRight: boolean; commonTokens: number }[] = [];
    const firstTokens = new Map<number, number>();
    for (const c of cases) {
      const r = await greedy(c);
      const truth = c.truth;
      const got = r.tokens ?? [];
      let common = 0;
      while (common < truth.length && common < got.length && truth[common] === got[common]) common++;
      firstTokens.set(truth[0]!, (firstTokens.get(truth[0]!) ?? 0) + 1);
      const line = r.text.split('\n')[0]!;
      rows.push({ file: c.file, middle: c.middle, generated: r.text, exact: line.trimEnd() === c.middle.trimEnd(), firstTokenRight: common > 0, commonTokens: common });
    }
    const exact = rows.filter((r) => r.exact).length;
    const first = rows.filter((r) => r.firstTokenRight).length;
    const constant = Math.max(...firstTokens.values());
    const meanCommon = rows.reduce((s, r) => s + r.commonTokens, 0) / rows.length;
    const summary = { model: path.relative(REPO_ROOT, SHIPPED_MODEL), cases: rows.length, exactFirstLine: exact, firstTokenRight: first, bestConstantFirstToken: constant, meanCommonPrefixTokens: meanCommon };
    console.log(
      `      held-out FIM (${rows.length} lines, greedy): first line exact ${exact}/${rows.length} (${((100 * exact) / rows.length).toFixed(1)} %), ` +
        `first token right ${first}/${rows.length} vs best constant guess ${constant}/${rows.length}, mean common prefix ${meanCommon.toFixed(2)} tokens`,
    );

    // teacher-forced negative log-likelihood (nats/token) of the first NLL_TOKENS tokens of each true line
    const NLL_TOKENS = 4;
    // full distributions cost ~0.1 s a call over IPC: the first NLL_CASES cases
    const NLL_CASES = 30;
    const V = b.info.vocabSize;
    const nll = async (prompt: readonly number[], truth: readonly number[]): Promise<number> => {
      let next = (await b.prefill(prompt, V)).next;
      let sum = 0;
      const n = Math.min(NLL_TOKENS, truth.length);
      for (let i = 0; i < n; i++) {
        const max = next.top[0]![1];
        let z = 0;
        let own = -Infinity;
        for (const [t, l] of next.top) {
          z += Math.exp(l - max);
          if (t === truth[i]) own = l;
        }
        sum += max + Math.log(z) - own;
        if (i + 1 < n) next = await b.append([truth[i]!], V);
      }
      return sum / n;
    };
    const f = b.info.fim;
    let own = 0;
    let other = 0;
    let spm = 0;
    let plain = 0;
    const nllCases = cases.slice(0, NLL_CASES);
    for (const [i, c] of nllCases.entries()) {
      const { pre, suf, truth } = c;
      // another case's context, from a different file
      const o = cases.find((d, j) => j > i && d.file !== c.file) ?? cases.find((d) => d.file !== c.file)!;
      own += await nll([f.prefix, ...pre, f.suffix, ...suf, f.middle], truth);
      other += await nll([f.prefix, ...o.pre, f.suffix, ...o.suf, f.middle], truth);
      spm += await nll([f.suffix, ...suf, f.prefix, ...pre, f.middle], truth);
      plain += await nll(pre, truth);
    }
    const k = nllCases.length;
    const nlls = { cases: k, ownContext: own / k, otherFilesContext: other / k, prefixOnlyPlain: plain / k, spmOrder: spm / k };
    console.log(
      `      mean NLL of the true line (first ${NLL_TOKENS} tokens): ${nlls.ownContext.toFixed(3)} nats/token in its context (PSM), ` +
        `${nlls.otherFilesContext.toFixed(3)} in another file's, ${nlls.prefixOnlyPlain.toFixed(3)} continuing the prefix alone, ${nlls.spmOrder.toFixed(3)} with the markers in SPM order (${k} lines)`,
    );
    fs.mkdirSync(path.join(REPO_ROOT, 'test-output'), { recursive: true });
    fs.writeFileSync(path.join(REPO_ROOT, 'test-output', 'fim-heldout.json'), JSON.stringify({ summary: { ...summary, nlls }, rows }, null, 1));
    assert.ok(nlls.ownContext < nlls.otherFilesContext, `the context does not help: ${JSON.stringify(nlls)}`);
    assert.ok(nlls.ownContext < nlls.prefixOnlyPlain, `the suffix does not help: ${JSON.stringify(nlls)}`);

    // greedy decoding is deterministic: the first cases again give the same text
    for (const [i, c] of cases.slice(0, 3).entries()) assert.strictEqual((await greedy(c)).text, rows[i]!.generated);
  });
});
