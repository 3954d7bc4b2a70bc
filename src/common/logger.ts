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
