import type { SuggestionFilter } from './filter';

/** Nothing to show: an empty or whitespace-only suggestion is dropped. */
export const dropEmpty: SuggestionFilter = (text) => (text.trim() === '' ? undefined : text);
