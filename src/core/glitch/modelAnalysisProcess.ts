/**
 * Child-process entry for "Find Under-trained Tokens": the weight-based indicator (streams the
 * embedding matrix: seconds and ≈100–200 MB of transient heap for a 150k vocabulary) and the
 * optional verification by prompting (llama.cpp). Both are far too heavy for the extension host's
 * thread, and verification runs native code that must be killable at any moment: a child process
 * is (a worker thread inside llama.cpp is not; see localWorker.ts). One request per process.
 *
 * Results are cached as <cacheDir>/<fingerprint>.json; the fingerprint covers the file size, the
 * GGUF header and the bytes of the analysed matrix, so a changed model is never served stale.
 */
import * as fs from 'fs';
import * as path from 'path';
import { processParent, serveRequests } from '../../common/requestServer';
import { GgufFile } from '../gguf/ggufFile';
import { GgufVocab } from '../tokenizer/gguf/ggufVocab';
import { computeGlitchIndicator, fingerprintGlitchInputs } from './embeddingIndicator';
import type { AnalysedCandidate, AnalysisProgress, AnalysisRequest, AnalysisResult, ModelAnalysis } from './modelAnalysisProtocol';
import { QUICK_PROMPTS, verifyCandidatesByPrompting } from './verifyByPrompting';

function cacheFile(cacheDir: string, fingerprint: string): string {
  return path.join(cacheDir, `${fingerprint}.json`);
}

function readCache(cacheDir: string, fingerprint: string): ModelAnalysis | undefined {
  try {
    const a = JSON.parse(fs.readFileSync(cacheFile(cacheDir, fingerprint), 'utf8')) as ModelAnalysis;
    return a.version === 1 && a.fingerprint === fingerprint ? a : undefined;
  } catch {
    return undefined;
  }
}

function writeCache(cacheDir: string, a: ModelAnalysis): void {
  fs.mkdirSync(cacheDir, { recursive: true });
  const f = cacheFile(cacheDir, a.fingerprint);
  // write-then-rename: a crash never leaves a half-written cache entry
  fs.writeFileSync(`${f}.tmp`, JSON.stringify(a));
  fs.renameSync(`${f}.tmp`, f);
}

async function analyse(r: Extract<AnalysisRequest, { op: 'analyse' }>, progress: (p: AnalysisProgress) => void): Promise<AnalysisResult> {
  const t0 = performance.now();
  progress({ fraction: 0, phase: 'fingerprint' });
  // the fingerprint reads the matrix once at hashing speed: 5 % of the bar
  const fingerprint = await fingerprintGlitchInputs(r.modelPath, { onProgress: (f) => progress({ fraction: 0.05 * f, phase: 'fingerprint' }) });
  const hit = r.force ? undefined : readCache(r.cacheDir, fingerprint);
  if (hit) return { analysis: { ...hit, modelPath: r.modelPath }, cached: true };
  const result = await computeGlitchIndicator(r.modelPath, { onProgress: (f, phase) => progress({ fraction: 0.05 + 0.95 * f, phase }) });
  const g = GgufFile.open(r.modelPath);
  const vocab = GgufVocab.fromGguf(g);
  const utf8 = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
  const candidates: AnalysedCandidate[] = Array.from(result.candidates, (id) => ({
    id,
    text: id < vocab.size ? utf8.decode(vocab.textBytes(id)) : '',
    value: result.values[id]!,
    rank: result.rank[id]!,
  }));
  const analysis: ModelAnalysis = {
    version: 1,
    modelPath: r.modelPath,
    modelName: g.getString('general.name') ?? path.basename(r.modelPath),
    fingerprint: result.fingerprint,
    indicator: result.indicator,
    indicatorLabel: result.indicatorLabel,
    tied: result.tied,
    reason: result.reason,
    tensor: { name: result.tensor.name, type: result.tensor.type, rows: result.tensor.rows, rowElements: result.tensor.rowElements },
    vocabSize: result.values.length,
    candidateFraction: result.candidateFraction,
    referenceSource: result.reference.source,
    referenceCount: result.reference.ids.length,
    categoryCounts: result.categoryCounts,
    candidates,
    ms: performance.now() - t0,
    analysedAt: new Date().toISOString(),
  };
  writeCache(r.cacheDir, analysis);
  return { analysis, cached: false };
}

async function verify(r: Extract<AnalysisRequest, { op: 'verify' }>, progress: (p: AnalysisProgress) => void): Promise<AnalysisResult> {
  const a = readCache(r.cacheDir, r.fingerprint);
  if (!a) throw new Error('no analysis of this model to verify: run the analysis first');
  const byId = new Map(a.candidates.map((c) => [c.id, c]));
  const ids = r.ids.filter((id) => byId.has(id));
  const verified = new Map<number, AnalysedCandidate['verification']>();
  const current = (): ModelAnalysis => ({ ...a, modelPath: r.modelPath, candidates: a.candidates.map((c) => (verified.has(c.id) ? { ...c, verification: verified.get(c.id)! } : c)) });
  // The quick prompts (fewer examples, ≈3× fewer tokens): the same verdicts on this project's tests.
  await verifyCandidatesByPrompting(r.modelPath, ids, {
    prompts: QUICK_PROMPTS,
    onProgress: (fraction) => progress({ fraction, phase: 'prompting' }),
    onResult: (v) => {
      verified.set(v.id, { maxProbability: v.maxProbability, verdict: v.verdict });
      // saved as it goes: a cancelled verification keeps what it found
      writeCache(r.cacheDir, current());
    },
  });
  const next = current();
  writeCache(r.cacheDir, next);
  return { analysis: next, cached: false };
}

const parent = processParent();
if (parent) {
  serveRequests<AnalysisRequest, AnalysisResult, AnalysisProgress>(parent, (r, context) => (r.op === 'analyse' ? analyse(r, context.emit) : verify(r, context.emit)), {
    // one request per process: exit once the reply is flushed (llama.cpp's handles would keep it alive)
    onReplied: () => process.exit(0),
  });
}
