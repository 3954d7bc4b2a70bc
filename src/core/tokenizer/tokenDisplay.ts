/** Human-readable forms of token bytes for hovers, lists and the inspector. */

const fatal = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The token's text when its bytes are complete UTF-8, else undefined (a partial character). */
export function tokenText(bytes: Uint8Array): string | undefined {
  try {
    return fatal.decode(bytes);
  } catch {
    return undefined;
  }
}

/** `20 68 65 6c 6c 6f`. */
export function hexBytes(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}

/**
 * A token's text with invisible characters made visible: space → `·`, tab → `→`, newline → `↵`,
 * other controls as \u escapes. For partial UTF-8 tokens: `⟨e4 bd⟩` (their hex bytes).
 */
export function visibleTokenText(bytes: Uint8Array): string {
  const t = tokenText(bytes);
  if (t === undefined) return `⟨${hexBytes(bytes)}⟩`;
  let out = '';
  for (const ch of t) {
    const c = ch.codePointAt(0)!;
    if (ch === ' ') out += '·';
    else if (ch === '\t') out += '→';
    else if (ch === '\n') out += '↵';
    else if (ch === '\r') out += '␍';
    else if (c < 0x20 || (c >= 0x7f && c < 0xa0) || c === 0xfeff || (c >= 0x200b && c <= 0x200f)) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return out;
}
