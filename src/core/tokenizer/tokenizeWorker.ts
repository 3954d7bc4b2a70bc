/**
 * Worker-thread entry: tokenizes whole documents off the extension host's thread. Loaded by
 * BackgroundTokenizer (dist/tokenizeWorker.js in the bundle, out/… in tests). Requests are handled
 * one at a time; a running tokenization polls the request's shared abort flag between progress
 * reports.
 */
import * as fs from 'fs';
import { workerData } from 'worker_threads';
import { abortError } from '../../common/async';
import { serveRequests, Transfer, workerParent } from '../../common/requestServer';
import type { RankTable } from './rankTable';
import type { BpeTokenizer } from './bpeTokenizer';
import { analyzeStructure, vocabularyOfBpe } from '../glitch/structural';
import { lexToBlockArrays } from './documentTokens';
import { isEncodingName, type EncodingName } from './encodings';
import { loadBpeTokenizer } from './loadTokenizer';
import { GgufTokenizer } from './gguf/ggufTokenizer';
import { TiktokenTokenizer, toTiktokenBpeRanks } from './tiktokenTokenizer';
import type { TokenizeRequest, TokenizeResults } from './tokenizeWorkerProtocol';

type AnyResult = TokenizeResults[keyof TokenizeResults];

const parent = workerParent();
if (parent) {
  const { ranksDir } = workerData as { ranksDir: string };
  const tables = new Map<string, RankTable>();
  const tokenizers = new Map<EncodingName, BpeTokenizer>();
  const references = new Map<EncodingName, TiktokenTokenizer>();
  /** One GGUF tokenizer: the local model's (the user has one loaded at a time). */
  let model: { readonly key: string; readonly tokenizer: GgufTokenizer } | undefined;
  const modelTokenizer = (file: string): GgufTokenizer => {
    const st = fs.statSync(file);
    const key = `${file}\0${st.size}\0${st.mtimeMs}`;
    if (model?.key !== key) model = { key, tokenizer: GgufTokenizer.load(file) };
    return model.tokenizer;
  };
  serveRequests<TokenizeRequest, AnyResult, number>(parent, (req, context) => {
    if (req.kind === 'modelCount') return modelTokenizer(req.modelPath).count(req.text);
    if (!isEncodingName(req.encoding)) throw new Error(`unknown encoding ${String(req.encoding)}`);
    let tok = tokenizers.get(req.encoding);
    if (!tok) tokenizers.set(req.encoding, (tok = loadBpeTokenizer(req.encoding, ranksDir, tables)));
    switch (req.kind) {
      case 'structure':
        return analyzeStructure(vocabularyOfBpe(tok));
      case 'count':
        return tok.count(req.text);
      case 'reference': {
        let ref = references.get(req.encoding);
        const base = tok;
        if (!ref) references.set(req.encoding, (ref = new TiktokenTokenizer(req.encoding, () => toTiktokenBpeRanks(base.table))));
        const t0 = performance.now();
        const ids = ref.encode(req.text);
        return new Transfer({ ids, ms: performance.now() - t0 }, [ids.buffer as ArrayBuffer]);
      }
      case 'tokenize': {
        const arrays = lexToBlockArrays(tok, req.text, req.blockTarget, (done) => {
          if (context.aborted()) throw abortError();
          context.emit(done);
        });
        return new Transfer(arrays, [arrays.chunkEnds.buffer, arrays.tokenEnds.buffer, arrays.ids.buffer, arrays.blocks.buffer] as ArrayBuffer[]);
      }
    }
  });
}
