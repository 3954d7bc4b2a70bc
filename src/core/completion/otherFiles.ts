/**
 * Extra context from other open files: the windows of those files most similar to the code just
 * above the cursor, as line comments placed first in the prompt (the "neighbouring tabs" idea of
 * Copilot and Continue: the model sees helper signatures and naming it cannot see otherwise).
 *
 * Similarity: Jaccard overlap of identifier sets, windows of WINDOW_LINES lines every STEP_LINES
 * lines. Cheap and deterministic (no embedding model to ship); a file's windows are computed once
 * per version and cached by the caller. The query is the lines above the cursor's line, not the
 * line being typed: the header then stays the same while the user types a line, and so does the
 * prompt's start and the engine's KV cache.
 */
const WINDOW_LINES = 16;
const STEP_LINES = 8;
/** Query lines above the cursor's line. */
const QUERY_LINES = 16;
const IDENT = /[\p{L}_][\p{L}\p{N}_]*/gu;

export interface OtherFile {
  /** Shown in the header (workspace-relative path or the untitled name). */
  readonly name: string;
  readonly text: string;
}

/** A file cut into windows with their identifier sets (cache it per document version). */
export interface IndexedFile {
  readonly name: string;
  readonly windows: readonly { readonly text: string; readonly idents: ReadonlySet<string> }[];
}

export interface Snippet {
  readonly name: string;
  readonly text: string;
  readonly score: number;
}

export function indexFile(f: OtherFile): IndexedFile {
  const lines = f.text.split('\n');
  const windows: { text: string; idents: Set<string> }[] = [];
  for (let start = 0; start < lines.length; start += STEP_LINES) {
    const text = lines.slice(start, start + WINDOW_LINES).join('\n');
    if (text.trim() !== '') windows.push({ text, idents: identifiers(text) });
    if (start + WINDOW_LINES >= lines.length) break;
  }
  return { name: f.name, windows };
}

/** The query: identifiers of the lines above the cursor's line. */
export function queryOf(prefix: string): Set<string> {
  const lineStart = prefix.lastIndexOf('\n') + 1;
  const above = prefix.slice(0, lineStart).split('\n').slice(-QUERY_LINES - 1);
  return identifiers(above.join('\n'));
}

/**
 * The best window of each file, best first, while they fit `budgetTokens` (counted with the
 * model's tokenizer, header included). Windows sharing no identifier with the query are never used.
 */
export function similarSnippets(query: ReadonlySet<string>, files: readonly IndexedFile[], budgetTokens: number, countTokens: (s: string) => number, comment: string): Snippet[] {
  return budgetTokens <= 0 ? [] : withinBudget(rankSnippets(query, files), budgetTokens, countTokens, comment);
}

/** The best window of each file that shares an identifier with the query, best first. */
export function rankSnippets(query: ReadonlySet<string>, files: readonly IndexedFile[]): Snippet[] {
  if (query.size === 0) return [];
  const best: Snippet[] = [];
  for (const f of files) {
    let top: Snippet | undefined;
    for (const w of f.windows) {
      const score = jaccard(query, w.idents);
      if (score > 0 && (!top || score > top.score)) top = { name: f.name, text: w.text, score };
    }
    if (top) best.push(top);
  }
  return best.sort((a, b) => b.score - a.score || (a.name < b.name ? -1 : 1));
}

/** The ranked snippets, in order, that fit `budgetTokens` as formatted (header line included). */
export function withinBudget(ranked: readonly Snippet[], budgetTokens: number, countTokens: (s: string) => number, comment: string): Snippet[] {
  const out: Snippet[] = [];
  let used = 0;
  for (const s of ranked) {
    const cost = countTokens(formatSnippet(s, comment));
    if (used + cost > budgetTokens) continue;
    out.push(s);
    used += cost;
  }
  return out;
}

/** The snippets as line comments, each under its file's name; '' for none. */
export function snippetHeader(snippets: readonly Snippet[], comment: string): string {
  return snippets.map((s) => formatSnippet(s, comment)).join('');
}

function formatSnippet(s: Snippet, comment: string): string {
  const body = s.text.split('\n').map((l) => `${comment} ${l}`.trimEnd());
  return `${comment} Compare this snippet from ${s.name}:\n${body.join('\n')}\n`;
}

/** The line-comment marker of a language (`//` when unknown). */
export function lineCommentOf(languageId: string | undefined): string {
  switch (languageId) {
    case 'python':
    case 'shellscript':
    case 'ruby':
    case 'perl':
    case 'r':
    case 'yaml':
    case 'toml':
    case 'dockerfile':
    case 'makefile':
    case 'powershell':
      return '#';
    case 'lua':
    case 'sql':
    case 'haskell':
      return '--';
    default:
      return '//';
  }
}

function identifiers(text: string): Set<string> {
  const out = new Set<string>();
  for (const m of text.matchAll(IDENT)) if (m[0].length > 1) out.add(m[0]);
  return out;
}

function jaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  let inter = 0;
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  for (const x of small) if (large.has(x)) inter++;
  return inter === 0 ? 0 : inter / (a.size + b.size - inter);
}
