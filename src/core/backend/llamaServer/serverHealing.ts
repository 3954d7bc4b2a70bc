/**
 * Classic token healing through llama-server's token API (the local engine does it with a byte
 * mask over its vocabulary, healSteps.ts; the server does not expose its vocabulary's bytes, so
 * the mask is built from what it does expose):
 *
 * 1. the cut: the longest run of the prefix's last tokens (as the server tokenizes the prefix,
 *    /tokenize with pieces) that one token can re-type is removed from the prompt;
 * 2. the masked steps: greedy tokens after the cut prompt (token ids, /completion) constrained to
 *    re-type the removed text, the first one covering all of it. A GBNF grammar ("starts with the
 *    removed text") keeps every token that could begin it; the tokens that are only a part of it
 *    (" ", " r", " re" for " ret") are banned with logit_bias — without the ban greedy takes the
 *    likelier short whitespace token and spells the word in pieces (measured on the shipped model:
 *    " " then "retty" instead of " return"). As in the local mask (healTail.withoutLastSpace), the
 *    removed text without its last space stays allowed at the end of an indentation, and a second
 *    step types that space;
 * 3. the caller continues from the prompt ids plus the healed tokens (the server's slot cache holds
 *    the prompt, so only the new tokens are evaluated).
 *
 * Exact byte-level healing needs every token's bytes (cover sums over the vocabulary): not possible
 * through this API, so 'exact' runs as classic here.
 */
import { LRUCache } from 'lru-cache';
import { BackendError } from '../../../common/errors';
import { requestJson, type HttpOptions } from '../http';
import { withoutLastSpace } from '../../completion/heal/healTail';
import { obj } from '../remoteCommon';
import { fimIds, serverFigures, splitAt, tokenPieces, type FimLayout, type Piece } from './serverApi';

/**
 * Longest text healing cuts (characters): the longest tokens of code vocabularies (runs of spaces,
 * dashes or `=`) are about this long; the local cut's bound is the vocabulary's longest token.
 */
const MAX_HEAL_CHARS = 128;
/** Masked steps at most: the covering token, then the space an indentation's end may leave. */
const MAX_MASKED_STEPS = 2;

/** Tokens at the prefix's end looked back at most (the local cut's limit, healTail.findHealCut). */
const MAX_CUT_TOKENS = 4;

/**
 * Texts a single token can start with: the pre-tokenizer never lets a token cross from a word to
 * punctuation or whitespace (a leading space, and a newline before an indentation, are the
 * exceptions). A run of tokens outside these shapes cannot be re-typed by one token: not tried.
 */
const ONE_TOKEN_SHAPES = [/^ ?[\p{L}\p{N}_]+$/u, /^\s+$/u, /^ ?[^\s\p{L}\p{N}_]+$/u];

/**
 * The runs of the prefix's last tokens healing may cut, longest first (at most MAX_CUT_TOKENS
 * tokens and MAX_HEAL_CHARS characters, whole UTF-8, one token's shape). None at a line start: the
 * local cut leaves it alone too (healTail.ts, healLineStart).
 */
export function cutCandidates(prefixPieces: readonly Piece[]): { keep: number; removed: string }[] {
  const out: { keep: number; removed: string }[] = [];
  let removed = '';
  for (let k = 1; k <= Math.min(MAX_CUT_TOKENS, prefixPieces.length); k++) {
    const text = prefixPieces[prefixPieces.length - k]!.text;
    if (text === undefined) break;
    removed = text + removed;
    if (removed.length > MAX_HEAL_CHARS) break;
    if (removed.endsWith('\n')) return [];
    if (k === 1 || ONE_TOKEN_SHAPES.some((re) => re.test(removed))) out.unshift({ keep: prefixPieces.length - k, removed });
  }
  return out;
}

/** The text without its last space when it ends in a whitespace run: healTail.withoutLastSpace on the text's bytes. */
export function withoutLastSpaceText(text: string): string | undefined {
  const kept = withoutLastSpace(new TextEncoder().encode(text));
  return kept && new TextDecoder().decode(kept);
}

/**
 * A GBNF grammar for "starts with `text`, then anything": a string literal with GBNF's escapes
 * (quote, backslash, control characters as \xNN), then any characters but NUL.
 */
export function startsWithGrammar(text: string): string {
  const lit = [...text].map((ch) => (ch === '"' || ch === '\\' ? `\\${ch}` : ch.charCodeAt(0) < 0x20 || ch === '\x7f' ? `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}` : ch)).join('');
  return `root ::= "${lit}" rest\nrest ::= [^\\x00]*\n`;
}

export interface Healed {
  /** The FIM prompt's token ids with the cut applied. */
  readonly prompt: number[];
  /** The healed tokens after it and their text, which starts with `removed`. */
  readonly ids: number[];
  readonly text: string;
  readonly removed: string;
  /** Prompt tokens the masked steps' requests evaluated (the rest came from the slot's cache). */
  readonly evaluated: number;
}

export class ServerHealer {
  /** shorterTokens' answers: the same cut recurs while the user types a word. */
  private readonly shorter = new LRUCache<string, number[]>({ max: 256 });

