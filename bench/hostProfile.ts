import * as path from 'path';
import { REPO_ROOT } from '../test/corpus';

/** What V8's CPU profiler writes (the parts read here). */
export interface CpuProfile {
  readonly nodes: readonly { readonly id: number; readonly callFrame: { readonly functionName: string; readonly url: string }; readonly children?: readonly number[] }[];
  readonly startTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/**
 * Tokenscope's part of a host task: the task's CPU time × the share of the profile's samples in its
 * span that have Tokenscope's bundle (dist/) on the stack, among the samples that are neither idle
 * nor the test's own untimed work (its frames are kept out of the CPU figure already). The sampler
 * ticks on wall time, so the share is an estimate; the rest is VS Code and its other extensions.
 */
export function tokenscopeShare(profile: CpuProfile, spanUs: readonly [number, number]): number {
  const ownBundle = path.join(REPO_ROOT, 'dist') + path.sep;
  return shareOf(profile, spanUs, (url) => url.includes(ownBundle));
}

/** VS Code's built-in TypeScript extension's part of a host task, as `tokenscopeShare` counts Tokenscope's. */
export function typescriptExtensionShare(profile: CpuProfile, spanUs: readonly [number, number]): number {
  return shareOf(profile, spanUs, (url) => url.includes('/extensions/typescript-language-features/'));
}

/** The share of a task's samples (idle and the test's own work left out) with a frame whose url `isPart` on the stack. */
function shareOf(profile: CpuProfile, spanUs: readonly [number, number], isPart: (url: string) => boolean): number {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const kindOf = (leaf: number): 'ours' | 'test' | 'idle' | 'other' => {
    const name = byId.get(leaf)?.callFrame.functionName;
    if (name === '(idle)' || name === '(program)') return 'idle';
    let ours = false;
    for (let id: number | undefined = leaf; id !== undefined; id = parent.get(id)) {
      const url = byId.get(id)?.callFrame.url ?? '';
      if (url.includes('/test/integration/')) return 'test';
      if (isPart(url)) ours = true;
    }
    return ours ? 'ours' : 'other';
  };
  let t = profile.startTime;
  let ours = 0;
  let counted = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i]!;
    if (t < spanUs[0] || t > spanUs[1]) continue;
    const k = kindOf(profile.samples[i]!);
    if (k === 'idle' || k === 'test') continue;
    counted++;
    if (k === 'ours') ours++;
  }
  return counted === 0 ? 0 : ours / counted;
}
