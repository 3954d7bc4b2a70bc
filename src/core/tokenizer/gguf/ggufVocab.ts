/**
 * A model's vocabulary as llama.cpp loads it from GGUF metadata: token texts, types and the token
 * attributes llama.cpp derives from them (including its by-name fix-ups, which decide which tokens
 * are split out of the text before tokenization), scores, merges, and special / FIM token ids.
 */
import { inRanges, runSteps, type Steps } from '../../../common/steps';
import { TokenscopeError } from '../../../common/errors';
import { GgufFile, type GgufStringArray } from '../../gguf/ggufFile';
import { ByteStringTable } from './byteStringTable';
import { isSupportedPreType, supportedPreTypes } from './llamaPretokenizer';

/** Which part of a vocabulary is not supported. */
export type UnsupportedVocabFeature = 'model' | 'pre-tokenizer' | 'metadata';

/** Thrown for vocabularies this tokenizer cannot reproduce exactly (code `gguf-unsupported`). */
export class UnsupportedVocabError extends TokenscopeError {
  constructor(
    readonly feature: UnsupportedVocabFeature,
    readonly value: string,
    message: string,
  ) {
    super('gguf-unsupported', message);
    this.name = 'UnsupportedVocabError';
  }
}

/** llama.cpp token attributes (bit flags, `llama_token_attr`). */
export const TokenAttr = {
  Unknown: 1 << 0,
  Unused: 1 << 1,
  Normal: 1 << 2,
  Control: 1 << 3,
  UserDefined: 1 << 4,
  Byte: 1 << 5,
  Normalized: 1 << 6,
  Lstrip: 1 << 7,
  Rstrip: 1 << 8,
  SingleWord: 1 << 9,
} as const;

/** `tokenizer.ggml.token_type` values. */
const TYPE_TO_ATTR: Readonly<Record<number, number>> = {
  1: TokenAttr.Normal,
  2: TokenAttr.Unknown,
  3: TokenAttr.Control,
  4: TokenAttr.UserDefined,
  5: TokenAttr.Unused,
  6: TokenAttr.Byte,
};

/** Byte-level BPE (GPT-2 style, `gpt2`) or SentencePiece (`llama`). */
export type VocabKind = 'bpe' | 'spm';

export interface SpecialTokenIds {
  readonly bos: number | undefined;
  readonly eos: number | undefined;
  readonly eot: number | undefined;
  readonly eom: number | undefined;
  readonly unk: number | undefined;
  readonly sep: number | undefined;
  readonly pad: number | undefined;
  readonly mask: number | undefined;
  readonly fimPre: number | undefined;
  readonly fimSuf: number | undefined;
  readonly fimMid: number | undefined;
  readonly fimPad: number | undefined;
  readonly fimRep: number | undefined;
  readonly fimSep: number | undefined;
}

type MutableSpecialIds = { -readonly [K in keyof SpecialTokenIds]: SpecialTokenIds[K] };

const UNSUPPORTED_MODELS: Readonly<Record<string, string>> = {
  bert: 'WordPiece',
  t5: 'Unigram',
  rwkv: 'RWKV',
  plamo2: 'PLaMo-2',
  gemma4: 'Gemma 4 BPE over space-escaped UTF-8',
  hybriddna: 'HybridDNA',
  whitespace: 'whitespace-split BPE',
  no_vocab: 'no vocabulary',
  none: 'no vocabulary',
  test: 'test vocabulary',
};

