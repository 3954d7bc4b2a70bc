import { LRUCache } from 'lru-cache';
import type { CompletionContext } from './types';

interface Entry {
  /** The options it was generated with (healing mode, token limit): another variant is another suggestion. */
  readonly variant: string;
  readonly prefix: string;
  readonly suffix: string;
  /** The suggestion shown after `prefix` (post-processed). */
  readonly text: string;
}

/** A suggestion found in the cache: the text still to insert, and how it was found. */
export interface CacheHit {
  readonly text: string;
  readonly kind: 'cache' | 'typed-through';
}

/**
 * Suggestions shown recently, keyed by their context (lru-cache, 64 entries). Besides exact
 * hits, serves **typed-through** requests: when the user has typed the first characters of a shown
 * suggestion (same suffix, the prefix grew by a beginning of the suggestion), the rest is served
 * at once without asking the model. Cost of a miss: O(entries) string comparisons of the prefix.
 */
export class SuggestionCache {
  private readonly lru = new LRUCache<string, Entry>({ max: 64 });

  set(variant: string, context: CompletionContext, text: string): void {
    this.lru.set(keyOf(variant, context), { variant, prefix: context.prefix, suffix: context.suffix, text });
  }

  get(variant: string, context: CompletionContext): CacheHit | undefined {
    const exact = this.lru.get(keyOf(variant, context));
    if (exact) return { text: exact.text, kind: 'cache' };
    for (const e of this.lru.values()) {
      const typed = e.variant === variant ? typedThrough(e, context) : undefined;
      if (typed !== undefined) {
        // refresh its recency: the user is following this suggestion
        this.lru.get(keyOf(variant, e));
        return { text: typed, kind: 'typed-through' };
      }
    }
    return undefined;
  }

  clear(): void {
    this.lru.clear();
  }
}

/** The rest of `e`'s suggestion when `c` is `e` with a (proper) beginning of it typed; else undefined. */
export function typedThrough(e: { readonly prefix: string; readonly suffix: string; readonly text: string }, c: CompletionContext): string | undefined {
  if (c.suffix !== e.suffix || c.prefix.length <= e.prefix.length || !c.prefix.startsWith(e.prefix)) return undefined;
  const typed = c.prefix.length - e.prefix.length;
  if (typed >= e.text.length || !e.text.startsWith(c.prefix.slice(e.prefix.length))) return undefined;
  return e.text.slice(typed);
}

function keyOf(variant: string, c: { readonly prefix: string; readonly suffix: string }): string {
  return `${variant}\u0000${c.prefix.length}\u0000${c.prefix}\u0000${c.suffix}`;
}
