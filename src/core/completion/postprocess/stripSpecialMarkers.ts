import type { SuggestionFilter } from './filter';

/**
 * Leaked control text ends the suggestion: FIM markers and end-of-text tokens of the common
 * families, rendered as text (a model that emits its own markers is done with the middle).
 */
const MARKERS = [
  '<|endoftext|>', '<|im_end|>', '<|im_start|>', '<|fim_prefix|>', '<|fim_suffix|>', '<|fim_middle|>', '<|fim_pad|>', '<|file_sep|>', '<|repo_name|>',
  '<fim_prefix>', '<fim_suffix>', '<fim_middle>', '<fim_pad>', '<file_sep>', '<EOT>', '<PRE>', '<SUF>', '<MID>', '<｜fim▁begin｜>', '<｜fim▁hole｜>', '<｜fim▁end｜>', '<｜end▁of▁sentence｜>', '<|EOT|>', '[PREFIX]', '[SUFFIX]', '</s>',
];

export const stripSpecialMarkers: SuggestionFilter = (text) => {
  let end = text.length;
  for (const m of MARKERS) {
    const i = text.indexOf(m);
    if (i >= 0 && i < end) end = i;
  }
  return text.slice(0, end);
};
