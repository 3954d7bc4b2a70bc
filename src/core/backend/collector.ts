import type { InfillRequest, InfillResult, StopReason } from './backend';
import { cutAtStop } from './fimTemplates';

/** Collects streamed completion text: stop strings, the onText callback, time to first token. */
export class Collector {
  text = '';
  firstTokenMs: number | undefined;
  stopped = false;
  private readonly t0 = performance.now();

  constructor(readonly request: InfillRequest) {}

  /** Adds a chunk; returns true when a stop string ended the completion. */
  add(chunk: string): boolean {
    if (!chunk) return false;
    this.firstTokenMs ??= performance.now() - this.t0;
    const before = this.text.length;
    const cut = cutAtStop(this.text + chunk, this.request.stop ?? []);
    this.text = cut.text;
    if (this.text.length > before) this.request.onText?.(this.text.slice(before));
    this.stopped = cut.stopped;
    return cut.stopped;
  }

  result(stopReason: StopReason, extra: Partial<InfillResult> = {}): InfillResult {
    return { text: this.text, stopReason: this.stopped ? 'stop' : stopReason, firstTokenMs: this.firstTokenMs, totalMs: performance.now() - this.t0, ...extra };
  }
}

