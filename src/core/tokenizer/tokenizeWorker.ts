/**
 * Worker-thread entry: tokenizes whole documents off the extension host's thread. Loaded by
 * BackgroundTokenizer (dist/tokenizeWorker.js in the bundle, out/… in tests). Requests are handled
 * one at a time; each carries a shared cancellation flag that is checked between progress reports.
 */
import { parentPort, workerData } from 'worker_threads';
import type { RankTable } from './rankTable';
import type { BpeTokenizer } from './bpeTokenizer';
import { analyzeStructure, vocabularyOfBpe } from '../glitch/structural';
import { lexToBlockArrays } from './documentTokens';
import { isEncodingName, type EncodingName } from './encodings';
import { loadBpeTokenizer } from './loadTokenizer';
import { TiktokenTokenizer, toTiktokenBpeRanks } from './tiktokenTokenizer';
import type { WorkerRequest, WorkerResponse } from './tokenizeWorkerProtocol';

class Cancelled extends Error {}

if (parentPort) {
  const port = parentPort;
  const { ranksDir } = workerData as { ranksDir: string };
  const tables = new Map<string, RankTable>();
  const tokenizers = new Map<EncodingName, BpeTokenizer>();
  const references = new Map<EncodingName, TiktokenTokenizer>();
  const post = (m: WorkerResponse, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);
  port.on('message', (req: WorkerRequest) => {
    const cancel = new Int32Array(req.cancel);
    try {
      if (!isEncodingName(req.encoding)) throw new Error(`unknown encoding ${String(req.encoding)}`);
      let tok = tokenizers.get(req.encoding);
      if (!tok) tokenizers.set(req.encoding, (tok = loadBpeTokenizer(req.encoding, ranksDir, tables)));
      if (req.kind === 'structure') {
        post({ type: 'structure', id: req.id, report: analyzeStructure(vocabularyOfBpe(tok)) });
        return;
      }
      if (req.kind === 'count') {
        post({ type: 'count', id: req.id, tokens: tok.count(req.text) });
        return;
      }
      if (req.kind === 'reference') {
        let ref = references.get(req.encoding);
        const base = tok;
        if (!ref) references.set(req.encoding, (ref = new TiktokenTokenizer(req.encoding, () => toTiktokenBpeRanks(base.table))));
        const t0 = performance.now();
        const ids = ref.encode(req.text);
        post({ type: 'reference', id: req.id, ids, ms: performance.now() - t0 }, [ids.buffer as ArrayBuffer]);
        return;
      }
      const arrays = lexToBlockArrays(tok, req.text, req.blockTarget, (done) => {
        if (Atomics.load(cancel, 0) !== 0) throw new Cancelled();
        post({ type: 'progress', id: req.id, done });
      });
      post({ type: 'result', id: req.id, ...arrays }, [arrays.chunkEnds.buffer, arrays.tokenEnds.buffer, arrays.ids.buffer, arrays.blocks.buffer] as ArrayBuffer[]);
    } catch (e) {
      if (e instanceof Cancelled) post({ type: 'cancelled', id: req.id });
      else post({ type: 'error', id: req.id, message: e instanceof Error ? e.message : String(e) });
    }
  });
}
