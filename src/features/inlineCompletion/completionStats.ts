import type { HealingApplied, Suggestion } from '../../core/completion/types';

interface Counts {
  shown: number;
  accepted: number;
  latencies: number[];
}

/** Suggestions shown and accepted, per kind of healing applied, and the latency of generated ones. */
export class CompletionStats {
  private readonly byHealing = new Map<HealingApplied, Counts>();
  private readonly bySource = new Map<string, number>();

  shown(s: Suggestion): void {
    const c = this.countsOf(s.healing);
    c.shown++;
    if (s.source === 'generated') c.latencies.push(s.latencyMs);
    if (c.latencies.length > 500) c.latencies.shift();
    this.bySource.set(s.source, (this.bySource.get(s.source) ?? 0) + 1);
  }

  accepted(healing: HealingApplied): void {
    this.countsOf(healing).accepted++;
  }

  snapshot(): { healing: HealingApplied; shown: number; accepted: number; latencyP50Ms: number | undefined }[] {
    return [...this.byHealing.entries()].map(([healing, c]) => ({ healing, shown: c.shown, accepted: c.accepted, latencyP50Ms: median(c.latencies) }));
  }

  sources(): Record<string, number> {
    return Object.fromEntries(this.bySource);
  }

  /** A Markdown report for "Show Completion Statistics". */
  report(): string {
    const rows = this.snapshot();
    const lines = ['# Tokenscope: completion statistics (this window)', '', '| healing | shown | accepted | acceptance | median latency (generated) |', '|---|---:|---:|---:|---:|'];
    for (const r of rows) lines.push(`| ${r.healing} | ${r.shown} | ${r.accepted} | ${r.shown ? ((100 * r.accepted) / r.shown).toFixed(0) : '–'} % | ${r.latencyP50Ms === undefined ? '–' : `${r.latencyP50Ms.toFixed(0)} ms`} |`);
    if (rows.length === 0) lines.push('| – | 0 | 0 | – | – |');
    lines.push('', `Served from: ${Object.entries(this.sources()).map(([k, v]) => `${k} ${v}`).join(', ') || 'nothing yet'}.`);
    lines.push('', '*token*: healed at token level (the local engine\'s byte mask, or llama-server\'s grammar and bans); *text*: partial word cut (Ollama, OpenAI-compatible servers); *none*: the cursor split no token.');
    return lines.join('\n');
  }

  private countsOf(h: HealingApplied): Counts {
    let c = this.byHealing.get(h);
    if (!c) this.byHealing.set(h, (c = { shown: 0, accepted: 0, latencies: [] }));
    return c;
  }
}

function median(xs: readonly number[]): number | undefined {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}