// Tokens llama.cpp recognises by text when the GGUF does not name them (first present wins here;
// llama.cpp takes whichever its hash map yields first, which only matters if a vocab has several).
const EOT_TEXTS = ['<|eot_id|>', '<|im_end|>', '<|end|>', '<end_of_turn>', '<|endoftext|>', '<|end_of_text|>', '<EOT>', '_<EOT>', '[EOT]', '<｜end▁of▁sentence｜>', '<end_of_utterance>'];
const FIM_TEXTS: ReadonlyArray<readonly [keyof SpecialTokenIds, readonly string[]]> = [
  ['eom', ['<|eom_id|>']],
  ['fimPre', ['<|fim_prefix|>', '<fim-prefix>', '<fim_prefix>', '<｜fim▁begin｜>', '<PRE>', '▁<PRE>', '<|code_prefix|>', '<|prefix|>']],
  ['fimSuf', ['<|fim_suffix|>', '<fim-suffix>', '<fim_suffix>', '<｜fim▁hole｜>', '<SUF>', '▁<SUF>', '<|code_suffix|>', '<|suffix|>']],
  ['fimMid', ['<|fim_middle|>', '<fim-middle>', '<fim_middle>', '<｜fim▁end｜>', '<MID>', '▁<MID>', '<|code_middle|>', '<|middle|>']],
  ['fimPad', ['<|fim_pad|>', '<fim-pad>', '<fim_pad>', '<PAD>', '[PAD]']],
  ['fimRep', ['<|fim_repo|>', '<|repo_name|>', '<fim-repo>', '<REPO>', '<reponame>']],
  ['fimSep', ['<|file_sep|>']],
];
/** End-of-generation tokens by text; llama.cpp marks them control tokens. */
const EOG_TEXTS = new Set([
  '<|eot_id|>', '<|im_end|>', '<|end|>', '<|return|>', '<|call|>', '<|flush|>', '<|calls|>', '<end_of_turn>', '<|endoftext|>', '</s>',
  '<|eom_id|>', '<EOT>', '_<EOT>', '[EOT]', '[EOS]', '<|end_of_text|>', '<end_of_utterance>', '<eos>', '<turn|>', '<|tool_response>',
  '<｜end▁of▁sentence｜>', '[e~[',
]);
/** gpt-oss chat-format tokens that llama.cpp forces to user-defined (always rendered). */
const FORCED_USER_DEFINED = ['<|channel|>', '<|message|>', '<|start|>', '<|constrain|>'];

// GGUF keys of the special ids, in llama.cpp's order: the deprecated FIM keys come last and win.
const SPECIAL_KEYS: ReadonlyArray<readonly [keyof SpecialTokenIds, string]> = [
  ['bos', 'bos_token_id'], ['eos', 'eos_token_id'], ['eot', 'eot_token_id'], ['eom', 'eom_token_id'],
  ['unk', 'unknown_token_id'], ['sep', 'seperator_token_id'], ['pad', 'padding_token_id'], ['mask', 'mask_token_id'],
  ['fimPre', 'fim_pre_token_id'], ['fimSuf', 'fim_suf_token_id'], ['fimMid', 'fim_mid_token_id'],
  ['fimPad', 'fim_pad_token_id'], ['fimRep', 'fim_rep_token_id'], ['fimSep', 'fim_sep_token_id'],
  ['fimPre', 'prefix_token_id'], ['fimSuf', 'suffix_token_id'], ['fimMid', 'middle_token_id'],
];

export class GgufVocab {
  /** llama.cpp token attributes after its fix-ups, per id. */
  readonly attrs: Uint16Array;
  private partition: number[] | undefined;
  private decoded: Array<string | undefined>;
  private allDecoded: { strings: string[]; valid: Uint8Array } | undefined;
  private textMap: Map<string, number> | undefined;

  private constructor(
    /** `tokenizer.ggml.model`. */
    readonly model: string,
    readonly kind: VocabKind,
    /** `tokenizer.ggml.pre` ('default' when absent); always 'default' for SPM. */
    readonly pre: string,
    /** Token texts as stored (GPT-2 byte-encoded for BPE, U+2581 for spaces for SPM). Empty ones are renamed, see `textBytes`. */
    readonly rawTexts: GgufStringArray,
    /** Stored text bytes → id, over all tokens (llama.cpp's `token_to_id`). */
    readonly textIndex: ByteStringTable,
    readonly tokenTypes: Int32Array | undefined,
    /** SPM piece scores (f32, or i32 converted); zeros when absent. */
    readonly scores: Float32Array,
    /** BPE merges "left right" (stored encoding), rank = index. */
    readonly merges: GgufStringArray | undefined,
    readonly special: SpecialTokenIds,
    /** SPM: prefix a space to each text fragment that starts the text or follows a split-out token. */
    readonly addSpacePrefix: boolean,
    attrs: Uint16Array,
  ) {
    this.attrs = attrs;
    this.decoded = new Array<string | undefined>(rawTexts.length);
  }

