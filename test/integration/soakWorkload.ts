/**
 * The soak's workload and its memory probe, without VS Code: the document, the edit rule and the
 * split of resident memory by kind. Shared by test/integration/soak.test.ts (in the extension host)
 * and bench/child/editChurn.ts (the same typing on a DocumentTokens in plain Node).
 */
import * as fs from 'fs';
import { constants, PerformanceObserver } from 'perf_hooks';
import * as v8 from 'v8';
import type { Rng } from '../unit/core/tokenizer/random';
import { openInspectorSession } from './inspectorSession';

const PYTHON = `import os
import sys


def read_config(path):
    """Reads key=value lines, skipping comments."""
    values = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith('#'):
                continue
            key, _, value = line.partition('=')
            values[key.strip()] = value.strip()
    return values


class Counter:
    def __init__(self):
        self.counts = {}

    def add(self, word):
        self.counts[word] = self.counts.get(word, 0) + 1

    def most_common(self, n):
        return sorted(self.counts.items(), key=lambda kv: -kv[1])[:n]


`;

/** The soak's document: a small Python file 20 times (~15 KB). */
export const SOAK_TEXT = PYTHON.repeat(20);

const SNIPPETS = ['x', ' ', '\n', '    return value\n', 'def f(a, b):\n    ', '🙂', "'s", '# note\n', '<|endoftext|>', 'import os\n', '\t', 'ção'];

/** One edit: replace [offset, offset + deleteLength) with `insert` (UTF-16). */
export interface SoakEdit {
  readonly offset: number;
  readonly deleteLength: number;
  readonly insert: string;
}

/**
 * The next random edit of a document of `length` code units: a delete of 1–12 code units or an
 * inserted snippet, deletes more often while the document is above `startLength` and inserts more
 * often below, so that it keeps its size (a growing document grows every per-document cost with it,
 * and the trend measured would be the document's, not a leak's).
 */
export function nextSoakEdit(rng: Rng, length: number, startLength: number): SoakEdit {
  const offset = rng.int(length + 1);
  if (rng.int(3) < (length > startLength ? 2 : 1)) return { offset, deleteLength: Math.min(length, offset + 1 + rng.int(12)) - offset, insert: '' };
  return { offset, deleteLength: 0, insert: SNIPPETS[rng.int(SNIPPETS.length)]! };
}

/**
 * This process's resident memory by kind, in MB (Linux /proc; 0 elsewhere): V8's heap pages (the
 * physical size of all its spaces, and by space), other anonymous memory (malloc, thread stacks, WASM memories:
 * where a native leak would show), of that the main thread's malloc arena (the `[heap]` mapping),
 * and file-backed pages (code).
 */
export function memoryByKindMb(): { v8Pages: number; v8Spaces: Record<string, number>; otherAnon: number; mainArena: number; file: number } {
  const v8Spaces: Record<string, number> = {};
  for (const sp of v8.getHeapSpaceStatistics()) v8Spaces[sp.space_name] = sp.physical_space_size / 1048576;
  const v8Pages = Object.values(v8Spaces).reduce((n, mb) => n + mb, 0);
  const read = (file: string): string => {
    try {
      return fs.readFileSync(file, 'utf8');
    } catch {
      return ''; // not Linux: the split is not available
    }
  };
  const status = read('/proc/self/status');
  const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) / 1024;
  const smaps = read('/proc/self/smaps');
  const at = smaps.indexOf(' [heap]\n');
  const mainArena = at < 0 ? 0 : Number(/^Rss:\s+(\d+) kB/m.exec(smaps.slice(at))?.[1] ?? 0) / 1024;
  return { v8Pages, v8Spaces, otherAnon: kb('RssAnon') - v8Pages, mainArena, file: kb('RssFile') + kb('RssShmem') };
}

/**
 * Samples every allocation of this isolate, garbage included (V8's sampling heap profiler with the
 * objects later collected by minor and major GCs kept), until the returned function is called; it
 * writes a `.heapprofile` (DevTools' Memory panel opens it) and returns the sampled bytes. Which
 * code makes the garbage that sizes V8's young generation up. Cost: one sample per ~32 KB allocated.
 */
export async function sampleAllocations(file: string): Promise<() => Promise<number>> {
  const session = openInspectorSession();
  const post = session.post;
  await post('HeapProfiler.enable');
  await post('HeapProfiler.startSampling', { samplingInterval: 32768, includeObjectsCollectedByMinorGC: true, includeObjectsCollectedByMajorGC: true });
  return async () => {
    const { profile } = (await post('HeapProfiler.stopSampling')) as { profile: { head: AllocationNode } };
    session.disconnect();
    fs.writeFileSync(file, JSON.stringify(profile));
    const total = (n: AllocationNode): number => n.children.reduce((s, c) => s + total(c), n.selfSize);
    return total(profile.head);
  };
}

interface AllocationNode {
  readonly selfSize: number;
  readonly children: readonly AllocationNode[];
}

/**
 * Counts this isolate's garbage collections by kind from now until the returned function is called.
 * Young-generation collections are scavenges (kind 1) or, where V8 runs its minor mark-sweep instead,
 * kind 2 (no perf_hooks constant names it).
 */
export function countCollections(): () => { minor: number; major: number } {
  const counts = { minor: 0, major: 0 };
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      // `detail` ({ kind }) is in Node ≥ 16's gc entries, not in @types/node 20's PerformanceEntry
      const kind = (e as typeof e & { detail?: { kind?: number } }).detail?.kind ?? 0;
      if (kind & (constants.NODE_PERFORMANCE_GC_MINOR | 2)) counts.minor++;
      else if (kind & constants.NODE_PERFORMANCE_GC_MAJOR) counts.major++;
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  return () => {
    observer.disconnect();
    return { ...counts };
  };
}
