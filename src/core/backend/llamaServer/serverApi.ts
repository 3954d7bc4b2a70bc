/**
 * llama-server's token API as the backend uses it: tokenization with pieces, the FIM template the
 * server applies (read from its own /infill), and the figures its answers carry. Each function is
 * one request; answers are validated (a BackendError 'malformed' names what was missing).
 */
import { BackendError } from '../../../common/errors';
import type { InfillResult, StopReason } from '../backend';
import { requestJson, type HttpOptions } from '../http';
import { obj } from '../remoteCommon';


export interface Piece {
  readonly id: number;
  /** The token's text; undefined when it is not whole UTF-8 (the server sends bytes then). */
  readonly text: string | undefined;
}

/**
 * /tokenize with pieces. `content` may mix strings and token ids (ids pass through: a separator
 * between several texts tokenized in one request). User text is never parsed for special tokens.
 */
export async function tokenPieces(base: string, content: string | readonly (string | number)[], http: HttpOptions): Promise<Piece[]> {
  const url = `${base}/tokenize`;
  const r = obj(await requestJson('POST', url, { content, add_special: false, parse_special: false, with_pieces: true }, http), 'tokenize', url);
  if (!Array.isArray(r.tokens)) throw new BackendError('malformed', `${url}: no token list`);
  return r.tokens.map((t: unknown) => {
    const o = obj(t, 'a token with its piece', url);
    if (typeof o.id !== 'number') throw new BackendError('malformed', `${url}: a token without id`);
    return { id: o.id, text: typeof o.piece === 'string' ? o.piece : undefined };
  });
}

/** Token ids of control text (FIM markers, BOS): special tokens parsed. */
export async function specialTokens(base: string, text: string, http: HttpOptions): Promise<number[]> {
  if (text === '') return [];
  const url = `${base}/tokenize`;
  const r = obj(await requestJson('POST', url, { content: text, add_special: false, parse_special: true }, http), 'tokenize', url);
  if (!Array.isArray(r.tokens) || !r.tokens.every((t) => typeof t === 'number')) throw new BackendError('malformed', `${url}: no token list`);
  return r.tokens;
}

/** Splits the pieces of texts tokenized together with `sep` between them (tokenPieces of [t1, sep, t2, sep, …]). */
export function splitAt(pieces: readonly Piece[], sep: number): Piece[][] {
  const out: Piece[][] = [[]];
  for (const p of pieces) {
    if (p.id === sep) out.push([]);
    else out[out.length - 1]!.push(p);
  }
  return out;
}

/**
 * The FIM prompt the server's /infill builds, as token-id parts around the prefix and the suffix:
 * read once from /infill's own answer (its `prompt` field renders the whole prompt, markers
 * included) for two sentinel texts, so repo-level tokens, BOS and suffix-first (SPM) order come
 * out as the server does them. `sep`: the end-of-text token (from /props), which plain text never
 * tokenizes to.
 */
export interface FimLayout {
  /** Token ids and the texts' places, in prompt order. */
  readonly parts: readonly (readonly number[] | 'prefix' | 'suffix')[];
  readonly sep: number;
}

const PRE_SENTINEL = 'PPPPQ';
const SUF_SENTINEL = 'SSSSQ';

export async function readFimLayout(base: string, http: HttpOptions): Promise<FimLayout> {
  const url = `${base}/infill`;
  const r = obj(await requestJson('POST', url, { input_prefix: PRE_SENTINEL, input_suffix: SUF_SENTINEL, n_predict: 1, temperature: 0, cache_prompt: false }, http), 'infill', url);
  const prompt = typeof r.prompt === 'string' ? r.prompt : '';
  const p = prompt.indexOf(PRE_SENTINEL);
  const s = prompt.indexOf(SUF_SENTINEL);
  if (p < 0 || s < 0) throw new BackendError('malformed', `${url}: the answer does not render its prompt (${JSON.stringify(prompt.slice(0, 80))})`);
  const [first, second] = p < s ? (['prefix', 'suffix'] as const) : (['suffix', 'prefix'] as const);
  const lo = Math.min(p, s);
  const hi = Math.max(p, s);
  const head = await specialTokens(base, prompt.slice(0, lo), http);
  const mid = await specialTokens(base, prompt.slice(lo + PRE_SENTINEL.length, hi), http);
  const tail = await specialTokens(base, prompt.slice(hi + SUF_SENTINEL.length), http);
  const props = obj(await requestJson('GET', `${base}/props`, undefined, http), 'props', `${base}/props`);
  const eos = await specialTokens(base, typeof props.eos_token === 'string' ? props.eos_token : '', http);
  if (eos.length !== 1) throw new BackendError('malformed', `${base}/props: no single end-of-text token`);
  return { parts: [head, first, mid, second, tail], sep: eos[0]! };
}

/** The FIM prompt's token ids around the prefix's and the suffix's tokens. */
export function fimIds(layout: FimLayout, prefix: readonly Piece[], suffix: readonly Piece[]): number[] {
  const ids = (xs: readonly Piece[]): number[] => xs.map((x) => x.id);
  return layout.parts.flatMap((part) => (part === 'prefix' ? ids(prefix) : part === 'suffix' ? ids(suffix) : [...part]));
}

export function stopTypeOf(m: Record<string, unknown>): StopReason {
  return m.stop_type === 'limit' || m.stopped_limit === true ? 'limit' : m.stop_type === 'word' || m.stopped_word === true ? 'stop' : 'eos';
}

/** What llama-server reports of a request: prompt tokens (and how many it evaluated: the rest came from the slot's cache), generated tokens, server-side drafts. */
export function serverFigures(m: Record<string, unknown>): Partial<InfillResult> {
  const t = typeof m.timings === 'object' && m.timings !== null ? (m.timings as Record<string, unknown>) : {};
  const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  const promptTokens = num(m.tokens_evaluated);
  const generated = num(m.tokens_predicted);
  const evaluated = num(t.prompt_n);
  const drafted = num(t.draft_n);
  const accepted = num(t.draft_n_accepted);
  return {
    ...(promptTokens !== undefined ? { promptTokens } : {}),
    ...(generated !== undefined ? { generatedTokens: generated } : {}),
    ...(evaluated !== undefined ? { promptEvaluated: evaluated } : {}),
    ...(drafted !== undefined ? { speculation: { drafted, accepted: accepted ?? 0, batches: 0, sources: [] } } : {}),
  };
}
