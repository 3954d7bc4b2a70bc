import type { CuratedGlitchToken, EvidenceStrength } from './curated';
import type { StructuralReport } from './structural';

export type GlitchKind = 'curated' | 'unreachable' | 'specialText' | 'model';

/** Why one vocabulary token is flagged, with its evidence; shared by every finding of it. */
export interface GlitchInfo {
  readonly kind: GlitchKind;
  readonly tokenizer: string;
  readonly id: number;
  /** The token's text. */
  readonly text: string;
  readonly strength: EvidenceStrength;
  /** One sentence: why it is flagged. */
  readonly why: string;
  /** What was observed or measured. */
  readonly evidence: string;
  readonly reference?: string;
  readonly scope: 'tokenizer' | 'model';
  readonly model?: string;
}

/** A weight-based candidate of a local model (see embeddingIndicator). */
export interface ModelCandidate {
  readonly id: number;
  readonly text: string;
  /** Rank among all tokens by the indicator (0 = most suspicious). */
  readonly rank: number;
  readonly indicator: string;
  readonly value: number;
  /** Verified by prompting: the model could not repeat it (undefined: not tried). */
  readonly verified?: boolean;
  readonly model: string;
}

const LETTERS = /\p{L}/gu;

/**
 * The glitch tokens of one tokenizer: ids that, when they occur in a document's tokenization, get
 * a finding (curated reports, a local model's under-trained candidates), and texts whose occurrence
 * in a document deserves a note although the token itself never occurs (special-token strings,
 * unreachable tokens made of words). Built once per tokenizer; lookups are O(1) per token.
 */
export class GlitchIndex {
  readonly byId = new Map<number, GlitchInfo>();
  /** Text patterns, longest first (so that " 亚洲AV" wins over "亚洲AV" at the same place). */
  readonly patterns: GlitchInfo[] = [];
  private patternByText = new Map<string, GlitchInfo>();
  private regex: RegExp | undefined;
  maxPatternLength = 0;

  constructor(readonly tokenizer: string) {}

  static build(options: {
    tokenizer: string;
    curated?: readonly CuratedGlitchToken[];
    structural?: StructuralReport;
    /** Text of a token id (for structural findings). */
    tokenText?: (id: number) => string | undefined;
    /** Special tokens whose text in a document is worth a note. */
    specials?: readonly { id: number; text: string }[];
    modelCandidates?: readonly ModelCandidate[];
  }): GlitchIndex {
    const ix = new GlitchIndex(options.tokenizer);
    for (const c of options.curated ?? []) {
      ix.byId.set(c.id, {
        kind: 'curated',
        tokenizer: options.tokenizer,
        id: c.id,
        text: c.text,
        strength: c.source.strength,
        why: c.source.scope === 'model' ? `Reported glitch token of ${c.source.model ?? 'a model'} using ${c.encoding}.` : `Reported glitch token of ${c.encoding}.`,
        evidence: c.source.observed,
        reference: c.source.reference,
        scope: c.source.scope,
        ...(c.source.model ? { model: c.source.model } : {}),
      });
    }
    // A local model's candidates are ids of *its* vocabulary, not of this encoding: they are matched
    // as text (where the document contains the token's text, the model's tokenizer may produce it).
    for (const m of options.modelCandidates ?? []) {
      if (m.verified === false) continue; // it repeated the token fine when prompted
      ix.addPattern({
        kind: 'model',
        tokenizer: m.model,
        id: m.id,
        text: m.text,
        strength: m.verified ? 'strong' : 'weak',
        why: `This text is token ${m.id} of ${m.model}, whose weights look like those of tokens the model never saw in training (under-trained).`,
        evidence:
          `Rank ${m.rank + 1} of the vocabulary by ${m.indicator} (${m.value.toPrecision(3)})` +
          (m.verified ? '; prompted to repeat it, the model failed.' : '; not verified by prompting (run Find Under-trained Tokens and verify).'),
        reference: 'S. Land & M. Bartolo, "Fishing for Magikarp: Automatically Detecting Under-trained Tokens in Large Language Models", EMNLP 2024',
        scope: 'model',
        model: m.model,
      });
    }
    if (options.structural && options.tokenText) {
      for (const id of options.structural.unreachable) {
        const text = options.tokenText(id);
        // Unreachable pieces of whitespace and punctuation (o200k's "\n//", " I'") are artefacts of
        // the pre-tokenizer and occur everywhere in text; tokens made of words (spam phrases) are news.
        if (!text || (text.match(LETTERS)?.length ?? 0) < 2) continue;
        ix.addPattern({
          kind: 'unreachable',
          tokenizer: options.tokenizer,
          id,
          text,
          strength: 'weak',
          why: `The vocabulary has a token for this text (id ${id}), but the tokenizer never produces it: the model never saw it in training.`,
          evidence: `Encoding the token's own text gives other tokens (structural check of ${options.tokenizer}). The text here is tokenized normally; a model that samples token ${id} is off-distribution.`,
          scope: 'tokenizer',
        });
      }
    }
    for (const s of options.specials ?? []) {
      ix.addPattern({
        kind: 'specialText',
        tokenizer: options.tokenizer,
        id: s.id,
        text: s.text,
        strength: 'weak',
        why: `This is the text of the special token ${s.text} (id ${s.id}).`,
        evidence: 'Tokenscope counts it as ordinary text. An API or chat template that parses special tokens would turn it into the control token — ending a prompt, or starting a new turn.',
        scope: 'tokenizer',
      });
    }
    return ix;
  }

  private addPattern(info: GlitchInfo): void {
    if (info.text.length === 0 || this.patternByText.has(info.text)) return;
    this.patternByText.set(info.text, info);
    this.patterns.push(info);
    this.patterns.sort((a, b) => b.text.length - a.text.length);
    this.maxPatternLength = Math.max(this.maxPatternLength, info.text.length);
    this.regex = undefined;
  }

  get isEmpty(): boolean {
    return this.byId.size === 0 && this.patterns.length === 0;
  }

  /** Occurrences of the text patterns in `text`, as [start, end, info] relative to `text`. O(text). */
  matchText(text: string, visit: (start: number, end: number, info: GlitchInfo) => void): void {
    if (this.patterns.length === 0) return;
    this.regex ??= new RegExp(this.patterns.map((p) => escapeRegExp(p.text)).join('|'), 'gu');
    const re = this.regex;
    re.lastIndex = 0;
    for (let m = re.exec(text); m; m = re.exec(text)) {
      const info = this.patternByText.get(m[0]);
      if (info) visit(m.index, m.index + m[0].length, info);
      if (m[0].length === 0) re.lastIndex++;
    }
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