  constructor(
    private readonly base: string,
    /** The FIM layout; its `sep` (end of text) separates texts tokenized in one request. */
    private readonly layout: FimLayout,
  ) {}

  /**
   * Heals a FIM request: the prefix and suffix tokenized by the server (one request), then the cut
   * candidates longest first until the masked steps re-type one (the local cut takes the longest
   * run a longer token extends: the masked step finding a covering token is that test). Undefined
   * when no cut heals (the caller runs unhealed).
   */
  async heal(prefix: string, suffix: string, http: HttpOptions): Promise<Healed | undefined> {
    const [pre = [], suf = []] = splitAt(await tokenPieces(this.base, [prefix, this.layout.sep, suffix], http), this.layout.sep);
    const counter = { evaluated: 0 };
    for (const cut of cutCandidates(pre)) {
      const prompt = fimIds(this.layout, pre.slice(0, cut.keep), suf);
      const start = await this.healedStart(prompt, cut.removed, http, counter);
      if (!start) continue;
      // the model took back the very token that was cut: heal only if a longer token exists (the
      // local cut's test, TokenByteIndex.isExtended); else the prompt stays as it was
      if (start.text === cut.removed && !(await this.isExtended(prompt, cut.removed, start.ids[0]!, http, counter))) return undefined;
      return { prompt, ...start, removed: cut.removed, evaluated: counter.evaluated };
    }
    return undefined;
  }

  /**
   * The masked steps after `prompt` (token ids): the healed tokens and their text (it starts with
   * `removed`), or undefined when the server gives no such token (the caller runs unhealed).
   */
  private async healedStart(prompt: readonly number[], removed: string, http: HttpOptions, counter: { evaluated: number }): Promise<{ ids: number[]; text: string } | undefined> {
    const ids: number[] = [];
    let text = '';
    for (let step = 0; step < MAX_MASKED_STEPS && text.length < removed.length; step++) {
      const rest = removed.slice(text.length);
      const next = await this.maskedStep([...prompt, ...ids], rest, http, counter);
      if (!next || next.text === '' || !(next.text.startsWith(rest) || rest.startsWith(next.text))) return undefined;
      ids.push(next.id);
      text += next.text;
    }
    return text.startsWith(removed) ? { ids, text } : undefined;
  }

  /** Whether some token longer than `text` starts with it: a masked step with `text`'s own token banned too still re-types it. */
  private async isExtended(prompt: readonly number[], text: string, own: number, http: HttpOptions, counter: { evaluated: number }): Promise<boolean> {
    const next = await this.maskedStep(prompt, text, http, counter, [own]);
    return next !== undefined && next.text.length > text.length && next.text.startsWith(text);
  }

  /** One greedy token after `prompt` starting with `rest` (or, at an indentation's end, all of it but its last space). */
  private async maskedStep(prompt: readonly number[], rest: string, http: HttpOptions, counter: { evaluated: number }, alsoBanned: readonly number[] = []): Promise<{ id: number; text: string } | undefined> {
    const url = `${this.base}/completion`;
    const banned = [...(await this.shorterTokens(rest, http)), ...alsoBanned];
    const body = {
      prompt,
      n_predict: 1,
      temperature: 0,
      cache_prompt: true,
      return_tokens: true,
      grammar: startsWithGrammar(rest),
      ...(banned.length ? { logit_bias: banned.map((id) => [id, false]) } : {}),
    };
    let answer: unknown;
    try {
      answer = await requestJson('POST', url, body, http);
    } catch (e) {
      // no token satisfies grammar and bans: the server's sampler falls back to one the grammar
      // then rejects, and answers 500 (measured: "Unexpected empty grammar stack")
      if (e instanceof BackendError && e.backendCode === 'http') return undefined;
      throw e;
    }
    const r = obj(answer, 'completion', url);
    counter.evaluated += serverFigures(r).promptEvaluated ?? 0;
    const id = Array.isArray(r.tokens) && typeof r.tokens[0] === 'number' ? r.tokens[0] : undefined;
    return id !== undefined && typeof r.content === 'string' ? { id, text: r.content } : undefined;
  }

  /**
   * Ids of the tokens whose text is a strict prefix of `text`, cached per text: every prefix
   * tokenized in one request, separated by the end-of-text token (parallel requests, one per
   * prefix, overflowed the server's listen backlog: measured, ECONNRESET).
   */
  private async shorterTokens(text: string, http: HttpOptions): Promise<number[]> {
    const hit = this.shorter.get(text);
    if (hit) return hit;
    const chars = [...text];
    const keep = withoutLastSpaceText(text);
    const prefixes = chars.slice(1, MAX_HEAL_CHARS).map((_, i) => chars.slice(0, i + 1).join('')).filter((p) => p !== keep);
    const out: number[] = [];
    if (prefixes.length > 0) {
      const runs = splitAt(await tokenPieces(this.base, prefixes.flatMap((p) => [p, this.layout.sep]), http), this.layout.sep);
      prefixes.forEach((p, i) => {
        const run = runs[i];
        if (run?.length === 1 && run[0]!.text === p) out.push(run[0]!.id);
      });
    }
    this.shorter.set(text, out);
    return out;
  }
}
