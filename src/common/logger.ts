/**
 * The logging surface every component receives. In the extension it is backed by one
 * `LogOutputChannel`; in unit tests by a memory or console logger. Components never create loggers
 * of their own: they get one with their `[component]` prefix from `withComponent`.
 */
export interface ILogger {
  trace(message: string, ...args: unknown[]): void;
  debug(message: string, ...args: unknown[]): void;
  info(message: string, ...args: unknown[]): void;
  warn(message: string, ...args: unknown[]): void;
  error(message: string | Error, ...args: unknown[]): void;
}

export function withComponent(logger: ILogger, component: string): ILogger {
  const p = `[${component}] `;
  return {
    trace: (m, ...a) => logger.trace(p + m, ...a),
    debug: (m, ...a) => logger.debug(p + m, ...a),
    info: (m, ...a) => logger.info(p + m, ...a),
    warn: (m, ...a) => logger.warn(p + m, ...a),
    error: (m, ...a) => logger.error(typeof m === 'string' ? p + m : `${p}${m.stack ?? m.message}`, ...a),
  };
}

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

/** Keeps log lines in memory; for unit tests that assert what was logged. */
export class MemoryLogger implements ILogger {
  readonly lines: { level: LogLevel; message: string }[] = [];
  trace(m: string): void {
    this.lines.push({ level: 'trace', message: m });
  }
  debug(m: string): void {
    this.lines.push({ level: 'debug', message: m });
  }
  info(m: string): void {
    this.lines.push({ level: 'info', message: m });
  }
  warn(m: string): void {
    this.lines.push({ level: 'warn', message: m });
  }
  error(m: string | Error): void {
    this.lines.push({ level: 'error', message: typeof m === 'string' ? m : m.message });
  }
}

const RECENT_LINES = 50;

/** Lines of one level: how many, and the last RECENT_LINES of them (oldest first). */
class Tally {
  count = 0;
  readonly recent: string[] = [];
  get last(): string | undefined {
    return this.recent[this.recent.length - 1];
  }
  add(m: string): void {
    this.count++;
    this.recent.push(m);
    if (this.recent.length > RECENT_LINES) this.recent.shift();
  }
}

/**
 * Passes every line on to `inner` and tallies the error- and warning-level ones: the integration
 * suites assert that hostile input and injected faults log no error they did not expect (an
 * exception that escaped a handler ends up here or in VS Code's log, never silently), and that each
 * invalid setting gets its warning.
 */
export class ErrorCountingLogger implements ILogger {
  private readonly errorLines = new Tally();
  private readonly warningLines = new Tally();
  constructor(private readonly inner: ILogger) {}
  get errors(): { readonly count: number; readonly last: string | undefined } {
    return { count: this.errorLines.count, last: this.errorLines.last };
  }
  get warnings(): { readonly count: number; readonly last: string | undefined; readonly recent: readonly string[] } {
    return { count: this.warningLines.count, last: this.warningLines.last, recent: this.warningLines.recent };
  }
  trace(m: string, ...a: unknown[]): void {
    this.inner.trace(m, ...a);
  }
  debug(m: string, ...a: unknown[]): void {
    this.inner.debug(m, ...a);
  }
  info(m: string, ...a: unknown[]): void {
    this.inner.info(m, ...a);
  }
  warn(m: string, ...a: unknown[]): void {
    this.warningLines.add(m);
    this.inner.warn(m, ...a);
  }
  error(m: string | Error, ...a: unknown[]): void {
    this.errorLines.add(typeof m === 'string' ? m : m.message);
    this.inner.error(m, ...a);
  }
}