  get size(): number {
    return this.rawTexts.length;
  }

  /**
   * Tokens split out of raw text before tokenization with parse_special = false: user-defined,
   * neither control nor unknown (after llama.cpp's fix-ups), longest stored text (bytes) first.
   * Ties by id: llama.cpp's sort is unstable, and order among equal lengths only matters for
   * overlapping tokens. Tokens whose text is not valid UTF-8 are left out (they cannot occur at a
   * character boundary of real text).
   */
  get partitionIds(): readonly number[] {
    if (!this.partition) {
      const ids: number[] = [];
      for (let id = 0; id < this.size; id++) {
        const a = this.attrs[id]!;
        if (a & TokenAttr.UserDefined && !(a & (TokenAttr.Control | TokenAttr.Unknown)) && this.hasValidText(id)) ids.push(id);
      }
      ids.sort((a, b) => this.textBytes(b).length - this.textBytes(a).length || a - b);
      this.partition = ids;
    }
    return this.partition;
  }

  /** Stored text of token `id` as a string (invalid UTF-8 shows as U+FFFD). Decoded on first use. */
  text(id: number): string {
    let t = this.decoded[id];
    if (t === undefined) {
      t = this.rawTexts.byteLength(id) === 0 ? `[EMPTY_${id}]` : this.rawTexts.at(id);
      this.decoded[id] = t;
    }
    return t;
  }

  /** Stored text bytes of token `id` (empty tokens renamed `[EMPTY_<id>]`, as llama.cpp does). */
  textBytes(id: number): Uint8Array {
    return this.rawTexts.byteLength(id) === 0 ? utf8.encode(`[EMPTY_${id}]`) : this.rawTexts.bytesAt(id);
  }

  /** All stored texts (empty ones renamed), decoded on first call (≈10 ms per 100k tokens). */
  get texts(): readonly string[] {
    return this.decodeAll().strings;
  }

  /** Stored text → id over tokens whose text is valid UTF-8 (only those can equal real text). Built on first call. */
  get idByText(): ReadonlyMap<string, number> {
    if (!this.textMap) {
      const map = new Map<string, number>();
      const { strings, valid } = this.decodeAll();
      for (let i = 0; i < strings.length; i++) if (valid[i]) map.set(strings[i]!, i);
      this.textMap = map;
    }
    return this.textMap;
  }

  private decodeAll(): { strings: string[]; valid: Uint8Array } {
    if (!this.allDecoded) runSteps(this.decodeAllInSteps());
    return this.allDecoded!;
  }

  /** Decodes `texts` now, in steps of ITEMS_PER_STEP tokens (nothing to do once decoded). */
  *decodeAllInSteps(): Steps<void> {
    if (this.allDecoded) return;
    const d = yield* decodeStringsInSteps(this.rawTexts);
    for (let i = 0; i < d.strings.length; i++) {
      if (d.strings[i] !== '') continue;
      d.strings[i] = `[EMPTY_${i}]`;
      d.valid[i] = 1;
    }
    this.allDecoded = d;
  }

  /** Id of the token whose stored text is `text`, if any. */
  idOfText(text: string): number | undefined {
    const b = utf8.encode(text);
    const id = this.textIndex.get(b, 0, b.length);
    return id < 0 ? undefined : id;
  }

  /** True when the stored text of `id` is valid UTF-8. */
  hasValidText(id: number): boolean {
    return this.rawTexts.byteLength(id) === 0 || utf16LengthIfValid(this.rawTexts.bytes, this.rawTexts.offsets[id]!, this.rawTexts.offsets[id + 1]!) >= 0;
  }

