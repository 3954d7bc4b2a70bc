type ThreadCpuUsage = () => { user: number; system: number };
const threadCpuUsage = (process as unknown as { threadCpuUsage?: ThreadCpuUsage }).threadCpuUsage;

/**
 * This thread's CPU time in ms (Node ≥ 23.9, e.g. VS Code's extension host), or undefined. Used by
 * benchmarks in the extension host: unlike wall time it does not grow when the OS runs the renderer
 * or other processes instead of this thread.
 */
export function threadCpuMs(): number | undefined {
  if (!threadCpuUsage) return undefined;
  const u = threadCpuUsage();
  return (u.user + u.system) / 1000;
}
