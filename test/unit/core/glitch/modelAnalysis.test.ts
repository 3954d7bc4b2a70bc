/**
 * "Find Under-trained Tokens" end to end below the editor: the analysis process on the shipped
 * model (the real indicator, the real llama.cpp for verification), its cache and its cancellation.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { isTokenscopeError } from '../../../../src/common/errors';
import { runModelAnalysis } from '../../../../src/core/glitch/modelAnalysis';
import { REPO_ROOT } from '../../../corpus';
import { SHIPPED_MODEL } from '../backend/localFixtures';

const SCRIPT = path.join(REPO_ROOT, 'out', 'src', 'core', 'glitch', 'modelAnalysisProcess.js');

describe('core/glitch: model analysis process (indicator, cache, verification)', function () {
  this.timeout(120000);
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tokenscope-analysis-'));
  after(() => fs.rmSync(cacheDir, { recursive: true, force: true }));

  it('ranks the vocabulary, reports progress, caches by fingerprint, and serves the cache next time', async () => {
    const progress: number[] = [];
    const first = await runModelAnalysis(SCRIPT, { op: 'analyse', modelPath: SHIPPED_MODEL, cacheDir }, { onProgress: (f) => progress.push(f) });
    const a = first.analysis;
    assert.strictEqual(first.cached, false);
    assert.strictEqual(a.vocabSize, 49152);
    assert.ok(a.candidates.length > 100 && a.candidates.length < 0.05 * a.vocabSize, `${a.candidates.length} candidates`);
    for (let i = 1; i < a.candidates.length; i++) assert.ok(a.candidates[i]!.rank > a.candidates[i - 1]!.rank && a.candidates[i]!.value >= a.candidates[i - 1]!.value);
    assert.ok(progress.length > 3 && progress.at(-1)! > 0.99, `progress ${progress.length}`);
    for (let i = 1; i < progress.length; i++) assert.ok(progress[i]! >= progress[i - 1]!);
    assert.ok(fs.existsSync(path.join(cacheDir, `${a.fingerprint}.json`)));
    const second = await runModelAnalysis(SCRIPT, { op: 'analyse', modelPath: SHIPPED_MODEL, cacheDir });
    assert.strictEqual(second.cached, true);
    assert.deepStrictEqual(second.analysis.candidates, a.candidates);
  });

  it('verifies the top candidates by prompting the model and keeps the verdicts in the cache', async () => {
    const { analysis } = await runModelAnalysis(SCRIPT, { op: 'analyse', modelPath: SHIPPED_MODEL, cacheDir });
    const ids = analysis.candidates.slice(0, 3).map((c) => c.id);
    const v = await runModelAnalysis(SCRIPT, { op: 'verify', modelPath: SHIPPED_MODEL, cacheDir, fingerprint: analysis.fingerprint, ids });
    const verified = v.analysis.candidates.filter((c) => c.verification);
    assert.deepStrictEqual(verified.map((c) => c.id), ids);
    for (const c of verified) assert.ok(c.verification!.maxProbability >= 0 && c.verification!.maxProbability <= 1);
    const again = await runModelAnalysis(SCRIPT, { op: 'analyse', modelPath: SHIPPED_MODEL, cacheDir });
    assert.strictEqual(again.analysis.candidates.filter((c) => c.verification).length, 3);
  });

  it('cancels (the process is killed), and a bad file fails with a typed error', async () => {
    const ac = new AbortController();
    const p = runModelAnalysis(SCRIPT, { op: 'analyse', modelPath: SHIPPED_MODEL, cacheDir: path.join(cacheDir, 'other'), force: true }, { signal: ac.signal, onProgress: () => ac.abort() });
    await assert.rejects(p, (e: unknown) => isTokenscopeError(e, 'aborted'));
    const bad = path.join(cacheDir, 'bad.gguf');
    fs.writeFileSync(bad, 'not a gguf file');
    await assert.rejects(runModelAnalysis(SCRIPT, { op: 'analyse', modelPath: bad, cacheDir }), (e: unknown) => isTokenscopeError(e) && e.code.startsWith('gguf-'));
  });
});
