const grouping = new Intl.NumberFormat('en-US');

/** `1234567` → `"1,234,567"`. One fixed grouping everywhere, so that counts read the same in every UI. */
export function formatCount(n: number): string {
  return grouping.format(n);
}

/** Characters per token with one decimal, `"–"` when there are no tokens. Characters are UTF-16 units. */
export function formatCharsPerToken(chars: number, tokens: number): string {
  return tokens === 0 ? '–' : (chars / tokens).toFixed(1);
}