  /**
   * Reads the vocabulary from GGUF metadata. Throws `UnsupportedVocabError` for tokenizer models
   * and pre-tokenizers this module does not implement, `gguf-invalid` for malformed metadata.
   * Cost: O(vocab bytes) hashing, no per-token strings; ≈10–20 ms for a 150k-token vocab.
   */
  static fromGguf(g: GgufFile): GgufVocab {
    return runSteps(GgufVocab.fromGgufInSteps(g));
  }

  /** `fromGguf` in steps: indexing the token texts yields every ITEMS_PER_STEP tokens. */
  static *fromGgufInSteps(g: GgufFile): Steps<GgufVocab> {
    const model = g.getString('tokenizer.ggml.model');
    if (model === undefined) throw new UnsupportedVocabError('metadata', '', `${g.path}: no tokenizer.ggml.model; the file has no vocabulary`);
    let kind: VocabKind;
    if (model === 'gpt2') kind = 'bpe';
    else if (model === 'llama') kind = 'spm';
    else {
      const what = UNSUPPORTED_MODELS[model];
      throw new UnsupportedVocabError(
        'model',
        model,
        `${g.path}: unsupported tokenizer model '${model}'${what ? ` (${what})` : ''}; supported: gpt2 (byte-level BPE), llama (SentencePiece)`,
      );
    }
    const rawPre = g.getString('tokenizer.ggml.pre') ?? '';
    const pre = kind === 'spm' || rawPre === '' ? 'default' : rawPre;
    if (kind === 'bpe' && !isSupportedPreType(pre)) {
      throw new UnsupportedVocabError(
        'pre-tokenizer',
        pre,
        `${g.path}: unsupported pre-tokenizer '${pre}' (tokenizer.ggml.pre); supported: ${supportedPreTypes().join(', ')}`,
      );
    }

    const raw = g.getStringArray('tokenizer.ggml.tokens');
    if (!raw || raw.length === 0) throw new TokenscopeError('gguf-invalid', `${g.path}: no tokenizer.ggml.tokens`);
    const n = raw.length;
    const index = new ByteStringTable(n, raw.bytes.length);
    yield* index.addAllInSteps(raw.bytes, raw.offsets);
    for (let i = 0; i < n; i++) {
      if (raw.byteLength(i) > 0) continue;
      const renamed = utf8.encode(`[EMPTY_${i}]`); // as llama.cpp renames empty tokens
      index.set(renamed, 0, renamed.length, i);
    }

    const types = g.getInt32Array('tokenizer.ggml.token_type');
    if (types && types.length < n) throw new TokenscopeError('gguf-invalid', `${g.path}: ${types.length} token types for ${n} tokens`);
    const attrs = new Uint16Array(n);
    for (let i = 0; i < n; i++) attrs[i] = types ? (TYPE_TO_ATTR[types[i]!] ?? 0) : TokenAttr.Normal;

    const scores = new Float32Array(n);
    const rawScores = g.getNumericArray('tokenizer.ggml.scores');
    if (rawScores) {
      if (rawScores.length < n) throw new TokenscopeError('gguf-invalid', `${g.path}: ${rawScores.length} scores for ${n} tokens`);
      if (!(rawScores instanceof Float32Array) && !(rawScores instanceof Int32Array)) {
        throw new TokenscopeError('gguf-invalid', `${g.path}: tokenizer.ggml.scores must be f32 or i32`);
      }
      for (let i = 0; i < n; i++) scores[i] = rawScores[i]!;
    }

    let merges: GgufStringArray | undefined;
    if (kind === 'bpe') {
      merges = g.getStringArray('tokenizer.ggml.merges');
      if (!merges) throw new TokenscopeError('gguf-invalid', `${g.path}: BPE vocabulary without tokenizer.ggml.merges`);
    }

    const special = resolveSpecialIds(g, kind, n);
    const vocab = new GgufVocab(model, kind, pre, raw, index, types, scores, merges, special, g.getBool('tokenizer.ggml.add_space_prefix') ?? kind === 'spm', attrs);
    applyLlamaAttributeFixups(g, vocab, attrs, special);
    return vocab;
  }
}

