import { InvalidOptionError } from './errors.js';
import type { Logger } from './logger.js';
import { rejectUnknownOptions } from './options.js';

/** How much a {@link stderrLogger} writes: each level includes those after it. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

/** Options of {@link stderrLogger}. */
export interface StderrLoggerOptions {
  /** The least severe level written. @default 'warn' */
  readonly level?: LogLevel;
  /** Where each line goes (tests). @default process.stderr.write */
  readonly write?: (line: string) => void;
}

/**
 * A dependency-free logger that writes one line per record to stderr:
 * `2026-11-25T20:00:00.000Z rxq WARN reconnecting source=orders retry=3 err="ConnectionLostError: …"`.
 * Errors appear as `name: message` (and `code`), never with a stack; values are quoted when they
 * hold spaces, and line breaks are escaped, so a record is always one line.
 *
 * @example
 * fromQueue(connector, { logger: stderrLogger({ level: 'info' }) })
 */
export function stderrLogger(options: StderrLoggerOptions = {}): Logger {
  rejectUnknownOptions(options, ['level', 'write']);
  const level = options.level ?? 'warn';
  if (!Object.hasOwn(RANK, level)) throw new InvalidOptionError('level', Object.keys(RANK).join(', '), level);
  const write = options.write ?? ((line: string) => void process.stderr.write(line));
  const min = RANK[level];
  const make =
    (l: Exclude<LogLevel, 'silent'>, bindings: Record<string, unknown>) =>
    (fields: Record<string, unknown>, message: string): void => {
      if (RANK[l] < min) return;
      write(formatLine(l, message, { ...bindings, ...fields }));
    };
  const build = (bindings: Record<string, unknown>): Logger => ({
    debug: make('debug', bindings),
    info: make('info', bindings),
    warn: make('warn', bindings),
    error: make('error', bindings),
    child: (more) => build({ ...bindings, ...more }),
  });
  return build({});
}

/**
 * The logger a source uses when its options name none: {@link stderrLogger} at the level in the
 * `RXQ_LOG` environment variable (`debug`, `info`, `warn`, `error` or `silent`), `warn` when it is
 * unset. So without any configuration an app sees what needs a human (reconnects and their cause,
 * lost connections, poison messages, a consumer that stopped for good) and nothing of the normal
 * flow.
 */
export function defaultLogger(): Logger {
  const env = typeof process === 'undefined' ? undefined : process.env['RXQ_LOG'];
  const level = env !== undefined && Object.hasOwn(RANK, env.toLowerCase()) ? (env.toLowerCase() as LogLevel) : 'warn';
  return stderrLogger({ level });
}

function formatLine(level: string, message: string, fields: Record<string, unknown>): string {
  let line = `${new Date().toISOString()} rxq ${level.toUpperCase()} ${oneLine(message)}`;
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    line += ` ${key}=${formatValue(value)}`;
  }
  return line + '\n';
}

function formatValue(value: unknown): string {
  let text: string;
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    text = `${value.name}${typeof code === 'string' ? ` [${code}]` : ''}: ${value.message}`;
    if (value.cause instanceof Error) text += ` (cause: ${value.cause.name}: ${value.cause.message})`;
  } else if (typeof value === 'string') text = value;
  else if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = Object.prototype.toString.call(value);
    }
  }
  text = oneLine(text);
  return /[\s"=]/.test(text) || text === '' ? JSON.stringify(text) : text;
}

function oneLine(text: string): string {
  return text.replace(/\r?\n/g, '\\n');
}
