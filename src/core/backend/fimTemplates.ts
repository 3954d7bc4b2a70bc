/**
 * Fill-in-the-middle prompt formats of the major code-model families (from their model cards), for
 * backends that take a raw prompt and for GGUF files without FIM token ids in their metadata.
 */
export type FimFamily = 'qwen' | 'starcoder' | 'codellama' | 'deepseek' | 'codestral';

export interface FimTemplate {
  readonly family: FimFamily;
  /** The marker texts; `order` says which of prefix/suffix comes first. */
  readonly prefix: string;
  readonly suffix: string;
  readonly middle: string;
  /** PSM: prefix, suffix, middle (most families). SPM: Codestral puts the suffix first and ends with the prefix. */
  readonly order: 'psm' | 'spm';
  /** Texts that end a completion besides the model's end-of-generation token. */
  readonly stop: readonly string[];
}

export const FIM_TEMPLATES: Readonly<Record<FimFamily, FimTemplate>> = {
  qwen: { family: 'qwen', prefix: '<|fim_prefix|>', suffix: '<|fim_suffix|>', middle: '<|fim_middle|>', order: 'psm', stop: ['<|endoftext|>', '<|fim_pad|>', '<|file_sep|>', '<|repo_name|>', '<|im_end|>'] },
  starcoder: { family: 'starcoder', prefix: '<fim_prefix>', suffix: '<fim_suffix>', middle: '<fim_middle>', order: 'psm', stop: ['<|endoftext|>', '<fim_pad>', '<file_sep>'] },
  codellama: { family: 'codellama', prefix: '<PRE> ', suffix: ' <SUF>', middle: ' <MID>', order: 'psm', stop: ['<EOT>'] },
  deepseek: { family: 'deepseek', prefix: '<｜fim▁begin｜>', suffix: '<｜fim▁hole｜>', middle: '<｜fim▁end｜>', order: 'psm', stop: ['<｜end▁of▁sentence｜>', '<|EOT|>'] },
  codestral: { family: 'codestral', prefix: '[PREFIX]', suffix: '[SUFFIX]', middle: '', order: 'spm', stop: ['</s>'] },
};

/** The raw prompt text for a family (markers as text: for servers that parse special tokens). */
export function fimPrompt(t: FimTemplate, prefix: string, suffix: string): string {
  return t.order === 'psm' ? `${t.prefix}${prefix}${t.suffix}${suffix}${t.middle}` : `${t.suffix}${suffix}${t.prefix}${prefix}`;
}

/** Guesses the family from the vocabulary's token texts (for GGUF files without FIM metadata). */
export function detectFimFamily(hasToken: (text: string) => boolean): FimFamily | undefined {
  if (hasToken('<|fim_prefix|>') && hasToken('<|fim_middle|>')) return 'qwen';
  if (hasToken('<fim_prefix>') && hasToken('<fim_middle>')) return 'starcoder';
  if (hasToken('<｜fim▁begin｜>')) return 'deepseek';
  if (hasToken('[SUFFIX]') && hasToken('[PREFIX]')) return 'codestral';
  if (hasToken('▁<PRE>') || hasToken('<PRE>')) return 'codellama';
  return undefined;
}

/** Cuts `text` at the first stop string; returns the text before it and whether one was found. */
export function cutAtStop(text: string, stop: readonly string[]): { text: string; stopped: boolean } {
  let at = -1;
  for (const s of stop) {
    if (!s) continue;
    const i = text.indexOf(s);
    if (i >= 0 && (at < 0 || i < at)) at = i;
  }
  return at < 0 ? { text, stopped: false } : { text: text.slice(0, at), stopped: true };
}