const utf8 = new TextEncoder();

function resolveSpecialIds(g: GgufFile, kind: VocabKind, n: number): MutableSpecialIds {
  const ids: MutableSpecialIds = {
    bos: kind === 'spm' ? 1 : 11,
    eos: kind === 'spm' ? 2 : 11,
    eot: undefined,
    eom: undefined,
    unk: kind === 'spm' ? 0 : undefined,
    sep: undefined,
    pad: undefined,
    mask: undefined,
    fimPre: undefined,
    fimSuf: undefined,
    fimMid: undefined,
    fimPad: undefined,
    fimRep: undefined,
    fimSep: undefined,
  };
  for (const [field, key] of SPECIAL_KEYS) {
    const d = ids[field];
    if (d !== undefined && d >= n) ids[field] = undefined; // a default outside the vocab is disabled
    const v = g.getInteger(`tokenizer.ggml.${key}`);
    if (v !== undefined && v >= 0 && v < n) ids[field] = v; // an out-of-range id keeps the default
  }
  return ids;
}

/** llama.cpp's attribute fix-ups at load time, in its order. */
function applyLlamaAttributeFixups(g: GgufFile, vocab: GgufVocab, attrs: Uint16Array, special: MutableSpecialIds): void {
  const id = (text: string): number | undefined => vocab.idOfText(text);
  const markControl = (i: number): void => {
    attrs[i] = attrs[i]! | TokenAttr.Control;
  };
  if (special.eot === undefined) {
    for (const t of EOT_TEXTS) {
      const i = id(t);
      if (i !== undefined) {
        special.eot = i;
        markControl(i);
        break;
      }
    }
  }
  for (const [field, candidates] of FIM_TEXTS) {
    if (special[field] !== undefined) continue;
    for (const t of candidates) {
      const i = id(t);
      if (i !== undefined) {
        special[field] = i;
        markControl(i);
        break;
      }
    }
  }
  for (let i = 0; i < attrs.length; i++) {
    if (attrs[i]! & TokenAttr.Control && vocab.text(i).includes('unused')) attrs[i] = attrs[i]! | TokenAttr.Unused;
  }
  const eog = new Set<number>();
  for (const f of [special.fimPad, special.fimRep, special.fimSep]) if (f !== undefined) eog.add(f);
  for (const t of EOG_TEXTS) {
    const i = id(t);
    if (i !== undefined) {
      eog.add(i);
      markControl(i);
    }
  }
  for (const t of FORCED_USER_DEFINED) {
    const i = id(t);
    if (i !== undefined) attrs[i] = TokenAttr.UserDefined;
  }
  for (const f of [special.eos, special.eot, special.eom]) if (f !== undefined) eog.add(f);
  const eogTexts = new Set([...eog].map((i) => vocab.text(i)));
  // harmony / solar-open: "<|end|>" ends a message, not generation, and is rendered
  const end = id('<|end|>');
  const hasCall = eogTexts.has('<|call|>') || eogTexts.has('<|calls|>');
  if (end !== undefined && eog.has(end) && hasCall && (eogTexts.has('<|return|>') || eogTexts.has('<|flush|>'))) {
    attrs[end] = TokenAttr.UserDefined;
  }
  // Gemma 4: "</s>" is ordinary text
  const s = id('</s>');
  if (s !== undefined && eog.has(s) && eogTexts.has('<|tool_response>')) attrs[s] = TokenAttr.Normal;

  // Per-model strip attributes, which apply when a split-out token has whitespace next to it.
  const name = (g.getString('general.name') ?? '').toLowerCase();
  const pre = g.getString('tokenizer.ggml.pre') ?? '';
  const arch = g.getString('general.architecture') ?? '';
  const setAttr = (i: number | undefined, bit: number, on: boolean): void => {
    if (i !== undefined) attrs[i] = on ? attrs[i]! | bit : attrs[i]! & ~bit;
  };
  if (['jina-v2-de', 'jina-v2-es', 'jina-v2-code'].some((p) => pre.includes(p)) || ['nomic-bert-moe', 'jina-bert-v3'].some((a) => arch.includes(a))) {
    setAttr(id('<mask>'), TokenAttr.Lstrip, true);
  } else if (name.includes('phi-3') || name.includes('phi3')) {
    for (let i = 0; i < attrs.length; i++) {
      if (attrs[i]! & (TokenAttr.Control | TokenAttr.UserDefined | TokenAttr.Unknown)) setAttr(i, TokenAttr.Rstrip, true);
    }
    setAttr(id('</s>'), TokenAttr.Rstrip, true);
    for (const t of ['<unk>', '<s>', '<|endoftext|>']) setAttr(id(t), TokenAttr.Rstrip, false);
  } else if (name.includes('modern-bert')) {
    setAttr(id('[MASK]'), TokenAttr.Lstrip, true);
  }
}

