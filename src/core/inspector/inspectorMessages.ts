/**
 * Messages the token inspector's webview sends to the extension, validated: the webview is ours,
 * but whatever arrives from it is data, and a malformed message is dropped, never trusted or thrown on.
 */
export type InspectorMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'rendered'; readonly file: string; readonly tokens: number; readonly bars: number; readonly rows: number };

const count = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

/** The message, or undefined for anything that is not exactly one of InspectorMessage. */
export function parseInspectorMessage(m: unknown): InspectorMessage | undefined {
  if (typeof m !== 'object' || m === null) return undefined;
  const o = m as Record<string, unknown>;
  if (o.type === 'ready') return { type: 'ready' };
  if (o.type === 'rendered' && typeof o.file === 'string' && o.file.length <= 4096 && count(o.tokens) && count(o.bars) && count(o.rows)) {
    return { type: 'rendered', file: o.file, tokens: o.tokens, bars: o.bars, rows: o.rows };
  }
  return undefined;
}
