/**
 * A real llama-server (built by test/harness/llamaServer.sh from the llama.cpp source node-llama-cpp
 * ships) on 127.0.0.1, serving the shipped model, for the server test tier and the remote benchmarks.
 * Started in its own process group and stopped with the whole group: no server outlives a test.
 */
import { spawn, spawnSync, type ChildProcess } from 'child_process';
import * as net from 'net';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..', '..', '..');
export const SHIPPED_MODEL = path.join(ROOT, 'media', 'models', 'tokenscope-fim-tiny.gguf');

/** The llama-server binary: $TOKENSCOPE_LLAMA_SERVER, else built (or found in the cache) by the harness script. */
export function llamaServerBinary(): string {
  const fromEnv = process.env.TOKENSCOPE_LLAMA_SERVER;
  if (fromEnv) return fromEnv;
  const r = spawnSync('bash', [path.join(ROOT, 'test', 'harness', 'llamaServer.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const bin = r.stdout.trim().split('\n').pop();
  if (r.status !== 0 || !bin) throw new Error(`could not build llama-server (exit ${r.status})`);
  process.env.TOKENSCOPE_LLAMA_SERVER = bin;
  return bin;
}

export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export interface ServerOptions {
  /** Parallel slots (-np). */
  readonly slots?: number;
  /** Total context (-c), shared by the slots. */
  readonly context?: number;
  readonly threads?: number;
  readonly port?: number;
  readonly extraArgs?: readonly string[];
}

export class LlamaServerProcess {
  private exited: Promise<void>;
  private log = '';

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {
    this.exited = new Promise((r) => child.once('exit', () => r()));
    child.stdout?.on('data', (d: Buffer) => this.append(d));
    child.stderr?.on('data', (d: Buffer) => this.append(d));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The server's recent output, for failure messages. */
  get recentLog(): string {
    return this.log.slice(-4000);
  }

  private append(d: Buffer): void {
    this.log = (this.log + d.toString()).slice(-20000);
  }

  /** Starts a server and waits until /health answers ok (the model is loaded). */
  static async start(o: ServerOptions = {}): Promise<LlamaServerProcess> {
    const port = o.port ?? (await freePort());
    const slots = o.slots ?? 2;
    const args = ['-m', SHIPPED_MODEL, '--host', '127.0.0.1', '--port', String(port), '-c', String(o.context ?? 512 * slots), '-np', String(slots), '-t', String(o.threads ?? 1), ...(o.extraArgs ?? [])];
    const child = spawn(llamaServerBinary(), args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const s = new LlamaServerProcess(child, port);
    await s.waitHealthy();
    return s;
  }

  /** Waits for /health to answer 200 (a state, not a time: fails only if the process exits). */
  async waitHealthy(): Promise<void> {
    for (;;) {
      if (this.exitedAlready) throw new Error(`llama-server exited before it was ready:\n${this.recentLog}`);
      try {
        const r = await fetch(`${this.url}/health`);
        if (r.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  private get exitedAlready(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** Kills the whole process group (SIGKILL: as abrupt as a crash) and waits for the exit. */
  async kill(): Promise<void> {
    if (this.exitedAlready) return;
    try {
      process.kill(-this.child.pid!, 'SIGKILL');
    } catch {
      this.child.kill('SIGKILL');
    }
    await this.exited;
  }
}