/**
 * Decodes every element of a GGUF string array. Valid UTF-8 runs are decoded with one
 * TextDecoder call per run and sliced by precomputed UTF-16 lengths: ≈10× faster than one
 * decode per token for 150k tokens. `valid[i]` is 0 for elements that are not valid UTF-8
 * (decoded on their own, with U+FFFD). A step between ranges of ITEMS_PER_STEP elements.
 */
function* decodeStringsInSteps(arr: GgufStringArray): Steps<{ strings: string[]; valid: Uint8Array }> {
  const n = arr.length;
  const into = { strings: new Array<string>(n), valid: new Uint8Array(n), units: new Uint32Array(n) };
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true }); // a leading U+FEFF is text, not a byte-order mark
  yield* inRanges(n, (from, to) => decodeStringRange(arr, from, to, decoder, into));
  return { strings: into.strings, valid: into.valid };
}

/** Decodes elements [from, to) of `arr` into `into` (one TextDecoder call per run of valid UTF-8). */
function decodeStringRange(arr: GgufStringArray, from: number, to: number, decoder: InstanceType<typeof TextDecoder>, into: { strings: string[]; valid: Uint8Array; units: Uint32Array }): void {
  const { bytes, offsets } = arr;
  const { strings, valid, units } = into;
  for (let i = from; i < to; i++) {
    const u = utf16LengthIfValid(bytes, offsets[i]!, offsets[i + 1]!);
    if (u >= 0) {
      units[i] = u;
      valid[i] = 1;
    }
  }
  let i = from;
  while (i < to) {
    if (!valid[i]) {
      strings[i] = decoder.decode(arr.bytesAt(i));
      i++;
      continue;
    }
    let j = i;
    while (j < to && valid[j]) j++;
    const all = decoder.decode(bytes.subarray(offsets[i], offsets[j]));
    let at = 0;
    for (let k = i; k < j; k++) {
      const end = at + units[k]!;
      strings[k] = all.slice(at, end);
      at = end;
    }
    i = j;
  }
}

/** UTF-16 length of bytes[start, end) if they are well-formed UTF-8 (no surrogates, no overlongs), else -1. */
export function utf16LengthIfValid(b: Uint8Array, start: number, end: number): number {
  let units = 0;
  let i = start;
  while (i < end) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      units++;
      continue;
    }
    let need: number;
    let min: number;
    let cp: number;
    if (c >= 0xc2 && c <= 0xdf) {
      need = 1;
      min = 0x80;
      cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      min = 0x800;
      cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      min = 0x10000;
      cp = c & 0x07;
    } else return -1;
    if (i + need >= end) return -1;
    for (let k = 1; k <= need; k++) {
      const d = b[i + k]!;
      if ((d & 0xc0) !== 0x80) return -1;
      cp = (cp << 6) | (d & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return -1;
    units += cp >= 0x10000 ? 2 : 1;
    i += need + 1;
  }
  return units;
}
