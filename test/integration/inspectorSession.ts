/**
 * A DevTools-protocol session on this isolate (node:inspector), with promise-returning posts: the
 * extension host's CPU profile (helpers.hostProfile) and its allocation sampling
 * (soakWorkload.sampleAllocations). No `vscode` import: the soak's workload runs in plain Node too.
 */
import * as inspector from 'inspector';

export interface InspectorSession {
  readonly post: (method: string, params?: object) => Promise<unknown>;
  readonly disconnect: () => void;
}

export function openInspectorSession(): InspectorSession {
  const session = new inspector.Session();
  session.connect();
  return {
    post: (method, params) => new Promise((resolve, reject) => session.post(method, params ?? {}, (err, res) => (err ? reject(err) : resolve(res)))),
    disconnect: () => session.disconnect(),
  };
}
