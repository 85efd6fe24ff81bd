import { createWriteStream, mkdirSync, renameSync, statSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import type { SecretRegistry } from '../../shared/redact';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/**
 * The one logger of the main-process services. Every line passes through the
 * `SecretRegistry` before it is written, so a password that slips into an
 * error from a library still never lands in a log file.
 */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger whose lines carry `[scope]`, for one service. */
  child(scope: string): Logger;
  /** Flushes and closes the log file (the logger still writes to stderr afterwards). */
  close(): Promise<void>;
}

export type LogFields = Readonly<Record<string, unknown>>;

export interface LoggerOptions {
  readonly secrets: SecretRegistry;
  /** `QUORUM_HOME`; the log goes to `<home>/logs/quorum.log`. Null: stderr only. */
  readonly home: string | null;
  /** Lines below this level are dropped. Default `info` (`QUORUM_LOG_LEVEL` may lower it). */
  readonly level?: LogLevel;
  /** Write to stderr too (default true). */
  readonly stderr?: boolean;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Above this size the log is moved to `quorum.log.1` at start-up (one generation kept). */
export const LOG_ROTATE_BYTES = 10 * 1024 * 1024;

/** Formats an unknown thrown value for the log (stack included) — still redacted by the caller. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  try {
    return JSON.stringify(error);
  } catch {
    return String(error);
  }
}

export function createLogger(options: LoggerOptions): Logger {
  const threshold = ORDER[options.level ?? 'info'];
  const toStderr = options.stderr ?? true;
  let stream: WriteStream | null = null;
  if (options.home !== null) {
    const dir = path.join(options.home, 'logs');
    // Created once at start-up, before any service runs; the writes themselves are async.
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const file = path.join(dir, 'quorum.log');
    try {
      if (statSync(file).size > LOG_ROTATE_BYTES) renameSync(file, `${file}.1`);
    } catch {
      // no log yet
    }
    stream = createWriteStream(file, { flags: 'a', mode: 0o600 });
    stream.on('error', (error) => {
      process.stderr.write(`quorum: cannot write the log file: ${options.secrets.redact(String(error))}\n`);
      stream = null;
    });
  }

  const write = (level: LogLevel, scope: string | null, message: string, fields?: LogFields): void => {
    if (ORDER[level] < threshold) return;
    let text = message;
    if (fields !== undefined && Object.keys(fields).length > 0) {
      text += ' ' + safeJson(fields);
    }
    const line = options.secrets.redact(
      `${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${scope === null ? '' : `[${scope}] `}${text}`,
    );
    stream?.write(line + '\n');
    if (toStderr) process.stderr.write(line + '\n');
  };

  const make = (scope: string | null): Logger => ({
    debug: (m, f) => write('debug', scope, m, f),
    info: (m, f) => write('info', scope, m, f),
    warn: (m, f) => write('warn', scope, m, f),
    error: (m, f) => write('error', scope, m, f),
    child: (s) => make(scope === null ? s : `${scope}.${s}`),
    close: () =>
      new Promise<void>((resolve) => {
        const s = stream;
        stream = null;
        if (s === null) resolve();
        else s.end(() => resolve());
      }),
  });
  return make(null);
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value, (_k, v: unknown) => (v instanceof Error ? describeError(v) : v));
  } catch {
    return '[unserializable fields]';
  }
}

/** A logger that keeps lines in memory, for tests. */
export function createMemoryLogger(secrets: SecretRegistry): Logger & { readonly lines: string[] } {
  const lines: string[] = [];
  const make = (scope: string | null): Logger => {
    const w = (level: LogLevel) => (m: string, f?: LogFields) => {
      lines.push(secrets.redact(`${level} ${scope === null ? '' : `[${scope}] `}${m}${f ? ' ' + safeJson(f) : ''}`));
    };
    return { debug: w('debug'), info: w('info'), warn: w('warn'), error: w('error'), child: (s) => make(s), close: async () => {} };
  };
  return Object.assign(make(null), { lines });
}
