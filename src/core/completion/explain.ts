import type { Suggestion } from './types';

/** One generated token as "Why this suggestion" shows it. */
export interface ExplainedToken {
  /** The token's text as the inspector shows it (visibleTokenText: `·` for a space, hex for a partial character). */
  readonly text: string;
  /** The drafter that proposed it and the model kept, 'model' for its own choice, 'healing' for a masked step. */
  readonly source: string;
  /** ln P(token) under the model, teacher-forced after the same prompt (undefined when not scored). */
  readonly logProb?: number;
  /** For a masked (healing) step: ln of the mask's mass, so P(token | mask) = exp(logProb − maskLogMass). */
  readonly maskLogMass?: number;
}

/**
 * "Why this suggestion" as Markdown: what was asked (prompt tokens, how many the engine evaluated
 * and how many came from its cache), what healing backed off and forced, how long it took, and each
 * token with its probability and where it came from. Pure: the feature gathers the data.
 */
export function explainMarkdown(s: Suggestion, tokens: readonly ExplainedToken[] | undefined, forcedText: string): string {
  const d = s.detail;
  const lines = ['# Tokenscope: why this suggestion', '', '```', s.text, '```', ''];
  lines.push('| | |', '|---|---|');
  lines.push(`| Served | ${s.source}${d ? '' : ' (no generation behind it: the details of the generation it came from are gone)'} in ${s.latencyMs.toFixed(1)} ms |`);
  lines.push(`| Healing | ${s.healing}${s.healedBytes > 0 ? `: backed off ${s.healedBytes} bytes before the cursor and made the model re-produce them` : ''} |`);
  if (forcedText) lines.push(`| Forced text | \`${escapeCell(forcedText)}\` (healed bytes${d?.typedBytes ? ` and ${d.typedBytes} bytes typed since the prompt was built` : ''}) |`);
  if (d) {
    if (d.promptTokens !== undefined) lines.push(`| Prompt | ${d.promptTokens} tokens${d.promptEvaluated !== undefined ? `, ${d.promptEvaluated} evaluated now, ${d.promptTokens - d.promptEvaluated} from the engine's cache` : ''} |`);
    const gen = d.generatedTokens ?? d.tokens?.length ?? 0;
    const genMs = d.totalMs - (d.firstTokenMs ?? 0);
    lines.push(`| Time | first token ${d.firstTokenMs?.toFixed(1) ?? '–'} ms, total ${d.totalMs.toFixed(1)} ms, ${gen} tokens${gen > 1 && genMs > 0 ? ` (${((1000 * (gen - 1)) / genMs).toFixed(0)} tokens/s after the first)` : ''} |`);
    if (d.healMs !== undefined) lines.push(`| Healing steps | ${d.healMs.toFixed(1)} ms |`);
    // a remote server reports its own drafts (timings.draft_n) without batches
    if (d.speculation) lines.push(`| Speculation | ${d.speculation.accepted} of ${d.speculation.drafted} drafted tokens kept, ${d.speculation.batches > 0 ? `${d.speculation.batches} verification batches` : "the server's own drafting"} |`);
    lines.push(`| Stopped | ${d.stopReason} |`);
  }
  if (tokens?.length) {
    lines.push('', '## Tokens', '', '| # | token | from | probability |', '|---:|---|---|---:|');
    tokens.forEach((t, i) => lines.push(`| ${i + 1} | \`${escapeCell(t.text)}\` | ${t.source} | ${probability(t)} |`));
    lines.push('', 'Probabilities are the model\'s, teacher-forced after the same prompt; a healing step\'s is within its mask (the tokens that re-produce the forced text).');
  }
  return `${lines.join('\n')}\n`;
}

function probability(t: ExplainedToken): string {
  if (t.logProb === undefined) return '–';
  const lp = t.maskLogMass !== undefined && t.maskLogMass !== 0 ? t.logProb - t.maskLogMass : t.logProb;
  const p = Math.exp(lp);
  return p >= 0.001 ? `${(100 * p).toFixed(1)} %` : p.toExponential(1);
}

function escapeCell(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\n/g, '\\n').replace(/\t/g, '\\t').replace(/`/g, 'ˋ');
}
